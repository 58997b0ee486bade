/**
 * A DELETE reaches only subscribers who could read the deleted row
 * (the table's select policies evaluated on the row as it was, as each subscriber), and
 * carries its primary key; nobody else learns that it happened, or its key.
 *
 * "Receives nothing" is proven with a barrier: the feed handles changes one at a time
 * in commit order, so once a later change has reached a subscriber, every earlier
 * change that could have reached it has.
 */
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { deletedRowAccess } from '../../src/realtime/deleted-row-access.js';
import { PUBLISHED_TABLES } from '../../src/realtime/row-reader.js';
import { changeFeedSuite, fakeSub, heardBefore, type FakeSubscription } from '../helpers/change-feed-suite.js';
import { createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { until } from '../helpers/suite.js';

const test = changeFeedSuite('realtime DELETE visibility');

/** A change to the subscriber's own profile that it must receive: after it, nothing earlier is still on its way. */
async function barrier(pool: pg.Pool, sub: FakeSubscription, profileId: string, userId: string): Promise<void> {
  const id = await createDocument(pool, profileId, userId);
  await until(() => sub.got.some((d) => d.data.table === 'documents' && d.data.record.id === id));
}

const deletesOf = (sub: FakeSubscription) => sub.got.filter((d) => d.data.type === 'DELETE');

async function labSeries(pool: pg.Pool, profileId: string, seriesKey: string): Promise<void> {
  await pool.query(
    `insert into public.journey_lab_series (profile_id, series_key, name, category) values ($1::uuid, $2::text, 'Glucose', 'laboratory')`,
    [profileId, seriesKey],
  );
}

async function summary(pool: pg.Pool, profileId: string): Promise<void> {
  await pool.query(`insert into public.journey_summaries (profile_id) values ($1::uuid) on conflict do nothing`, [profileId]);
}

test('a deleted document reaches its owner with its key, and no stranger subscribed to the table', async (ctx) => {
  await ctx.feed.start();
  const { pool } = ctx.db;
  const id = await createDocument(pool, ctx.profileA, ctx.userA);
  const owner = fakeSub(ctx.userA, [{ id: 1, table: 'documents', event: 'DELETE' }]);
  // Every way of asking for documents' DELETEs: the table, the schema, every schema, a filter on A's profile.
  const stranger = fakeSub(ctx.userB, [
    { id: 1, table: 'documents', event: 'DELETE' },
    { id: 2, table: '*', event: '*' },
    { id: 3, schema: '*', table: '*', event: 'DELETE' },
    { id: 4, table: 'documents', event: '*', filter: `profile_id=eq.${ctx.profileA}` },
  ]);
  ctx.registry.add(owner);
  ctx.registry.add(stranger);
  await pool.query(`delete from public.documents where id = $1::uuid`, [id]);
  await until(() => deletesOf(owner).length === 1);
  assert.equal(deletesOf(owner)[0]!.data.old_record, { id });
  assert.equal(deletesOf(owner)[0]!.data.record, {});
  await barrier(pool, stranger, ctx.profileB, ctx.userB);
  assert.equal(deletesOf(stranger), []);
  assert.equal(stranger.got.map((d) => d.data.record.profile_id), [ctx.profileB]);
});

test('a profile-keyed row (journey_summaries, journey_lab_series) never reveals its profile id to a stranger', async (ctx) => {
  await ctx.feed.start();
  const { pool } = ctx.db;
  await summary(pool, ctx.profileA);
  await labSeries(pool, ctx.profileA, 'loinc:2345-7');
  const member = await createUser(pool);
  await pool.query(`insert into public.profile_members (profile_id, user_id, role) values ($1::uuid, $2::uuid, 'viewer')`, [ctx.profileA, member]);
  const tables = [{ id: 1, table: 'journey_summaries' }, { id: 2, table: 'journey_lab_series' }, { id: 3, table: 'documents' }];
  const atMember = fakeSub(member, tables);
  const stranger = fakeSub(ctx.userB, tables);
  ctx.registry.add(atMember);
  ctx.registry.add(stranger);
  await pool.query(`delete from public.journey_lab_series where profile_id = $1::uuid`, [ctx.profileA]);
  await pool.query(`delete from public.journey_summaries where profile_id = $1::uuid`, [ctx.profileA]);
  await until(() => deletesOf(atMember).length === 2);
  await barrier(pool, stranger, ctx.profileB, ctx.userB);
  assert.equal(deletesOf(stranger), []);
  assert.ok(!JSON.stringify(stranger.got).includes(ctx.profileA), 'the stranger never saw A\'s profile id');
  // The member of A's profile receives both, each with its real key.
  assert.equal(deletesOf(atMember).map((d) => [d.data.table, d.data.old_record]), [
    ['journey_lab_series', { profile_id: ctx.profileA, series_key: 'loinc:2345-7' }],
    ['journey_summaries', { profile_id: ctx.profileA }],
  ]);
  // Nor does a NOTIFY payload carry it (or anything but version ids).
  await labSeries(pool, ctx.profileA, 'name:glucose');
  await pool.query(`delete from public.journey_lab_series where profile_id = $1::uuid`, [ctx.profileA]);
  const sent = await heardBefore(ctx);
  assert.ok(sent.length >= 2 && sent.every((p) => !p.includes(ctx.profileA) && !p.toLowerCase().includes('glucose')));
});

test('a provider receives a DELETE only in the categories granted: lab series with observations, no documents, no summary, no alert drawing on more', async (ctx) => {
  await ctx.feed.start();
  const { pool } = ctx.db;
  const doctor = await createUser(pool);
  const ownProfile = await createProfile(pool, doctor); // for the barrier
  const provider = await createProvider(pool, doctor);
  await grantAccess(pool, { profileId: ctx.profileA, providerId: provider, grantedBy: ctx.userA, categories: ['observations', 'medications'] });
  const document = await createDocument(pool, ctx.profileA, ctx.userA);
  await labSeries(pool, ctx.profileA, 'loinc:718-7');
  await summary(pool, ctx.profileA);
  const alert = (categories: string) => pool.query<{ id: string }>(
    `insert into public.cds_alerts (profile_id, rule_id, fingerprint, severity, summary, categories)
     select $1::uuid, r.id, $3::text, 'warning', 'Check', $2::text[] from public.cds_rules r order by r.key limit 1 returning id`,
    [ctx.profileA, categories, randomUUID().replace(/-/g, '').repeat(2)],
  ).then((r) => r.rows[0]!.id);
  const narrow = await alert('{medications}');
  const broad = await alert('{medications,allergies}');
  const atDoctor = fakeSub(doctor, ['documents', 'journey_lab_series', 'journey_summaries', 'cds_alerts'].map((table, i) => ({ id: i + 1, table })));
  const atOwner = fakeSub(ctx.userA, [{ id: 1, table: '*', event: 'DELETE' }]);
  ctx.registry.add(atDoctor);
  ctx.registry.add(atOwner);
  await pool.query(`delete from public.documents where id = $1::uuid`, [document]);
  await pool.query(`delete from public.journey_lab_series where profile_id = $1::uuid`, [ctx.profileA]);
  await pool.query(`delete from public.journey_summaries where profile_id = $1::uuid`, [ctx.profileA]);
  await pool.query(`delete from public.cds_alerts where id = any($1::uuid[])`, [[narrow, broad]]);
  await until(() => deletesOf(atOwner).length === 5);
  await barrier(pool, atDoctor, ownProfile, doctor);
  assert.equal(deletesOf(atDoctor).map((d) => [d.data.table, d.data.old_record]), [
    ['journey_lab_series', { profile_id: ctx.profileA, series_key: 'loinc:718-7' }],
    ['cds_alerts', { id: narrow }],
  ]);
  assert.equal(deletesOf(atOwner).map((d) => d.data.table), ['documents', 'journey_lab_series', 'journey_summaries', 'cds_alerts', 'cds_alerts']);
});

test('service_role receives every DELETE; strangers cost no read (only users with access to the profile are asked)', async (ctx) => {
  await ctx.feed.start();
  const { pool } = ctx.db;
  const id = await createDocument(pool, ctx.profileA, ctx.userA);
  const service = fakeSub('service', [{ id: 1, table: 'documents', event: 'DELETE' }]);
  const strangers = await Promise.all([1, 2, 3].map(() => createUser(pool)));
  const atStrangers = strangers.map((user) => fakeSub(user, [{ id: 1, table: 'documents', event: 'DELETE' }]));
  for (const sub of [service, ...atStrangers]) ctx.registry.add(sub);
  ctx.reads = 0;
  await pool.query(`delete from public.documents where id = $1::uuid`, [id]);
  await until(() => service.got.length === 1);
  assert.equal(service.got[0]!.data.old_record, { id });
  assert.is(ctx.reads, 0);
  assert.ok(atStrangers.every((s) => s.got.length === 0));
});

test('the policies decide: a restrictive policy added while the feed runs withholds the next DELETE', async (ctx) => {
  await ctx.feed.start();
  const { pool } = ctx.db;
  const [first, second, third] = [await createDocument(pool, ctx.profileA, ctx.userA), await createDocument(pool, ctx.profileA, ctx.userA), await createDocument(pool, ctx.profileA, ctx.userA)];
  const owner = fakeSub(ctx.userA, [{ id: 1, table: 'documents' }]);
  ctx.registry.add(owner);
  await pool.query(`delete from public.documents where id = $1::uuid`, [first]);
  await until(() => deletesOf(owner).length === 1); // the policies are cached now
  // Hides documents named 'hidden.pdf' from everyone (a restrictive policy is AND-ed).
  await pool.query(`update public.documents set file_name = 'hidden.pdf' where id = $1::uuid`, [second]);
  await pool.query(`create policy "test: hide hidden.pdf" on public.documents as restrictive for select to authenticated using (file_name <> 'hidden.pdf')`);
  try {
    await pool.query(`delete from public.documents where id = any($1::uuid[])`, [[second, third]]);
    await barrier(pool, owner, ctx.profileA, ctx.userA);
    assert.equal(deletesOf(owner).map((d) => d.data.old_record.id), [first, third]);
  } finally {
    await pool.query(`drop policy "test: hide hidden.pdf" on public.documents`);
  }
});

test('every published table\'s select policies, evaluated on a stored row as each caller: its owner could read it, a stranger not', async (ctx) => {
  const { pool } = ctx.db;
  // A profile of its own: one row in each table.
  const owner = await createUser(pool);
  const profile = await createProfile(pool, owner);
  await createDocument(pool, profile, owner);
  await labSeries(pool, profile, 'loinc:2345-7');
  await summary(pool, profile);
  await pool.query(
    `insert into public.journey_timeline (profile_id, entry_key, kind, category, occurred_at, title, record_table, record_ids)
     values ($1::uuid, 'document:x', 'document', 'documents', now(), 'Report', 'documents', '{}')`,
    [profile],
  );
  await pool.query(
    `insert into public.journey_lab_points (observation_id, profile_id, series_key, effective_at, value, convertible, original_value)
     values (gen_random_uuid(), $1::uuid, 'loinc:2345-7', now(), 5.4, true, 5.4)`,
    [profile],
  );
  await pool.query(
    `insert into public.cds_alerts (profile_id, rule_id, fingerprint, severity, summary, categories)
     select $1::uuid, r.id, repeat('f', 64), 'warning', 'Check', '{medications}' from public.cds_rules r order by r.key limit 1`,
    [profile],
  );
  const access = deletedRowAccess(pool, ctx.callerPool);
  const claims = (sub: string) => ({ sub, role: 'authenticated', aud: 'authenticated' });
  for (const table of PUBLISHED_TABLES.values()) {
    // The row as the trigger keeps it (to_jsonb with TimeZone UTC), and the same row of a profile nobody here can read.
    const { rows } = await pool.query<{ row: string }>(
      `select to_jsonb(t)::text as row from ${table.schema}.${table.table} t where t.profile_id = $1::uuid
       union all select (to_jsonb(t) || jsonb_build_object('profile_id', gen_random_uuid()))::text from ${table.schema}.${table.table} t where t.profile_id = $1::uuid`,
      [profile],
    );
    assert.is(rows.length, 2, table.table);
    assert.equal([...(await access.readable(claims(owner), table, rows.map((r) => r.row)))], [0], `${table.table}: the owner`);
    assert.equal([...(await access.readable(claims(ctx.userB), table, rows.map((r) => r.row)))], [], `${table.table}: a stranger`);
  }
});

test.run();
