/**
 * The audit trail (public.audit_log), as the api keeps it (src/http/audit.ts): who did
 * what, on which profile, under which request. Ids and counts only, never health data.
 * Written in the request's own transaction, as the service, after the user's part: the
 * trail then holds exactly the work that committed. Whether the user acted as a member or
 * through a provider's grant is decided in SQL from the profile's membership, as the api
 * decides it.
 */
import type { PoolClient } from './database.ts';

export interface AuditEntry {
  /** The signed-in user; null for the project itself (a webhook, a secret key). */
  actor: string | null;
  action: string;
  profileId: string | null;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

/** The caller's X-Request-Id when it is a plain token (the api forwards its own), else a new one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id') ?? '';
  return REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** Appends one successful entry; the client must already act as the service (becomeService). */
export async function audit(client: PoolClient, requestId: string, entry: AuditEntry): Promise<void> {
  await client.query(
    `insert into public.audit_log (actor_user_id, actor_kind, provider_id, profile_id, action, resource_type, resource_id, request_id, outcome, details)
     select $1::uuid, k.kind, case when k.kind = 'provider' then pr.id end, $2::uuid, $3::text, $4::text, $5::text, $6::text, 'success', $7::jsonb
     from (select 1) one
     left join public.providers pr on pr.user_id = $1::uuid
     cross join lateral (
       select case when $1::uuid is null then 'service'
                   when $2::uuid is null or exists (select 1 from public.profile_members m where m.profile_id = $2::uuid and m.user_id = $1::uuid) then 'user'
                   when pr.id is not null then 'provider'
                   else 'user' end as kind
     ) k`,
    [entry.actor, entry.profileId, entry.action, entry.resourceType, entry.resourceId ?? null, requestId, JSON.stringify(entry.details ?? {})],
  );
}
