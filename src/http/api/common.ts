/** Schemas and helpers shared by the api's route modules. */
import { z } from 'zod';
import type { PoolClient } from '../../db/pool.js';
import { HttpProblem } from '../problem.js';

export const uuid = z.uuid();
export const profileParams = z.object({ profileId: z.uuid().describe('the profile (self, a child, a parent …)') });
/**
 * Calendar dates and instants as clients send them. ISO 8601's year 0000 passes zod's
 * patterns but not Postgres (which has no year 0), and would reach the database as a
 * 500: years start at 0001 here, as in Postgres' own output.
 */
const fromYearOne = (value: string) => !value.startsWith('0000');
export const isoDate = z.iso.date().refine(fromYearOne, 'years start at 0001');
export const isoInstant = z.iso.datetime({ offset: true }).refine(fromYearOne, 'years start at 0001');
/** A timestamp in an answer: ISO 8601, UTC. */
export const timestamp = z.string().describe('ISO 8601 timestamp (UTC)');

/** The same answer whether the profile does not exist or is someone else's: no leak of existence. */
export function profileNotFound(): HttpProblem {
  return new HttpProblem(404, 'profile_not_found', 'no such profile (or it is not shared with you)');
}

/** 404 unless the caller can see the profile (RLS decides); returns the caller's role on it, if a member. */
export async function requireVisibleProfile(client: PoolClient, profileId: string): Promise<{ role: string | null }> {
  const { rows } = await client.query<{ role: string | null }>(
    `select (select m.role from public.profile_members m where m.profile_id = p.id and m.user_id = auth.uid()) as role
     from public.profiles p where p.id = $1::uuid`,
    [profileId],
  );
  if (!rows[0]) throw profileNotFound();
  return rows[0];
}

/** 404 when invisible, 403 when visible but the caller may not change it (a viewer, a provider). */
export async function requireEditableProfile(client: PoolClient, profileId: string): Promise<void> {
  const { role } = await requireVisibleProfile(client, profileId);
  if (role !== 'owner' && role !== 'manager') {
    throw new HttpProblem(403, 'profile_read_only', 'only the owner or a manager may change this profile');
  }
}

export const toIso = (d: Date | string | null): string | null => (d === null ? null : d instanceof Date ? d.toISOString() : d);
