/**
 * Profiles: the people whose records a user manages. The list is the profile
 * switcher's aggregation (role, open alerts, documents in progress, last activity);
 * every other endpoint takes the profile explicitly.
 */
import { z } from 'zod';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { isoDate, profileParams, requireEditableProfile, requireVisibleProfile, toIso } from './common.js';
import { PG } from '../../db/postgres-errors.js';

/** The profiles table's own bound (migration 0100) up to today: a birth date of a living person. */
const FIRST_BIRTH_DATE = '1880-01-01';
const birthDate = isoDate.refine(
  (date) => date >= FIRST_BIRTH_DATE && date <= new Date().toISOString().slice(0, 10),
  `must be between ${FIRST_BIRTH_DATE} and today`,
);

const profileFields = {
  display_name: z.string().trim().min(1).max(200),
  birth_date: birthDate.nullable().optional(),
  sex: z.enum(['female', 'male', 'other', 'unknown']).optional(),
  relationship: z.enum(['self', 'child', 'parent', 'partner', 'other']),
};

export const profileSchema = z.object({
  id: z.uuid(),
  display_name: z.string(),
  birth_date: z.string().nullable(),
  sex: z.string(),
  relationship: z.string(),
  role: z.enum(['owner', 'manager', 'viewer']).nullable().describe('your role; null when you read it through an access grant'),
  archived_at: z.string().nullable(),
  open_alerts: z.number().int(),
  documents_in_progress: z.number().int(),
  last_activity_at: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
});
export type Profile = z.infer<typeof profileSchema>;

interface ProfileRow {
  id: string; display_name: string; birth_date: string | null; sex: string; relationship: string; role: Profile['role'];
  archived_at: Date | null; open_alerts: number | null; documents_in_progress: number | null; last_activity_at: Date | null;
  counts: Record<string, number> | null;
}

const SELECT_PROFILES = `
  select p.id, p.display_name, p.birth_date::text as birth_date, p.sex, p.relationship,
         (select m.role from public.profile_members m where m.profile_id = p.id and m.user_id = auth.uid()) as role,
         p.archived_at, s.open_alerts, s.documents_in_progress, s.last_activity_at, s.counts
  from public.profiles p left join public.journey_summaries s on s.profile_id = p.id`;

function toProfile(row: ProfileRow): Profile {
  return {
    ...row,
    archived_at: toIso(row.archived_at),
    last_activity_at: toIso(row.last_activity_at),
    open_alerts: row.open_alerts ?? 0,
    documents_in_progress: row.documents_in_progress ?? 0,
    counts: row.counts ?? {},
  };
}

export function profileRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/api/profiles', operationId: 'listProfiles', tags: ['profiles'], auth: 'user',
      summary: 'The profiles I manage or was granted, with their summary (the profile switcher)',
      query: z.object({ include_archived: z.enum(['true', 'false']).default('false') }),
      responses: { 200: { description: 'profiles', schema: z.object({ profiles: z.array(profileSchema) }) } },
      async handle(ctx) {
        ctx.audit({ action: 'profiles.list' });
        const rows = await ctx.db(async (c) => (await c.query<ProfileRow>(
          `${SELECT_PROFILES} where ($1::boolean or p.archived_at is null) order by p.created_at, p.id`,
          [ctx.query.include_archived === 'true'],
        )).rows);
        ctx.koa.body = { profiles: rows.map(toProfile) };
      },
    }),
    defineRoute({
      method: 'post', path: '/api/profiles', operationId: 'createProfile', tags: ['profiles'], auth: 'user',
      summary: 'Create a profile I own (myself, a child, a parent …)',
      body: z.object(profileFields),
      responses: { 201: { description: 'the new profile', schema: profileSchema } },
      async handle(ctx) {
        const profile = await ctx.db(async (c) => {
          const { rows } = await c.query<{ id: string }>(
            `insert into public.profiles (owner_id, display_name, birth_date, sex, relationship)
             values (auth.uid(), $1::text, $2::date, $3::text, $4::text) returning id`,
            [ctx.body.display_name, ctx.body.birth_date ?? null, ctx.body.sex ?? 'unknown', ctx.body.relationship],
          );
          return (await c.query<ProfileRow>(`${SELECT_PROFILES} where p.id = $1::uuid`, [rows[0]!.id])).rows[0]!;
        });
        ctx.audit({ action: 'profile.create', profileId: profile.id, resourceType: 'profile', resourceId: profile.id });
        ctx.koa.status = 201;
        ctx.koa.body = toProfile(profile);
      },
    }),
    defineRoute({
      method: 'get', path: '/api/profiles/:profileId', operationId: 'getProfile', tags: ['profiles'], auth: 'user',
      summary: 'One profile with its summary counts',
      params: profileParams,
      responses: { 200: { description: 'the profile', schema: profileSchema } },
      async handle(ctx) {
        ctx.audit({ action: 'profile.read', profileId: ctx.params.profileId, resourceType: 'profile', resourceId: ctx.params.profileId });
        const row = await ctx.db(async (c) => {
          await requireVisibleProfile(c, ctx.params.profileId);
          return (await c.query<ProfileRow>(`${SELECT_PROFILES} where p.id = $1::uuid`, [ctx.params.profileId])).rows[0]!;
        });
        ctx.koa.body = toProfile(row);
      },
    }),
    defineRoute({
      method: 'patch', path: '/api/profiles/:profileId', operationId: 'updateProfile', tags: ['profiles'], auth: 'user',
      summary: 'Change a profile (owner or manager)',
      params: profileParams,
      body: z.object(profileFields).partial().refine((b) => Object.keys(b).length > 0, 'nothing to change'),
      responses: { 200: { description: 'the changed profile', schema: profileSchema } },
      async handle(ctx) {
        ctx.audit({ action: 'profile.update', profileId: ctx.params.profileId, resourceType: 'profile', resourceId: ctx.params.profileId });
        const b = ctx.body;
        const row = await ctx.db(async (c) => {
          await requireEditableProfile(c, ctx.params.profileId);
          await c.query(
            `update public.profiles set
               display_name = coalesce($2::text, display_name),
               birth_date = case when $3::boolean then $4::date else birth_date end,
               sex = coalesce($5::text, sex),
               relationship = coalesce($6::text, relationship)
             where id = $1::uuid`,
            [ctx.params.profileId, b.display_name ?? null, b.birth_date !== undefined, b.birth_date ?? null, b.sex ?? null, b.relationship ?? null],
          );
          return (await c.query<ProfileRow>(`${SELECT_PROFILES} where p.id = $1::uuid`, [ctx.params.profileId])).rows[0]!;
        });
        ctx.koa.body = toProfile(row);
      },
    }),
    defineRoute({
      method: 'post', path: '/api/profiles/:profileId/archive', operationId: 'archiveProfile', tags: ['profiles'], auth: 'user',
      summary: 'Archive a profile (kept, hidden from the switcher); owner or manager',
      params: profileParams,
      responses: { 200: { description: 'the archived profile', schema: profileSchema } },
      async handle(ctx) {
        ctx.audit({ action: 'profile.archive', profileId: ctx.params.profileId, resourceType: 'profile', resourceId: ctx.params.profileId });
        const row = await ctx.db(async (c) => {
          await requireEditableProfile(c, ctx.params.profileId);
          await c.query(`update public.profiles set archived_at = coalesce(archived_at, now()) where id = $1::uuid`, [ctx.params.profileId]);
          return (await c.query<ProfileRow>(`${SELECT_PROFILES} where p.id = $1::uuid`, [ctx.params.profileId])).rows[0]!;
        });
        ctx.koa.body = toProfile(row);
      },
    }),
    defineRoute({
      method: 'post', path: '/api/profiles/:profileId/invitations', operationId: 'inviteMember', tags: ['profiles'], auth: 'user',
      summary: 'Invite someone by email to manage or view a profile (owner only); they accept once signed in',
      params: profileParams,
      body: z.object({ email: z.email().max(320), role: z.enum(['manager', 'viewer']) }),
      responses: { 201: { description: 'the invitation', schema: z.object({ id: z.uuid(), email: z.string(), role: z.string(), expires_at: z.string() }) } },
      async handle(ctx) {
        ctx.audit({ action: 'member.invite', profileId: ctx.params.profileId, resourceType: 'profile', resourceId: ctx.params.profileId });
        const invitation = await ctx.db(async (c) => {
          const { role } = await requireVisibleProfile(c, ctx.params.profileId);
          if (role !== 'owner') throw new HttpProblem(403, 'owner_only', 'only the owner may invite people to a profile');
          const { rows } = await c.query<{ id: string; email: string; role: string; expires_at: Date }>(
            `insert into public.profile_invitations (profile_id, email, role) values ($1::uuid, lower($2::text), $3::text)
             on conflict (profile_id, email) where accepted_at is null
               do update set role = excluded.role, expires_at = now() + interval '14 days'
             returning id, email, role, expires_at`,
            [ctx.params.profileId, ctx.body.email, ctx.body.role],
          );
          return rows[0]!;
        });
        ctx.koa.status = 201;
        ctx.koa.body = { ...invitation, expires_at: invitation.expires_at.toISOString() };
      },
    }),
    defineRoute({
      method: 'post', path: '/api/invitations/:invitationId/accept', operationId: 'acceptInvitation', tags: ['profiles'], auth: 'user',
      summary: 'Accept an invitation addressed to my email',
      params: z.object({ invitationId: z.uuid() }),
      responses: { 200: { description: 'the profile now shared with me', schema: z.object({ profile_id: z.uuid() }) } },
      async handle(ctx) {
        const profileId = await ctx.db(async (c) => {
          try {
            return (await c.query<{ id: string }>(`select public.accept_profile_invitation($1::uuid) as id`, [ctx.params.invitationId])).rows[0]!.id;
          } catch (error) {
            if ((error as { code?: string }).code === PG.noDataFound) throw new HttpProblem(404, 'invitation_not_found', 'no open invitation for your account with that id');
            throw error;
          }
        });
        ctx.audit({ action: 'member.accept', profileId, resourceType: 'invitation', resourceId: ctx.params.invitationId });
        ctx.koa.body = { profile_id: profileId };
      },
    }),
  ];
}
