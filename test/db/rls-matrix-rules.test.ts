/**
 * Row-level security as a matrix, part 2: the service-only job queue, the
 * append-only audit trail, forged and missing JWT claims, read-only provider access
 * and grant revocation. Actors, fixture and outcome codes: test/helpers/rls.ts.
 *
 * Probes run in rolled-back transactions; only the revocation test (last) commits.
 */
import * as assert from 'uvu/assert';
import { serviceCaller, type Caller } from '../../src/db/as-caller.js';
import { databaseSuite } from '../helpers/suite.js';
import {
  CLINICAL, D, INSERT_AUDIT, INSERT_CLINICAL, INSERT_JOB, R, TARGETS, buildWorld, count, countAll, countOf, expectRow,
  probe, sqlState, type Actor, type World,
} from '../helpers/rls.js';

const test = databaseSuite<{ w: World }>('rls matrix: queue, audit, claims, grants');
test.before(async (ctx) => {
  ctx.w = await buildWorld(ctx.db);
});

const forgedService = (w: World): Caller => ({ role: 'authenticated', claims: { role: 'service_role', sub: w.users.unrelated } });

test('job_queue: only the service role reads or writes it; every other actor lacks the privilege', async ({ db, w }) => {
  // Only the fixture's own 'probe' jobs (one each for P and Q); triggers enqueue other types.
  const all = `select count(*)::int as n from public.job_queue where type = 'probe'`;
  const update = `update public.job_queue set priority = 9 where type = 'probe'`;
  const del = `delete from public.job_queue where type = 'probe'`;
  //                                       owner mgr viewer unrel prov exp rev anon service
  await expectRow(w, 'SELECT job_queue', [D,   D,  D,     D,    D,   D,  D,  D,   2], (caller) => count(db, caller, all));
  await expectRow(w, 'INSERT job_queue', [D,   D,  D,     D,    D,   D,  D,  D,   1], (caller) => probe(db, caller, INSERT_JOB, [w.p]));
  await expectRow(w, 'UPDATE job_queue', [D,   D,  D,     D,    D,   D,  D,  D,   2], (caller) => probe(db, caller, update));
  await expectRow(w, 'DELETE job_queue', [D,   D,  D,     D,    D,   D,  D,  D,   2], (caller) => probe(db, caller, del));
  assert.is(await count(db, forgedService(w), all), D, 'a forged service_role claim on the authenticated role reads nothing');
  assert.is(await probe(db, forgedService(w), INSERT_JOB, [w.p]), D, 'nor enqueues');
});

test('audit_log is append-only for every role, the service role and the superuser included', async ({ db, w }) => {
  const update = `update public.audit_log set outcome = 'denied' where profile_id = $1::uuid`;
  const del = `delete from public.audit_log where profile_id = $1::uuid`;
  // The API roles (service_role too) hold no UPDATE/DELETE privilege; the trigger stops the superuser.
  await expectRow(w, 'UPDATE audit_log', [D, D, D, D, D, D, D, D, D], (caller) => probe(db, caller, update, [w.p]));
  await expectRow(w, 'DELETE audit_log', [D, D, D, D, D, D, D, D, D], (caller) => probe(db, caller, del, [w.p]));
  assert.is(await probe(db, 'superuser', update, [w.p]), 'append-only', 'superuser UPDATE');
  assert.is(await probe(db, 'superuser', del, [w.p]), 'append-only', 'superuser DELETE');
  assert.is(await probe(db, 'superuser', 'truncate public.audit_log'), 'append-only', 'superuser TRUNCATE');
  assert.is(await probe(db, serviceCaller, 'truncate public.audit_log'), D, 'service TRUNCATE');
  assert.is(await count(db, 'superuser', countAll('audit_log')), 2, 'both audit rows survive');
});

test('audit_log: a user appends entries only in their own name, about profiles they reach (the service: any)', async ({ db, w }) => {
  const self = (a: Actor) => (a === 'anon' || a === 'service' ? w.users.owner : w.users[a]);
  const other = (a: Actor) => (a === 'unrelated' ? w.users.owner : w.users.unrelated);
  //                                                      owner mgr viewer unrel prov exp rev anon service
  // …and only about a profile they can reach (member, or a live grant).
  await expectRow(w, 'INSERT audit_log as self', /* */  [1,    1,  1,     R,    1,   R,  R,  D,   1], (caller, a) =>
    probe(db, caller, INSERT_AUDIT, [self(a), w.p]));
  await expectRow(w, 'INSERT audit_log as another user', [R,   R,  R,     R,    R,   R,  R,  D,   1], (caller, a) =>
    probe(db, caller, INSERT_AUDIT, [other(a), w.p]));
  const byDefault = `insert into public.audit_log (actor_kind, profile_id, action, outcome) values ('user', $1::uuid, 'profile.read', 'success')`;
  assert.is(await probe(db, w.callers.viewer, byDefault, [w.p]), 1, 'actor_user_id defaults to auth.uid()');
  assert.is(await probe(db, w.callers.viewer, INSERT_AUDIT, [null, w.p]), R, 'a null actor is not "own"');
});

test('forged claims: a "service_role" claim on the authenticated role sees nothing of P and no queue', async ({ db, w }) => {
  for (const t of TARGETS) {
    assert.is(await count(db, forgedService(w), countOf(t), [w.p]), t === 'job_queue' ? D : 0, `forged: ${t} of P`);
  }
  assert.is(await count(db, forgedService(w), countOf('profiles'), [w.q]), 1, 'it is only the user its sub names');
});

test('missing sub sees no rows anywhere; a non-uuid sub makes every policy check error out', async ({ db }) => {
  const noSub: Caller = { role: 'authenticated', claims: {} };
  for (const t of TARGETS) {
    assert.is(await count(db, noSub, countAll(t)), t === 'job_queue' ? D : 0, `no sub: all of ${t}`);
  }
  const badSub: Caller = { role: 'authenticated', claims: { role: 'authenticated', sub: 'not-a-uuid' } };
  for (const t of ['profiles', 'profile_members', 'documents', ...CLINICAL, 'access_grants', 'audit_log', 'storage.objects'] as const) {
    assert.is(await sqlState(db, badSub, countAll(t)), '22P02', `non-uuid sub: ${t} raises invalid_text_representation`);
  }
});

test('a granted provider reads observations of P but cannot insert, update or delete them', async ({ db, w }) => {
  const provider = w.callers.provider;
  assert.is(await count(db, provider, countOf('observations'), [w.p]), 1);
  assert.is(await probe(db, provider, INSERT_CLINICAL.observations, [w.p]), R);
  assert.is(await probe(db, provider, `update public.observations set value_numeric = 99 where profile_id = $1::uuid`, [w.p]), 0);
  assert.is(await probe(db, provider, `delete from public.observations where profile_id = $1::uuid`, [w.p]), 0);
  assert.is(await count(db, 'superuser', countOf('observations'), [w.p]), 1, 'the row is still there');
});

test('sharing: only the owner shares, changes roles or grants; a member may leave; the owner row stays', async ({ db, w }) => {
  const own = (a: Actor) => (a === 'anon' || a === 'service' ? w.users.owner : w.users[a]);
  const rename = `update public.profiles set display_name = 'Renamed' where id = $1::uuid`;
  const share = `insert into public.profile_members (profile_id, user_id, role) values ($1::uuid, $2::uuid, 'viewer')`;
  const promote = `update public.profile_members set role = 'manager' where profile_id = $1::uuid and user_id = $2::uuid`;
  const remove = `delete from public.profile_members where profile_id = $1::uuid and user_id = $2::uuid`;
  const removeOwner = `delete from public.profile_members where profile_id = $1::uuid and role = 'owner'`;
  const grant = `insert into public.access_grants (profile_id, provider_id, categories, granted_by)
    values ($1::uuid, $2::uuid, '{medications}', $3::uuid)`;
  //                                                    owner mgr viewer unrel prov exp rev anon service
  await expectRow(w, 'UPDATE profiles P',               [1,    1,  0,     0,    0,   0,  0,  D,   1], (c) => probe(db, c, rename, [w.p]));
  await expectRow(w, 'share P with unrelated',          [1,    R,  R,     R,    R,   R,  R,  D,   1], (c) =>
    probe(db, c, share, [w.p, w.users.unrelated]));
  await expectRow(w, 'promote the viewer',              [1,    0,  0,     0,    0,   0,  0,  D,   1], (c) =>
    probe(db, c, promote, [w.p, w.users.viewer]));
  await expectRow(w, 'remove the viewer (or leave)',    [1,    0,  1,     0,    0,   0,  0,  D,   1], (c) =>
    probe(db, c, remove, [w.p, w.users.viewer]));
  await expectRow(w, 'remove the owner membership',     [0,    0,  0,     0,    0,   0,  0,  D,   1], (c) => probe(db, c, removeOwner, [w.p]));
  await expectRow(w, 'INSERT access_grants for P',      [1,    R,  R,     R,    R,   R,  R,  D,   1], (c, a) =>
    probe(db, c, grant, [w.p, w.providerId, own(a)]));
});

// Commits: keep this test last.
test('provenance, status and ownership cannot be forged: recorded_by, uploaded state, audit actor, profile moves', async ({ db, w }) => {
  const manager = w.callers.manager;
  const spoofRecorder = `insert into public.observations (profile_id, name, value_numeric, recorded_by, extractor)
    values ($1::uuid, 'Glucose', 5, $2::uuid, 'ocr-v9')`;
  assert.is(await probe(db, manager, spoofRecorder, [w.p, w.users.owner]), R, 'recorded_by must be the caller');
  assert.is(await probe(db, manager, spoofRecorder, [w.p, w.users.manager]), 1, 'recorded as themselves is fine');
  const processedDocument = `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, status, processed_at)
    select d.id, $1::uuid, $1::text || '/' || d.id::text || '/x.pdf', 'x.pdf', 'application/pdf', 1, repeat('a', 64), 'processed', now()
    from (select gen_random_uuid() as id) d`;
  assert.is(await probe(db, manager, processedDocument, [w.p]), D, 'a user cannot create a document as already processed');
  const spoofAudit = `insert into public.audit_log (actor_kind, profile_id, action, outcome, details)
    values ('service', $1::uuid, 'profile.export', 'success', '{"note":"forged"}')`;
  assert.is(await probe(db, w.callers.owner, spoofAudit, [w.p]), R, 'a user cannot write as the service');
  const move = `update public.observations set profile_id = $2::uuid where profile_id = $1::uuid`;
  assert.is(await sqlState(db, serviceCaller, move, [w.p, w.q]), '23514', 'not even the service role moves a record between profiles');
});

test('revoking a grant: owner only, effective in the next transaction, and final', async ({ db, w }) => {
  const revoke = `update public.access_grants set revoked_at = now() where id = $1::uuid`;
  const revokeAll = `update public.access_grants set revoked_at = now()`; // no WHERE: the UPDATE policy alone decides
  const unrevoke = `update public.access_grants set revoked_at = null where id = $1::uuid`;
  const extend = `update public.access_grants set expires_at = now() + interval '1 year' where id = $1::uuid`;
  for (const actor of ['manager', 'viewer', 'provider', 'expired'] as const) {
    assert.is(await probe(db, w.callers[actor], revoke, [w.activeGrant]), 0, `${actor} cannot revoke`);
    assert.is(await probe(db, w.callers[actor], revokeAll), 0, `${actor} cannot revoke blindly`);
  }
  assert.is(await probe(db, w.callers.provider, extend, [w.activeGrant]), 0, 'the provider cannot extend its own grant');
  assert.is(await probe(db, w.callers.unrelated, revoke, [w.activeGrant]), 0, "Q's owner cannot revoke P's grant");
  assert.is(await count(db, w.callers.provider, countOf('observations'), [w.p]), 1, 'before revocation');

  const revoked = await db.as(w.callers.owner, async (c) => (await c.query(revoke, [w.activeGrant])).rowCount);
  assert.is(revoked, 1, 'the owner revokes');
  for (const t of ['observations', 'documents', 'profiles', 'storage.objects'] as const) {
    assert.is(await count(db, w.callers.provider, countOf(t), [w.p]), 0, `next transaction: ${t} gone`);
  }
  // check_violation from the freeze trigger, whoever asks (bypassing RLS does not skip triggers).
  for (const who of [w.callers.owner, serviceCaller, 'superuser'] as const) {
    assert.is(await sqlState(db, who, unrevoke, [w.activeGrant]), '23514', 'a revoked grant cannot be un-revoked');
    assert.is(await sqlState(db, who, extend, [w.activeGrant]), '23514', 'nor changed');
  }
  assert.is(await count(db, w.callers.provider, countOf('observations'), [w.p]), 0, 'still revoked');
});

test.run();
