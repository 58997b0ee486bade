/**
 * Access grants: an owner lets a provider read chosen categories of a profile's
 * record, optionally until a date, and may shorten, extend or revoke it. RLS decides
 * who sees and changes a grant (owners; the provider sees grants to them); the checks
 * here only turn "RLS hid it" into the right status code. The provider directory
 * search lives here too: it is what an owner uses to pick whom to grant.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { PoolClient } from '../../db/pool.js';
import type { AuditEntry } from '../audit.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute, type RouteContext } from '../route.js';
import { isoInstant, profileParams, requireVisibleProfile, timestamp, toIso } from './common.js';
import { RECORD_CATEGORIES, type RecordCategory } from '../../db/record-categories.js';

/** What a grant may open: the record categories (src/db/record-categories.ts). */
export const GRANT_CATEGORIES = RECORD_CATEGORIES;
export type GrantCategory = RecordCategory;
export const grantCategory = z.enum(GRANT_CATEGORIES);

/** Categories in the fixed order above, without duplicates, so answers compare equal. */
export function sortCategories(categories: readonly string[]): GrantCategory[] {
  return GRANT_CATEGORIES.filter((c) => categories.includes(c));
}

/** An expiry must lie ahead: a grant that is expired on arrival would be a confusing no-op. */
const futureTimestamp = isoInstant
  .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
  .describe('ISO 8601 timestamp with offset, in the future');

export const providerSchema = z.object({
  id: z.uuid(),
  display_name: z.string(),
  organization: z.string().nullable(),
  identifier: z.string().nullable().describe('registration number, e.g. AHPRA'),
});

export const grantSchema = z.object({
  id: z.uuid(),
  profile_id: z.uuid(),
  provider: providerSchema,
  categories: z.array(grantCategory),
  status: z.enum(['live', 'expired', 'revoked']),
  expires_at: timestamp.nullable().describe('null: until revoked'),
  revoked_at: timestamp.nullable(),
  granted_by: z.uuid(),
  created_at: timestamp,
});
export type Grant = z.infer<typeof grantSchema>;

interface GrantRow {
  id: string; profile_id: string; provider_id: string; display_name: string; organization: string | null; identifier: string | null;
  categories: string[]; status: Grant['status']; expires_at: Date | null; revoked_at: Date | null; granted_by: string; created_at: Date;
  is_owner: boolean;
}

// `now()` is the transaction's start, the same clock private.has_grant uses, so the
// status shown here and the access RLS allows in the same transaction cannot disagree.
const SELECT_GRANTS = `
  select g.id, g.profile_id, g.provider_id, pr.display_name, pr.organization, pr.identifier, g.categories,
         case when g.revoked_at is not null then 'revoked'
              when g.expires_at is not null and g.expires_at <= now() then 'expired'
              else 'live' end as status,
         g.expires_at, g.revoked_at, g.granted_by, g.created_at, private.is_owner(g.profile_id) as is_owner
  from public.access_grants g join public.providers pr on pr.id = g.provider_id`;

function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    profile_id: row.profile_id,
    provider: { id: row.provider_id, display_name: row.display_name, organization: row.organization, identifier: row.identifier },
    categories: sortCategories(row.categories),
    status: row.status,
    expires_at: toIso(row.expires_at),
    revoked_at: toIso(row.revoked_at),
    granted_by: row.granted_by,
    created_at: row.created_at.toISOString(),
  };
}

function ownerOnly(what: string): HttpProblem {
  return new HttpProblem(403, 'owner_only', `only the profile's owner may ${what}`);
}

/** 404 unless the grant is visible (owner or its provider); 403 unless the caller owns the profile. */
async function requireOwnedGrant(client: PoolClient, grantId: string, onProfile: (profileId: string) => void): Promise<GrantRow> {
  const row = (await client.query<GrantRow>(`${SELECT_GRANTS} where g.id = $1::uuid`, [grantId])).rows[0];
  if (!row) throw new HttpProblem(404, 'grant_not_found', 'no such access grant (or it is not yours)');
  onProfile(row.profile_id);
  if (!row.is_owner) throw ownerOnly('change an access grant');
  return row;
}

async function reloadGrant(client: PoolClient, grantId: string): Promise<Grant> {
  return toGrant((await client.query<GrantRow>(`${SELECT_GRANTS} where g.id = $1::uuid`, [grantId])).rows[0]!);
}

/**
 * For routes addressed by grant id: the profile is only known after the lookup, and
 * the owner's trail (RLS: is_owner(profile_id)) must show the attempt, so the entry
 * is recorded in `finally` — before the framework writes the request's entries —
 * with whatever profile the lookup found (none when the grant was invisible).
 */
async function auditedByGrant(
  ctx: RouteContext<{ grantId: string }, unknown, unknown>,
  action: string,
  work: (client: PoolClient, onProfile: (profileId: string) => void) => Promise<Grant>,
): Promise<Grant> {
  let profileId: string | null = null;
  try {
    return await ctx.db((client) => work(client, (id) => { profileId = id; }));
  } finally {
    const entry: AuditEntry = { action, profileId, resourceType: 'access_grant', resourceId: ctx.params.grantId };
    ctx.audit(entry);
  }
}

const grantParams = z.object({ grantId: z.uuid() });

export function grantRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/api/profiles/:profileId/grants', operationId: 'createGrant', tags: ['access grants'], auth: 'user',
      summary: 'Grant a provider read access to chosen categories of a profile, optionally until a date (owner only)',
      params: profileParams,
      body: z.object({
        provider_id: z.uuid(),
        categories: z.array(grantCategory).min(1).max(GRANT_CATEGORIES.length * 2),
        expires_at: futureTimestamp.nullable().optional().describe('omit or null: until revoked'),
      }),
      responses: { 201: { description: 'the new grant', schema: grantSchema } },
      async handle(ctx) {
        // The id is chosen here so the audit entry names the grant even when the insert fails.
        const grantId = randomUUID();
        ctx.audit({ action: 'grant.create', profileId: ctx.params.profileId, resourceType: 'access_grant', resourceId: grantId, details: { provider_id: ctx.body.provider_id } });
        const grant = await ctx.db(async (c) => {
          const { role } = await requireVisibleProfile(c, ctx.params.profileId);
          if (role !== 'owner') throw ownerOnly('grant access to it');
          const provider = await c.query(`select 1 from public.providers where id = $1::uuid`, [ctx.body.provider_id]);
          if (provider.rowCount === 0) throw new HttpProblem(400, 'provider_not_found', 'no provider with that id in the directory');
          await c.query(
            `insert into public.access_grants (id, profile_id, provider_id, categories, expires_at)
             values ($1::uuid, $2::uuid, $3::uuid, $4::text[], $5::timestamptz)`,
            [grantId, ctx.params.profileId, ctx.body.provider_id, sortCategories(ctx.body.categories), ctx.body.expires_at ?? null],
          );
          return reloadGrant(c, grantId);
        });
        ctx.koa.status = 201;
        ctx.koa.body = grant;
      },
    }),
    defineRoute({
      method: 'get', path: '/api/profiles/:profileId/grants', operationId: 'listGrants', tags: ['access grants'], auth: 'user',
      summary: "A profile's access grants, newest first, live, expired and revoked (owner only)",
      params: profileParams,
      query: z.object({ status: z.enum(['live', 'expired', 'revoked']).optional().describe('only grants with this status') }),
      responses: { 200: { description: 'grants', schema: z.object({ grants: z.array(grantSchema) }) } },
      async handle(ctx) {
        ctx.audit({ action: 'grants.list', profileId: ctx.params.profileId, resourceType: 'profile', resourceId: ctx.params.profileId });
        const rows = await ctx.db(async (c) => {
          const { role } = await requireVisibleProfile(c, ctx.params.profileId);
          if (role !== 'owner') throw ownerOnly("see the profile's access grants");
          return (await c.query<GrantRow>(`${SELECT_GRANTS} where g.profile_id = $1::uuid order by g.created_at desc, g.id`, [ctx.params.profileId])).rows;
        });
        const grants = rows.map(toGrant);
        ctx.koa.body = { grants: ctx.query.status ? grants.filter((g) => g.status === ctx.query.status) : grants };
      },
    }),
    defineRoute({
      method: 'post', path: '/api/grants/:grantId/revoke', operationId: 'revokeGrant', tags: ['access grants'], auth: 'user',
      summary: 'Revoke a grant at once (owner only); revoking a revoked grant answers it unchanged',
      params: grantParams,
      responses: { 200: { description: 'the revoked grant', schema: grantSchema } },
      async handle(ctx) {
        ctx.koa.body = await auditedByGrant(ctx, 'grant.revoke', async (c, onProfile) => {
          await requireOwnedGrant(c, ctx.params.grantId, onProfile);
          // `revoked_at is null` keeps it idempotent: the freeze trigger refuses any update
          // of a revoked row, and a concurrent revoke re-checks this after its row lock.
          await c.query(`update public.access_grants set revoked_at = now() where id = $1::uuid and revoked_at is null`, [ctx.params.grantId]);
          return reloadGrant(c, ctx.params.grantId);
        });
      },
    }),
    defineRoute({
      method: 'patch', path: '/api/grants/:grantId', operationId: 'updateGrant', tags: ['access grants'], auth: 'user',
      summary: 'Shorten or extend a live grant (owner only); an expired or revoked grant cannot change: grant anew',
      params: grantParams,
      body: z.object({ expires_at: futureTimestamp.nullable().describe('null: until revoked') }),
      responses: { 200: { description: 'the changed grant', schema: grantSchema } },
      async handle(ctx) {
        ctx.koa.body = await auditedByGrant(ctx, 'grant.update', async (c, onProfile) => {
          await requireOwnedGrant(c, ctx.params.grantId, onProfile);
          // The where clause skips revoked rows, so the freeze trigger never fires here
          // (a concurrent revoke is re-checked after the row lock: READ COMMITTED).
          const { rowCount: changed } = await c.query(
            `update public.access_grants set expires_at = $2::timestamptz
             where id = $1::uuid and revoked_at is null and (expires_at is null or expires_at > now())`,
            [ctx.params.grantId, ctx.body.expires_at],
          );
          if (!changed) {
            const current = await reloadGrant(c, ctx.params.grantId);
            throw new HttpProblem(409, 'grant_not_live', `the grant is ${current.status} and cannot change; create a new grant`, { status_of_grant: current.status });
          }
          return reloadGrant(c, ctx.params.grantId);
        });
      },
    }),
    defineRoute({
      method: 'get', path: '/api/providers', operationId: 'searchProviders', tags: ['access grants'], auth: 'user',
      summary: 'Search the provider directory by name or organisation (at most 20; no health data)',
      query: z.object({ q: z.string().trim().min(1).max(100).optional().describe('part of the name or organisation; omit to list the first 20') }),
      responses: { 200: { description: 'providers, by name', schema: z.object({ providers: z.array(providerSchema) }) } },
      async handle(ctx) {
        // strpos, not ILIKE: the search text is matched literally (no % or _ wildcards to escape).
        // 20 rows fill a picker; a longer list means the caller should type more, and the
        // cap keeps the directory from being scraped a whole page at a time.
        const { rows } = await ctx.db((c) => c.query<z.infer<typeof providerSchema>>(
          `select id, display_name, organization, identifier from public.providers
           where $1::text is null
              or strpos(lower(display_name), lower($1::text)) > 0
              or strpos(lower(coalesce(organization, '')), lower($1::text)) > 0
           order by lower(display_name), id
           limit 20`,
          [ctx.query.q ?? null],
        ));
        ctx.koa.body = { providers: rows };
      },
    }),
  ];
}
