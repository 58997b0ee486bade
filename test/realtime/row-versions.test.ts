/**
 * Each change goes out as the version of the row it wrote (migration 1500), stamped with
 * its commit's time where Postgres tracks it, and never wider than the row is now.
 */
import * as assert from 'uvu/assert';
import pg from 'pg';
import { inTransaction } from '../../src/db/transaction.js';
import { purgeRowVersions } from '../../src/realtime/row-versions.js';
import { changeFeedSuite, fakeSub } from '../helpers/change-feed-suite.js';
import { createDocument, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { until } from '../helpers/suite.js';

const test = changeFeedSuite('realtime row versions');

test('each change delivers the version it wrote: two updates in one transaction arrive as two versions, in order', async (ctx) => {
  await ctx.feed.start();
  const id = await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  const sub = fakeSub(ctx.userA, [{ id: 1, table: 'documents', event: 'UPDATE', filter: `id=eq.${id}` }]);
  ctx.registry.add(sub);
  await inTransaction(ctx.db.pool, async (client) => {
    await client.query(`update public.documents set status = 'queued' where id = $1::uuid`, [id]);
    await client.query(`update public.documents set status = 'processing', pages_total = 2, pages_done = 0 where id = $1::uuid`, [id]);
    await client.query(`update public.documents set pages_done = 1 where id = $1::uuid`, [id]);
  });
  await until(() => sub.got.length === 3);
  assert.equal(sub.got.map((d) => [d.data.record.status, d.data.record.pages_done]), [['queued', null], ['processing', 0], ['processing', 1]]);
});

test('a version that drew on more categories than the row does now is withheld; a narrower one is delivered', async (ctx) => {
  await ctx.feed.start();
  const { pool } = ctx.db;
  const doctor = await createUser(pool);
  const provider = await createProvider(pool, doctor);
  await grantAccess(pool, { profileId: ctx.profileA, providerId: provider, grantedBy: ctx.userA, categories: ['medications'] });
  const atDoctor = fakeSub(doctor, [{ id: 1, table: 'cds_alerts' }]);
  const atOwner = fakeSub(ctx.userA, [{ id: 1, table: 'cds_alerts' }]);
  ctx.registry.add(atDoctor);
  ctx.registry.add(atOwner);
  const alert = async (db: Pick<pg.Pool, 'query'>, summary: string, categories: string, fingerprint: string) => (await db.query<{ id: string }>(
    `insert into public.cds_alerts (profile_id, rule_id, fingerprint, severity, summary, categories)
     select $1::uuid, r.id, $4::text, 'warning', $2::text, $3::text[] from public.cds_rules r order by r.key limit 1
     returning id`,
    [ctx.profileA, summary, categories, fingerprint.repeat(64)],
  )).rows[0]!.id;
  /** An alert written, then rewritten with other categories, in one transaction. */
  const rewritten = (first: [string, string], then: [string, string], fingerprint: string) => inTransaction(pool, async (client) => {
    const id = await alert(client, first[0], first[1], fingerprint);
    await client.query(`update public.cds_alerts set summary = $2::text, categories = $3::text[] where id = $1::uuid`, [id, then[0], then[1]]);
  });
  // Narrowed: the first version drew on allergies too, which the doctor may not read.
  await rewritten(['Broad', '{medications,allergies}'], ['Narrow', '{medications}'], 'a');
  // Widened: the first version (medications only) is fine for the doctor; the second is not.
  await rewritten(['Was narrow', '{medications}'], ['Now broad', '{medications,allergies}'], 'b');
  // A barrier the doctor may read: everything before it has been handled.
  await alert(pool, 'Barrier', '{medications}', 'c');
  await until(() => atDoctor.got.some((d) => d.data.record.summary === 'Barrier'));
  await until(() => atOwner.got.some((d) => d.data.record.summary === 'Barrier'));
  assert.equal(atDoctor.got.map((d) => d.data.record.summary), ['Narrow', 'Barrier']);
  assert.equal(atOwner.got.map((d) => d.data.record.summary), ['Narrow', 'Was narrow', 'Now broad', 'Barrier']);
});

test('commit_timestamp is the commit\'s time where the server tracks it (the embedded Postgres), else the statement\'s', async (ctx) => {
  await ctx.feed.start();
  const sub = fakeSub(ctx.userA, [{ id: 1, table: 'documents', event: 'INSERT' }]);
  ctx.registry.add(sub);
  const tracked = (await ctx.db.pool.query<{ on: boolean }>(`select current_setting('track_commit_timestamp') = 'on' as on`)).rows[0]!.on;
  let insertedAt = 0;
  await inTransaction(ctx.db.pool, async (client) => {
    await createDocument(client as unknown as pg.Pool, ctx.profileA, ctx.userA);
    insertedAt = Date.now();
    await client.query('select pg_sleep(0.3)'); // the commit comes 300 ms after the insert
  });
  await until(() => sub.got.length === 1);
  const afterInsertMs = Date.parse(sub.got[0]!.data.commit_timestamp) - insertedAt;
  if (tracked) assert.ok(afterInsertMs >= 250, `commit_timestamp ${afterInsertMs} ms after the insert`);
  else assert.ok(afterInsertMs < 200, `commit_timestamp ${afterInsertMs} ms after the insert`);
});

test('row versions older than five minutes are purged, newer ones kept', async (ctx) => {
  await ctx.db.pool.query(
    `insert into private.realtime_row_versions (written_at, profile_id, record)
     values (now() - interval '6 minutes', $1::uuid, '{"old": true}'), (now() - interval '4 minutes', $1::uuid, '{"old": false}')`,
    [ctx.profileA],
  );
  await purgeRowVersions(ctx.db.pool);
  const left = (await ctx.db.pool.query(`select record from private.realtime_row_versions where record ? 'old'`)).rows;
  assert.equal(left, [{ record: { old: false } }]);
});

test.run();
