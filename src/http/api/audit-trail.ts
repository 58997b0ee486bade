/**
 * The owner's view of the audit trail: who read or changed their profile, as whom
 * (a member, a provider through a grant, the service), with what outcome and under
 * which request. RLS decides ("owners read who accessed their profile"); the role
 * check before it only turns an empty answer for a manager into 403.
 */
import { z } from 'zod';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { profileParams, requireVisibleProfile, timestamp } from './common.js';

const auditEntrySchema = z.object({
  id: z.string().describe('the entry id; pass as before for the next page'),
  occurred_at: timestamp,
  actor_kind: z.enum(['user', 'provider', 'service', 'system']),
  actor_user_id: z.uuid().nullable(),
  actor_is_me: z.boolean(),
  provider: z.object({ id: z.uuid(), display_name: z.string().nullable(), organization: z.string().nullable() }).nullable()
    .describe('the provider, when the actor read through an access grant'),
  action: z.string().describe('dotted verb, e.g. provider.records.read, grant.revoke'),
  resource_type: z.string().nullable(),
  resource_id: z.string().nullable(),
  outcome: z.enum(['success', 'denied', 'error']),
  request_id: z.string().nullable(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
type AuditEntryOut = z.infer<typeof auditEntrySchema>;

interface AuditRow {
  id: string; occurred_at: Date; actor_kind: AuditEntryOut['actor_kind']; actor_user_id: string | null; actor_is_me: boolean;
  provider_id: string | null; provider_name: string | null; provider_organization: string | null;
  action: string; resource_type: string | null; resource_id: string | null; outcome: AuditEntryOut['outcome'];
  request_id: string | null; details: AuditEntryOut['details'];
}

export function auditTrailRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/api/profiles/:profileId/audit', operationId: 'listProfileAudit', tags: ['audit'], auth: 'user',
      summary: 'Who accessed my profile: reads and changes, newest first, paged (owner only)',
      params: profileParams,
      query: z.object({
        // An entry is ~400 bytes of JSON: 200 bounds a page at ~80 KB.
        limit: z.coerce.number().int().min(1).max(200).default(50).describe('page size (1–200, default 50)'),
        before: z.string().regex(/^\d{1,18}$/, 'an entry id').optional().describe('the id of the last entry of the previous page (next_before)'),
      }),
      responses: {
        200: {
          description: 'audit entries, newest first',
          schema: z.object({
            entries: z.array(auditEntrySchema),
            next_before: z.string().nullable().describe('pass as before for the next page; null on the last page'),
          }),
        },
      },
      async handle(ctx) {
        const { profileId } = ctx.params;
        ctx.audit({ action: 'audit.read', profileId, resourceType: 'profile', resourceId: profileId });
        const rows = await ctx.db(async (c) => {
          const { role } = await requireVisibleProfile(c, profileId);
          if (role !== 'owner') throw new HttpProblem(403, 'owner_only', "only the profile's owner may read its audit trail");
          // Newest first by id: entries are numbered as they are appended (an identity),
          // which, unlike occurred_at (a transaction's start), gives a stable page key.
          // One more than a page tells whether there is a next one.
          return (await c.query<AuditRow>(
            `select a.id::text as id, a.occurred_at, a.actor_kind, a.actor_user_id,
                    coalesce(a.actor_user_id = auth.uid(), false) as actor_is_me,
                    a.provider_id, pr.display_name as provider_name, pr.organization as provider_organization,
                    a.action, a.resource_type, a.resource_id, a.outcome, a.request_id, a.details
             from public.audit_log a left join public.providers pr on pr.id = a.provider_id
             where a.profile_id = $1::uuid and ($2::bigint is null or a.id < $2::bigint)
             order by a.id desc
             limit $3::int`,
            [profileId, ctx.query.before ?? null, ctx.query.limit + 1],
          )).rows;
        });
        const page = rows.slice(0, ctx.query.limit);
        ctx.koa.body = {
          entries: page.map((row): AuditEntryOut => ({
            id: row.id,
            occurred_at: row.occurred_at.toISOString(),
            actor_kind: row.actor_kind,
            actor_user_id: row.actor_user_id,
            actor_is_me: row.actor_is_me,
            // A provider removed from the directory still shows as a provider, without a name.
            provider: row.provider_id ? { id: row.provider_id, display_name: row.provider_name, organization: row.provider_organization } : null,
            action: row.action,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            outcome: row.outcome,
            request_id: row.request_id,
            details: row.details,
          })),
          next_before: rows.length > ctx.query.limit ? page.at(-1)!.id : null,
        };
      },
    }),
  ];
}
