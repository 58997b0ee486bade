/**
 * Shared by the RLS matrix tests (test/db/rls-matrix*.test.ts): the actors, the
 * fixture world (profile P with members and providers, profile Q of an unrelated
 * user) and probes that run one statement as one caller in a rolled-back transaction.
 *
 * Outcomes: a number is the rows seen (SELECT count) or affected (rowCount);
 * 'rls' is 42501 "new row violates row-level security policy"; 'denied' is 42501
 * "permission denied" (no table privilege); 'append-only' is 42501 from the audit
 * trigger. Any other error is rethrown, so an unexpected failure fails the test.
 */
import * as assert from 'uvu/assert';
import type pg from 'pg';
import { anonCaller, asUser, serviceCaller, type Caller } from '../../src/db/as-caller.js';
import type { TestDatabase } from './database.js';
import { addMember, createDocument, createProfile, createProvider, createUser, grantAccess } from './fixtures.js';

export const CLINICAL = ['observations', 'medications', 'conditions', 'allergies', 'immunizations', 'encounters', 'procedures'] as const;
export type Clinical = (typeof CLINICAL)[number];
const ALL_CATEGORIES = ['documents', ...CLINICAL];

export const ACTORS = ['owner', 'manager', 'viewer', 'unrelated', 'provider', 'expired', 'revoked', 'anon', 'service'] as const;
export type Actor = (typeof ACTORS)[number];
export type Outcome = number | 'rls' | 'denied' | 'append-only';
/** One outcome per actor, in ACTORS order (the tuple type keeps every row complete). */
export type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];
export const D = 'denied';
export const R = 'rls';

/** Where each target's rows live and which expression names their profile (identifiers only, never values). */
export const SCOPES = {
  profiles: ['public.profiles', 'id'],
  profile_members: ['public.profile_members', 'profile_id'],
  documents: ['public.documents', 'profile_id'],
  observations: ['public.observations', 'profile_id'],
  medications: ['public.medications', 'profile_id'],
  conditions: ['public.conditions', 'profile_id'],
  allergies: ['public.allergies', 'profile_id'],
  immunizations: ['public.immunizations', 'profile_id'],
  encounters: ['public.encounters', 'profile_id'],
  procedures: ['public.procedures', 'profile_id'],
  access_grants: ['public.access_grants', 'profile_id'],
  audit_log: ['public.audit_log', 'profile_id'],
  // Only the jobs this fixture enqueues by hand (type 'probe'); triggers add derived jobs of their own.
  job_queue: ['public.job_queue', `case when type = 'probe' then (payload ->> 'profile_id')::uuid end`],
  'storage.objects': ['storage.objects', `case when bucket_id = 'documents' then private.object_profile_id(name) end`],
  // A file in the profile's folder of another bucket: the documents policies must not reach it.
  // Its name is <profile>/notes.txt (not a document's canonical path), so its first folder is read directly.
  'storage.objects (other bucket)': ['storage.objects', `case when bucket_id <> 'documents' then ((storage.foldername(name))[1])::uuid end`],
} as const satisfies Record<string, readonly [string, string]>;
export type Target = keyof typeof SCOPES;
export const TARGETS = Object.keys(SCOPES) as Target[];
export const countOf = (t: Target) => `select count(*)::int as n from ${SCOPES[t][0]} where ${SCOPES[t][1]} = $1::uuid`;
export const countAll = (t: Target) => `select count(*)::int as n from ${SCOPES[t][0]}`;

/** A new row for profile $1 in each clinical table (the literals are fixed test data). */
export const INSERT_CLINICAL: Record<Clinical, string> = {
  observations: `insert into public.observations (profile_id, name, value_numeric, unit) values ($1::uuid, 'Glucose', 5.1, 'mmol/L')`,
  medications: `insert into public.medications (profile_id, name) values ($1::uuid, 'Metformin')`,
  conditions: `insert into public.conditions (profile_id, name) values ($1::uuid, 'Asthma')`,
  allergies: `insert into public.allergies (profile_id, substance) values ($1::uuid, 'Peanut')`,
  immunizations: `insert into public.immunizations (profile_id, vaccine) values ($1::uuid, 'MMR')`,
  encounters: `insert into public.encounters (profile_id, reason) values ($1::uuid, 'Check-up')`,
  procedures: `insert into public.procedures (profile_id, name) values ($1::uuid, 'Appendectomy')`,
};
export const INSERT_DOCUMENT = `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256)
  select d.id, $1::uuid, $1::text || '/' || d.id::text || '/new.pdf', 'new.pdf', 'application/pdf', 1, repeat('a', 64)
  from (select gen_random_uuid() as id) d`;
export const INSERT_OBJECT = `insert into storage.objects (bucket_id, name) values ($1::text, $2::text)`;
export const INSERT_AUDIT = `insert into public.audit_log (actor_user_id, actor_kind, profile_id, action, outcome)
  values ($1::uuid, 'user', $2::uuid, 'profile.read', 'success')`;
export const INSERT_JOB = `insert into public.job_queue (type, payload) values ('probe', jsonb_build_object('profile_id', $1::uuid))`;

export interface World {
  p: string;
  q: string;
  users: Record<Exclude<Actor, 'anon' | 'service'>, string>;
  callers: Record<Actor, Caller>;
  activeGrant: string;
  /** The providers row of `provider` (the live grant's holder). */
  providerId: string;
}

// ---- probes ------------------------------------------------------------------------

export type Who = Caller | 'superuser';
class Rollback extends Error {
  constructor(readonly value: number) {
    super('rollback');
  }
}

/** Runs `work` in one transaction as `who` (db.as, or the superuser pool) and always rolls it back. */
export async function inRolledBackTx(db: TestDatabase, who: Who, work: (c: pg.ClientBase) => Promise<number>): Promise<number> {
  if (who === 'superuser') {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      return await work(client);
    } finally {
      await client.query('rollback').catch(() => {});
      client.release();
    }
  }
  try {
    await db.as(who, async (c) => {
      throw new Rollback(await work(c));
    });
  } catch (error) {
    if (error instanceof Rollback) return error.value;
    throw error;
  }
  throw new Error('unreachable: the work always throws Rollback');
}

function classify(error: unknown): Outcome {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === '42501' && typeof message === 'string') {
    if (message.includes('row-level security')) return 'rls';
    if (message.startsWith('permission denied')) return 'denied';
    if (message.includes('append-only')) return 'append-only';
  }
  throw error;
}

async function attempt(db: TestDatabase, who: Who, sql: string, params: unknown[], read: (r: pg.QueryResult) => number) {
  try {
    return await inRolledBackTx(db, who, async (c) => read(await c.query(sql, params)));
  } catch (error) {
    return classify(error);
  }
}
/** rowCount of a statement, or how it was refused. */
export const probe = (db: TestDatabase, who: Who, sql: string, params: unknown[] = []) =>
  attempt(db, who, sql, params, (r) => r.rowCount ?? 0);
/** The `n` of a count query, or how it was refused. */
export const count = (db: TestDatabase, who: Who, sql: string, params: unknown[] = []) =>
  attempt(db, who, sql, params, (r) => (r.rows[0] as { n: number }).n);

/** 'ok' or the SQLSTATE of the error the statement raised. */
export async function sqlState(db: TestDatabase, who: Who, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await inRolledBackTx(db, who, async (c) => (await c.query(sql, params)).rowCount ?? 0);
    return 'ok';
  } catch (error) {
    const { code } = error as { code?: unknown };
    if (typeof code === 'string') return code;
    throw error;
  }
}

/** Runs one probe per actor and compares the whole row at once (the diff names the actors). */
export async function expectRow(w: World, label: string, row: Row, run: (caller: Caller, actor: Actor) => Promise<Outcome>) {
  const expected: Partial<Record<Actor, Outcome>> = {};
  const actual: Partial<Record<Actor, Outcome>> = {};
  for (const [i, actor] of ACTORS.entries()) {
    expected[actor] = row[i];
    actual[actor] = await run(w.callers[actor], actor);
  }
  assert.equal(actual, expected, label);
}

// ---- fixture -----------------------------------------------------------------------

/** A profile with one row in every guarded table; `auditActor` is recorded as having read it. */
async function seedProfile(pool: pg.Pool, ownerId: string, auditActor: string): Promise<string> {
  const profile = await createProfile(pool, ownerId);
  const documentId = await createDocument(pool, profile, ownerId);
  for (const t of CLINICAL) await pool.query(INSERT_CLINICAL[t], [profile]);
  await pool.query(INSERT_OBJECT, ['documents', `${profile}/${documentId}/report.pdf`]);
  await pool.query(INSERT_OBJECT, ['scratch', `${profile}/notes.txt`]);
  await pool.query(INSERT_AUDIT, [auditActor, profile]);
  await pool.query(INSERT_JOB, [profile]);
  return profile;
}

/**
 * P: owned by `owner`, shared with `manager` and `viewer`; granted to `provider`
 * (observations and documents only, live), `expired` (all, expired yesterday) and
 * `revoked` (all, revoked). Q: owned by `unrelated`, granted to a provider who is
 * not an actor. Each has one row in every clinical table, a document, its file, a
 * file in another bucket, an audit entry and a job.
 */
export async function buildWorld(db: TestDatabase): Promise<World> {
  const pool = db.pool;
  await pool.query(`insert into storage.buckets (id, name, public) values ('scratch', 'scratch', false)`);
  const users = {
    owner: await createUser(pool),
    manager: await createUser(pool),
    viewer: await createUser(pool),
    unrelated: await createUser(pool),
    provider: await createUser(pool),
    expired: await createUser(pool),
    revoked: await createUser(pool),
  };
  const p = await seedProfile(pool, users.owner, users.viewer);
  const q = await seedProfile(pool, users.unrelated, users.unrelated);
  await addMember(pool, p, users.manager, 'manager');
  await addMember(pool, p, users.viewer, 'viewer');
  const grant = (profileId: string, providerId: string, grantedBy: string, categories: string[], extra = {}) =>
    grantAccess(pool, { profileId, providerId, grantedBy, categories, ...extra });
  const providerId = await createProvider(pool, users.provider);
  const activeGrant = await grant(p, providerId, users.owner, ['observations', 'documents']);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  await grant(p, await createProvider(pool, users.expired), users.owner, ALL_CATEGORIES, { expiresAt: yesterday });
  await grant(p, await createProvider(pool, users.revoked), users.owner, ALL_CATEGORIES, { revoked: true });
  await grant(q, await createProvider(pool, await createUser(pool)), users.unrelated, ALL_CATEGORIES);
  const callers = {
    ...(Object.fromEntries(Object.entries(users).map(([actor, id]) => [actor, asUser(id)])) as Record<keyof typeof users, Caller>),
    anon: anonCaller,
    service: serviceCaller,
  };
  return { p, q, users, callers, activeGrant, providerId };
}
