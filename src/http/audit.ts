/**
 * The audit trail of the api ("all Render operations logged to Supabase"): a route
 * records what it touched (`ctx.audit(...)`); after the handler, one insert writes the
 * entries with the request's outcome (success, denied for 401/403/404/429, error for
 * 5xx). Ids and codes only, never health data. Whether the actor acted as a member
 * ('user') or through an access grant ('provider') is decided in SQL from the
 * profile's membership, so no route can get it wrong.
 */
import type { Queryable } from '../events/queue/job.js';

export interface AuditEntry {
  /** Dotted lower-case verb, e.g. `journey.read`, `document.upload`, `grant.revoke`. */
  action: string;
  profileId?: string | null;
  resourceType?: string;
  resourceId?: string;
  /** Counts and codes only. */
  details?: Record<string, string | number | boolean | null>;
}

export type AuditOutcome = 'success' | 'denied' | 'error';

export function outcomeOf(status: number): AuditOutcome {
  if (status >= 500) return 'error';
  if (status >= 400) return status === 401 || status === 403 || status === 404 || status === 429 ? 'denied' : 'error';
  return 'success';
}

export interface AuditContext {
  userId: string | null;
  isService: boolean;
  requestId: string;
  outcome: AuditOutcome;
}

type AuditRow = AuditEntry & AuditContext;

/**
 * Writes audit entries durably, batching concurrent requests' entries into one insert
 * (and one commit): the first request's entries go at once, those arriving meanwhile
 * ride the next insert. Each request still waits for its own entries to commit. Under
 * 50 concurrent requests this turns ~50 commits into a handful.
 */
export class AuditWriter {
  private pending: { rows: AuditRow[]; resolve: () => void; reject: (error: Error) => void }[] = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly db: Queryable, private readonly maxRows = 500) {}

  write(entries: AuditEntry[], context: AuditContext): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ rows: entries.map((e) => ({ ...e, ...context })), resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once everything written so far has committed (for shutdown). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch: typeof this.pending = [];
        let rows = 0;
        while (this.pending.length > 0 && rows < this.maxRows) {
          const next = this.pending.shift()!;
          batch.push(next);
          rows += next.rows.length;
        }
        try {
          await insertAuditRows(this.db, batch.flatMap((b) => b.rows));
          for (const b of batch) b.resolve();
        } catch (error) {
          for (const b of batch) b.reject(error as Error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }
}

/** One insert for many requests' entries (as the api's own database role: the trail is append-only for everyone). */
async function insertAuditRows(db: Queryable, rows: AuditRow[]): Promise<void> {
  await db.query(
    `insert into public.audit_log (actor_user_id, actor_kind, provider_id, profile_id, action, resource_type, resource_id,
                                   request_id, outcome, details)
     select e.actor, k.kind, case when k.kind = 'provider' then pr.id end,
            e.profile_id, e.action, e.resource_type, e.resource_id, e.request_id, e.outcome, e.details
     from unnest($1::uuid[], $2::boolean[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::jsonb[])
            as e(actor, is_service, request_id, outcome, action, profile_id, resource_type, resource_id, details)
     left join public.providers pr on pr.user_id = e.actor
     cross join lateral (
       select case when e.is_service then 'service'
                   when e.profile_id is null or exists (select 1 from public.profile_members m
                                                        where m.profile_id = e.profile_id and m.user_id = e.actor) then 'user'
                   when pr.id is not null then 'provider'
                   else 'user' end as kind
     ) k`,
    [
      rows.map((r) => r.userId),
      rows.map((r) => r.isService),
      rows.map((r) => r.requestId),
      rows.map((r) => r.outcome),
      rows.map((r) => r.action),
      rows.map((r) => r.profileId ?? null),
      rows.map((r) => r.resourceType ?? null),
      rows.map((r) => r.resourceId ?? null),
      rows.map((r) => JSON.stringify(r.details ?? {})),
    ],
  );
}
