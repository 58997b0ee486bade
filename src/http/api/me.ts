/**
 * GET /api/me: who is signed in, as a person would name them: the display name of the
 * profile they keep for themselves (relationship self), else the name their sign-in
 * carries (Supabase's user_metadata), else their email. Read as the caller: RLS shows
 * only their own profiles.
 */
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../route.js';

export const meSchema = z.object({
  id: z.uuid(),
  name: z.string().nullable().describe('what to call the person: their own profile\'s name, else the name of their account'),
  email: z.string().nullable(),
});

export function meRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/api/me', operationId: 'getMe', tags: ['profiles'], auth: 'user',
      summary: 'The signed-in person: id, name and email (for a greeting, not for access decisions)',
      responses: { 200: { description: 'the signed-in person', schema: meSchema } },
      async handle(ctx) {
        const { rows } = await ctx.read<{ name: string | null; email: string | null }>(
          `select coalesce(
                    (select p.display_name from public.profiles p
                      where p.owner_id = auth.uid() and p.relationship = 'self' and p.archived_at is null
                      order by p.created_at limit 1),
                    nullif(auth.jwt() -> 'user_metadata' ->> 'full_name', ''),
                    nullif(auth.jwt() -> 'user_metadata' ->> 'name', '')) as name,
                  auth.email() as email`,
          [],
        );
        ctx.koa.body = { id: ctx.userId, name: rows[0]?.name ?? null, email: rows[0]?.email ?? null };
      },
    }),
  ];
}
