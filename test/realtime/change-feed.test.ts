import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { CHANGE_FEED_APPLICATION_NAME, REALTIME_CHANNEL } from '../../src/realtime/change-feed.js';
import { matchesFilter } from '../../src/realtime/row-reader.js';
import { changeFeedSuite, fakeSub, heardBefore } from '../helpers/change-feed-suite.js';
import { createDocument } from '../helpers/fixtures.js';
import { until } from '../helpers/suite.js';

const test = changeFeedSuite('realtime change feed');

test('with no fresh gateway heartbeat, writes send no NOTIFY', async (ctx) => {
  const { db } = ctx;
  await db.pool.query('delete from private.realtime_gateways');
  await createDocument(db.pool, ctx.profileA, ctx.userA);
  assert.equal(await heardBefore(ctx), []);
  // A heartbeat older than 30 s counts as no gateway.
  await db.pool.query(`insert into private.realtime_gateways values ('stale', now() - interval '31 seconds')`);
  await createDocument(db.pool, ctx.profileA, ctx.userA);
  assert.equal(await heardBefore(ctx), []);
  // A fresh one turns the feed on: the id of the row's version, no row data.
  await db.pool.query(`update private.realtime_gateways set seen_at = now() where gateway_id = 'stale'`);
  try {
    const id = await createDocument(db.pool, ctx.profileA, ctx.userA);
    const sent = (await heardBefore(ctx)).map((p) => JSON.parse(p) as Record<string, unknown>);
    assert.is(sent.length, 1);
    assert.equal(Object.keys(sent[0]!).sort(), ['op', 's', 't', 'ts', 'v']);
    const [versionId] = sent[0]!.v as number[];
    const kept = (await db.pool.query(`select profile_id, record ->> 'id' as id from private.realtime_row_versions where id = $1::bigint`, [versionId])).rows;
    assert.equal(kept, [{ profile_id: ctx.profileA, id }]);
    // A DELETE keeps the row as it was, with its profile, and sends its version id: no key.
    await db.pool.query(`delete from public.documents where id = $1::uuid`, [id]);
    const deleted = (await heardBefore(ctx)).map((p) => JSON.parse(p) as Record<string, unknown>);
    assert.equal(deleted.map((d) => [d.op, Object.keys(d).sort()]), [['DELETE', ['op', 's', 't', 'ts', 'v']]]);
    const [deletedVersion] = deleted[0]!.v as number[];
    const old = (await db.pool.query(`select profile_id, record ->> 'id' as id from private.realtime_row_versions where id = $1::bigint`, [deletedVersion])).rows;
    assert.equal(old, [{ profile_id: ctx.profileA, id }]);
  } finally {
    await db.pool.query('delete from private.realtime_gateways');
  }
});

test('an INSERT reaches the owner with the row and typed columns; another user gets nothing', async (ctx) => {
  await ctx.feed.start();
  const a = fakeSub(ctx.userA, [{ id: 1, table: 'documents' }]);
  const b = fakeSub(ctx.userB, [{ id: 7, table: 'documents' }]);
  ctx.registry.add(a);
  ctx.registry.add(b);
  const id = await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  await until(() => a.got.length === 1);
  const { data, bindingIds } = a.got[0]!;
  assert.equal(bindingIds, [1]);
  assert.is(data.type, 'INSERT');
  assert.is(data.schema, 'public');
  assert.is(data.table, 'documents');
  assert.is(data.record.id, id);
  assert.is(data.record.profile_id, ctx.profileA);
  assert.equal(data.old_record, {});
  assert.is(data.errors, null);
  const types = new Map(data.columns.map((c) => [c.name, c.type]));
  assert.is(types.get('id'), 'uuid');
  assert.is(types.get('size_bytes')?.startsWith('int'), true);
  assert.is(types.get('file_name'), 'text');
  assert.ok(!Number.isNaN(Date.parse(data.commit_timestamp)));
  // B's read ran too (different claims) and RLS hid the row: a change to B's own profile
  // after A's still reaches B, so B's silence above is not just slowness.
  await createDocument(ctx.db.pool, ctx.profileB, ctx.userB);
  await until(() => b.got.length === 1);
  assert.is(b.got[0]!.data.record.profile_id, ctx.profileB);
  assert.is(a.got.length, 1);
});

test('filters: eq on the profile matches, a different profile does not, in.() and neq work', async (ctx) => {
  await ctx.feed.start();
  const other = randomUUID();
  const sub = fakeSub(ctx.userA, [
    { id: 1, table: 'documents', filter: `profile_id=eq.${ctx.profileA}` },
    { id: 2, table: 'documents', filter: `profile_id=eq.${other}` },
    { id: 3, table: 'documents', filter: `profile_id=in.(${other},${ctx.profileA})` },
    { id: 4, table: 'documents', filter: `profile_id=neq.${ctx.profileA}` },
    { id: 5, table: 'documents', filter: `size_bytes=gt.1000` },
    { id: 6, table: 'documents', filter: `size_bytes=lt.1000` },
  ]);
  const miss = fakeSub(ctx.userA, [{ id: 9, table: 'documents', filter: `profile_id=eq.${other}` }]);
  ctx.registry.add(sub);
  ctx.registry.add(miss);
  await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  await until(() => sub.got.length === 1);
  assert.equal(sub.got[0]!.bindingIds, [1, 3, 5]);
  // Same claims as `sub`: the group's one read served it too, and it matched nothing.
  assert.is(miss.got.length, 0);
});

test('schema-wide bindings (table *) receive changes of every published table', async (ctx) => {
  await ctx.feed.start();
  const sub = fakeSub(ctx.userA, [{ id: 1, table: '*', event: 'INSERT' }]);
  ctx.registry.add(sub);
  await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  await until(() => sub.got.length === 1);
  assert.is(sub.got[0]!.data.table, 'documents');
});

test('filter evaluation by column type', () => {
  const types = new Map([
    ['n', 'int4'],
    ['t', 'timestamptz'],
    ['s', 'text'],
  ]);
  const row = { n: 5, t: new Date('2026-01-02T00:00:00Z'), s: 'b' };
  assert.ok(matchesFilter('n=gte.5', row, types));
  assert.ok(!matchesFilter('n=lt.5', row, types));
  assert.ok(matchesFilter('n=lte.10', row, types)); // numeric, not text ("10" < "5")
  assert.ok(matchesFilter('t=gt.2026-01-01T00:00:00Z', row, types));
  assert.ok(matchesFilter('s=in.(a,"b")', row, types));
  assert.ok(!matchesFilter('s=in.(a,c)', row, types));
  assert.ok(!matchesFilter('missing=eq.1', row, types));
  assert.ok(!matchesFilter('s=like.b', row, types));
  assert.ok(!matchesFilter('garbage', row, types));
});

test('UPDATE carries the new row and the primary key as old_record; DELETE the primary key only, its filters matched on the row as it was', async (ctx) => {
  await ctx.feed.start();
  const id = await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  const sub = fakeSub(ctx.userA, [
    { id: 1, table: 'documents', event: 'UPDATE' },
    { id: 2, table: 'documents', event: 'DELETE' },
    { id: 3, table: 'documents', event: 'DELETE', filter: `id=eq.${id}` },
    { id: 4, table: 'documents', event: 'DELETE', filter: `profile_id=eq.${ctx.profileA}` },
    { id: 5, table: 'documents', event: 'DELETE', filter: `file_name=eq.report.pdf` }, // the old name, not the row's last
  ]);
  const b = fakeSub(ctx.userB, [{ id: 1, table: 'documents', event: 'UPDATE' }]);
  ctx.registry.add(sub);
  ctx.registry.add(b);
  await ctx.db.pool.query(`update public.documents set file_name = 'renamed.pdf' where id = $1::uuid`, [id]);
  await until(() => sub.got.length === 1);
  assert.is(sub.got[0]!.data.type, 'UPDATE');
  assert.equal(sub.got[0]!.bindingIds, [1]);
  assert.is(sub.got[0]!.data.record.file_name, 'renamed.pdf');
  assert.equal(sub.got[0]!.data.old_record, { id });
  await ctx.db.pool.query(`delete from public.documents where id = $1::uuid`, [id]);
  await until(() => sub.got.length === 2);
  const del = sub.got[1]!;
  assert.is(del.data.type, 'DELETE');
  assert.equal(del.bindingIds, [2, 3, 4]);
  assert.equal(del.data.record, {});
  assert.equal(del.data.old_record, { id });
  assert.is(new Map(del.data.columns.map((c) => [c.name, c.type])).get('id'), 'uuid');
  assert.is(b.got.length, 0);
});

test('two subscribers with the same claims cost ONE row read; a failing subscriber does not stop the others', async (ctx) => {
  await ctx.feed.start();
  const broken = fakeSub(ctx.userA, [{ id: 1, table: 'documents' }], { throws: true });
  const s1 = fakeSub(ctx.userA, [{ id: 1, table: 'documents' }]);
  const s2 = fakeSub(ctx.userA, [{ id: 2, table: 'documents' }]);
  const service = fakeSub('service', [{ id: 3, table: 'documents' }]);
  for (const s of [broken, s1, s2, service]) ctx.registry.add(s);
  await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  await until(() => s1.got.length === 1 && s2.got.length === 1 && service.got.length === 1);
  assert.is(ctx.reads, 1); // service_role reads through the superuser pool, not as a caller
  // The feed is still alive after the throw.
  await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  await until(() => s1.got.length === 2);
  assert.is(ctx.reads, 2);
});

test('a 50 kB row still notifies (keys only) and is delivered in full', async (ctx) => {
  await ctx.feed.start();
  const sub = fakeSub(ctx.userA, [{ id: 1, table: 'journey_timeline', filter: `profile_id=eq.${ctx.profileA}` }]);
  ctx.registry.add(sub);
  const big = 'x'.repeat(50_000);
  const { rows } = await ctx.db.pool.query<{ id: string }>(
    `insert into public.journey_timeline (profile_id, entry_key, kind, category, occurred_at, title, detail, record_table, record_ids)
     values ($1::uuid, 'document:big', 'document', 'documents', now(), 'Big', jsonb_build_object('text', $2::text), 'documents', '{}')
     returning id`,
    [ctx.profileA, big],
  );
  await until(() => sub.got.length === 1);
  assert.is(sub.got[0]!.data.record.id, rows[0]!.id);
  assert.is((sub.got[0]!.data.record.detail as { text: string }).text.length, 50_000);
  assert.is(new Map(sub.got[0]!.data.columns.map((c) => [c.name, c.type])).get('detail'), 'jsonb');
  const sent = await heardBefore(ctx);
  assert.ok(sent.every((p) => Buffer.byteLength(p) < 1000));
});

test('a 1,000-row statement is chunked under the 8000-byte limit and every row is delivered', async (ctx) => {
  await ctx.feed.start();
  const sub = fakeSub(ctx.userA, [{ id: 1, table: 'journey_timeline', event: 'INSERT' }]);
  ctx.registry.add(sub);
  await ctx.db.pool.query(
    `insert into public.journey_timeline (profile_id, entry_key, kind, category, occurred_at, title, record_table, record_ids)
     select $1::uuid, 'bulk:' || i, 'document', 'documents', now(), 'Bulk', 'documents', '{}' from generate_series(1, 1000) i`,
    [ctx.profileA],
  );
  await until(() => sub.got.length === 1000);
  const sent = await heardBefore(ctx);
  assert.ok(sent.length >= 4); // ≤ 300 version ids a notice
  assert.ok(sent.every((p) => Buffer.byteLength(p) < 7000));
  // Composite, partly hashed key (journey_lab_series): the analyte never travels in the payload.
  const series = fakeSub(ctx.userA, [{ id: 1, table: 'journey_lab_series' }]);
  ctx.registry.add(series);
  await ctx.db.pool.query(
    `insert into public.journey_lab_series (profile_id, series_key, name, category) values ($1::uuid, 'name:glucose', 'Glucose', 'laboratory')`,
    [ctx.profileA],
  );
  await until(() => series.got.length === 1);
  assert.is(series.got[0]!.data.record.series_key, 'name:glucose');
  const payloads = await heardBefore(ctx);
  assert.ok(payloads.every((p) => !p.toLowerCase().includes('glucose')));
  await ctx.db.pool.query(`delete from public.journey_lab_series where profile_id = $1::uuid`, [ctx.profileA]);
  await until(() => series.got.length === 2);
  // The owner may read the series, so its whole key goes out; the payload still names no analyte.
  assert.equal(series.got[1]!.data.old_record, { profile_id: ctx.profileA, series_key: 'name:glucose' });
  assert.ok((await heardBefore(ctx)).every((p) => !p.toLowerCase().includes('glucose')));
});

test('stop and start again: no crash, the heartbeat row goes and comes back, delivery resumes', async (ctx) => {
  await ctx.feed.start();
  await ctx.feed.stop();
  await ctx.feed.stop(); // idempotent
  assert.is((await ctx.db.pool.query('select count(*)::int as n from private.realtime_gateways')).rows[0].n, 0);
  await ctx.feed.start();
  await ctx.feed.start(); // idempotent
  assert.is((await ctx.db.pool.query('select count(*)::int as n from private.realtime_gateways')).rows[0].n, 1);
  const sub = fakeSub(ctx.userA, [{ id: 1, table: 'documents' }]);
  ctx.registry.add(sub);
  await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  await until(() => sub.got.length === 1);
  // A malformed notify on the channel is ignored, not fatal.
  await ctx.db.pool.query(`select pg_notify($1::text, 'not json'), pg_notify($1::text, '{"s":"public","t":"profiles","op":"INSERT","ts":"x","k":[]}')`, [REALTIME_CHANNEL]);
  await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
  await until(() => sub.got.length === 2);
});

test('the feed survives pg_terminate_backend of its LISTEN connection and delivers again', async (ctx) => {
  await ctx.feed.start();
  const sub = fakeSub(ctx.userA, [{ id: 1, table: 'documents', event: 'INSERT' }]);
  ctx.registry.add(sub);
  const feedPids = async () => (await ctx.db.pool.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and application_name = $1::text`,
    [CHANGE_FEED_APPLICATION_NAME],
  )).rows.map((r) => r.pid);
  const [before] = await until(feedPids);
  await ctx.db.pool.query('select pg_terminate_backend($1::int)', [before]);
  await until(async () => {
    const pids = await feedPids();
    return pids.length === 1 && pids[0] !== before;
  });
  // The new session exists before its LISTEN has run: write until a change gets through.
  await until(async () => {
    await createDocument(ctx.db.pool, ctx.profileA, ctx.userA);
    return sub.got.length > 0;
  }, 10_000, 200);
});

test.run();
