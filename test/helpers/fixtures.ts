/**
 * Synthetic people and records for tests (never real patient data). Written with
 * the superuser pool, i.e. as a migration or the Auth server would, bypassing RLS.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

export async function createUser(pool: pg.Pool, email = `${randomUUID().slice(0, 8)}@example.test`): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `insert into auth.users (id, aud, role, email) values ($1::uuid, 'authenticated', 'authenticated', $2::text)`,
    [id, email],
  );
  return id;
}

export async function createProfile(
  pool: pg.Pool,
  ownerId: string,
  fields: { displayName?: string; relationship?: string; birthDate?: string } = {},
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into public.profiles (owner_id, display_name, relationship, birth_date)
     values ($1::uuid, $2::text, $3::text, $4::date) returning id`,
    [ownerId, fields.displayName ?? 'Test Person', fields.relationship ?? 'self', fields.birthDate ?? '1990-01-01'],
  );
  return rows[0]!.id;
}

export async function addMember(pool: pg.Pool, profileId: string, userId: string, role: 'manager' | 'viewer'): Promise<void> {
  await pool.query(
    `insert into public.profile_members (profile_id, user_id, role) values ($1::uuid, $2::uuid, $3::text)`,
    [profileId, userId, role],
  );
}

export async function createProvider(pool: pg.Pool, userId: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into public.providers (user_id, display_name, organization) values ($1::uuid, 'Dr Test', 'Test Clinic') returning id`,
    [userId],
  );
  return rows[0]!.id;
}

export async function grantAccess(
  pool: pg.Pool,
  grant: { profileId: string; providerId: string; grantedBy: string; categories: string[]; expiresAt?: string | null; revoked?: boolean },
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into public.access_grants (profile_id, provider_id, granted_by, categories, expires_at, revoked_at)
     values ($1::uuid, $2::uuid, $3::uuid, $4::text[], $5::timestamptz, case when $6::boolean then now() end)
     returning id`,
    [grant.profileId, grant.providerId, grant.grantedBy, grant.categories, grant.expiresAt ?? null, grant.revoked ?? false],
  );
  return rows[0]!.id;
}

/** A document row for a profile (the file itself is not needed by schema tests). */
export async function createDocument(pool: pg.Pool, profileId: string, uploadedBy: string): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, uploaded_by)
     values ($1::uuid, $2::uuid, $2::text || '/' || $1::text || '/report.pdf', 'report.pdf', 'application/pdf', 1234,
             encode(sha256(convert_to($1::text, 'UTF8')), 'hex'), $3::uuid)`,
    [id, profileId, uploadedBy],
  );
  return id;
}
