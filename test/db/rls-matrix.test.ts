/**
 * Row-level security as a matrix, part 1: what every actor can SELECT, INSERT,
 * UPDATE and DELETE of profile P (and of Q, the unrelated user's profile), written
 * down cell by cell so loosening any policy or grant fails a row. Actors, fixture and
 * outcome codes: test/helpers/rls.ts. Part 2 (rls-matrix-rules.test.ts) covers the
 * job queue, the audit trail, forged claims and revocation.
 *
 * Every probe runs in its own transaction as its caller and is rolled back, so each
 * cell sees the same fixture.
 */
import * as assert from 'uvu/assert';
import { assumeCaller } from '../../src/db/as-caller.js';
import { databaseSuite } from '../helpers/suite.js';
import {
  CLINICAL, D, INSERT_CLINICAL, INSERT_DOCUMENT, R, SCOPES, buildWorld, count, countOf, expectRow, inRolledBackTx, probe,
  type Row, type Target, type World,
} from '../helpers/rls.js';

const test = databaseSuite<{ w: World }>('rls matrix: select, insert, update, delete');
test.before(async (ctx) => {
  ctx.w = await buildWorld(ctx.db);
});

// ---- SELECT --------------------------------------------------------------------------

//                                          owner mgr viewer unrel prov  exp  rev  anon service
const SEE_P: Record<Target, Row> = {
  profiles:          /* P itself */         [1,   1,  1,     0,    1,    0,   0,   D,   1],
  profile_members:   /* owner+mgr+viewer */ [3,   3,  3,     0,    0,    0,   0,   D,   3],
  documents:                                [1,   1,  1,     0,    1,    0,   0,   D,   1],
  observations:      /* granted category */ [1,   1,  1,     0,    1,    0,   0,   D,   1],
  medications:                              [1,   1,  1,     0,    0,    0,   0,   D,   1],
  conditions:                               [1,   1,  1,     0,    0,    0,   0,   D,   1],
  allergies:                                [1,   1,  1,     0,    0,    0,   0,   D,   1],
  immunizations:                            [1,   1,  1,     0,    0,    0,   0,   D,   1],
  encounters:                               [1,   1,  1,     0,    0,    0,   0,   D,   1],
  procedures:                               [1,   1,  1,     0,    0,    0,   0,   D,   1],
  access_grants:     /* providers: own */   [3,   0,  0,     0,    1,    1,   1,   D,   3],
  audit_log:         /* owner only */       [1,   0,  0,     0,    0,    0,   0,   D,   1],
  job_queue:                                [D,   D,  D,     D,    D,    D,   D,   D,   1],
  'storage.objects': /* no anon policy */   [1,   1,  1,     0,    1,    0,   0,   0,   1],
  'storage.objects (other bucket)':         [0,   0,  0,     0,    0,    0,   0,   0,   1],
};
// Q belongs to `unrelated`: only they and the service role see any of it.
const SEE_Q: Record<Target, Row> = {
  profiles:                                 [0,   0,  0,     1,    0,    0,   0,   D,   1],
  profile_members:                          [0,   0,  0,     1,    0,    0,   0,   D,   1],
  documents:                                [0,   0,  0,     1,    0,    0,   0,   D,   1],
  observations:                             [0,   0,  0,     1,    0,    0,   0,   D,   1],
  medications:                              [0,   0,  0,     1,    0,    0,   0,   D,   1],
  conditions:                               [0,   0,  0,     1,    0,    0,   0,   D,   1],
  allergies:                                [0,   0,  0,     1,    0,    0,   0,   D,   1],
  immunizations:                            [0,   0,  0,     1,    0,    0,   0,   D,   1],
  encounters:                               [0,   0,  0,     1,    0,    0,   0,   D,   1],
  procedures:                               [0,   0,  0,     1,    0,    0,   0,   D,   1],
  access_grants:                            [0,   0,  0,     1,    0,    0,   0,   D,   1],
  audit_log:                                [0,   0,  0,     1,    0,    0,   0,   D,   1],
  job_queue:                                [D,   D,  D,     D,    D,    D,   D,   D,   1],
  'storage.objects':                        [0,   0,  0,     1,    0,    0,   0,   0,   1],
  'storage.objects (other bucket)':         [0,   0,  0,     0,    0,    0,   0,   0,   1],
};

test('SELECT: each actor sees exactly its share of profile P, table by table', async ({ db, w }) => {
  for (const [t, row] of Object.entries(SEE_P) as [Target, Row][]) {
    await expectRow(w, `SELECT ${t} of P`, row, (caller) => count(db, caller, countOf(t), [w.p]));
  }
});

test("SELECT: Q's rows are seen by Q's owner and the service role only", async ({ db, w }) => {
  for (const [t, row] of Object.entries(SEE_Q) as [Target, Row][]) {
    await expectRow(w, `SELECT ${t} of Q`, row, (caller) => count(db, caller, countOf(t), [w.q]));
  }
});

test("SELECT: a live grant without the 'documents' category shows no documents or files", async ({ db, w }) => {
  await inRolledBackTx(db, 'superuser', async (c) => {
    await c.query(`update public.access_grants set categories = '{observations}' where id = $1::uuid`, [w.activeGrant]);
    await assumeCaller(c, w.callers.provider);
    for (const [t, n] of [['observations', 1], ['profiles', 1], ['documents', 0], ['storage.objects', 0]] as const) {
      assert.is((await c.query<{ n: number }>(countOf(t), [w.p])).rows[0]?.n, n, `observations-only provider: ${t}`);
    }
    return 0;
  });
});

// ---- INSERT / UPDATE / DELETE --------------------------------------------------------

const WRITE_TARGETS = [...CLINICAL, 'documents', 'storage.objects'] as const;
type WriteTarget = (typeof WRITE_TARGETS)[number];
//                                       owner mgr viewer unrel prov exp rev anon service
const INSERT_ROW: Row =                 [1,    1,  R,     R,    R,   R,  R,  D,   1];
const CHANGE_ROW: Row =                 [1,    1,  0,     0,    0,   0,  0,  D,   1];
// No WHERE clause, so no SELECT policy filters first: only the UPDATE/DELETE policy
// decides. Each user reaches their own profile's row (unrelated: Q's), service both.
const BLIND_ROW: Row =                  [1,    1,  0,     1,    0,   0,  0,  D,   2];
// storage.objects is granted to anon (Supabase default) with no anon policy: RLS decides.
const INSERT_OBJECT_ROW: Row =          [1,    1,  R,     R,    R,   R,  R,  R,   1];
const CHANGE_OBJECT_ROW: Row =          [1,    1,  0,     0,    0,   0,  0,  0,   1];
const BLIND_OBJECT_ROW: Row =           [1,    1,  0,     1,    0,   0,  0,  0,   4]; // service: + 2 other-bucket files
const isObject = (t: WriteTarget) => t === 'storage.objects';

function insertSql(t: WriteTarget): string {
  if (t === 'documents') return INSERT_DOCUMENT;
  if (t === 'storage.objects') return `insert into storage.objects (bucket_id, name) values ('documents', $1::text || '/' || gen_random_uuid()::text || '/new.pdf')`;
  return INSERT_CLINICAL[t];
}
function setSql(t: WriteTarget): string {
  const set = t === 'documents' ? `file_name = 'renamed.pdf'` : isObject(t) ? `metadata = '{}'::jsonb` : `extractor = 'manual'`;
  return `update ${SCOPES[t][0]} set ${set}`;
}
const ofP = (t: WriteTarget) => ` where ${SCOPES[t][1]} = $1::uuid`;

test('INSERT for P: owners, managers and the service may; readers and providers hit RLS; anon lacks the privilege', async ({ db, w }) => {
  for (const t of WRITE_TARGETS) {
    const row = isObject(t) ? INSERT_OBJECT_ROW : INSERT_ROW;
    await expectRow(w, `INSERT into ${t} for P`, row, (caller) => probe(db, caller, insertSql(t), [w.p]));
  }
});

test("UPDATE and DELETE of P's rows: owners, managers and the service affect 1 row; everyone else matches 0", async ({ db, w }) => {
  for (const t of WRITE_TARGETS) {
    const row = isObject(t) ? CHANGE_OBJECT_ROW : CHANGE_ROW;
    await expectRow(w, `UPDATE ${t} of P`, row, (caller) => probe(db, caller, setSql(t) + ofP(t), [w.p]));
    await expectRow(w, `DELETE ${t} of P`, row, (caller) => probe(db, caller, `delete from ${SCOPES[t][0]}` + ofP(t), [w.p]));
  }
});

test('UPDATE and DELETE without WHERE reach only rows the caller may edit (UPDATE/DELETE policies alone)', async ({ db, w }) => {
  for (const t of WRITE_TARGETS) {
    const row = isObject(t) ? BLIND_OBJECT_ROW : BLIND_ROW;
    await expectRow(w, `blind UPDATE ${t}`, row, (caller) => probe(db, caller, setSql(t)));
    await expectRow(w, `blind DELETE ${t}`, row, (caller) => probe(db, caller, `delete from ${SCOPES[t][0]}`));
  }
});

test('a row cannot move to another profile: profile_id is not updatable by users, files stay in editable folders', async ({ db, w }) => {
  for (const t of [...CLINICAL, 'documents'] as const) {
    const move = `update public.${t} set profile_id = $2::uuid where profile_id = $1::uuid`;
    assert.is(await probe(db, w.callers.owner, move, [w.p, w.q]), D, `P's owner moving P's ${t} row into Q`);
    assert.is(await probe(db, w.callers.unrelated, move, [w.q, w.p]), D, `Q's owner moving Q's ${t} row into P`);
  }
  const moveFile = `update storage.objects set name = $2::text || '/stolen.pdf' where private.object_profile_id(name) = $1::uuid and bucket_id = 'documents'`;
  assert.is(await probe(db, w.callers.owner, moveFile, [w.p, w.q]), R, "P's owner moving P's file into Q's folder");
});

test.run();
