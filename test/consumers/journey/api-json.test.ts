import * as assert from 'uvu/assert';
import { rebuildJourney } from '../../../src/consumers/journey/recompute.js';
import { insertRecord } from '../../helpers/clinical.js';
import { createProfile, createUser } from '../../helpers/fixtures.js';
import { databaseSuite } from '../../helpers/suite.js';

const test = databaseSuite<{ profile: string }>('journey: stored api JSON (migration 1900)');

test.before.each(async (ctx) => {
  ctx.profile = await createProfile(ctx.db.pool, await createUser(ctx.db.pool));
  await insertRecord(ctx.db.pool, 'observations', ctx.profile, {
    name: 'Potassium', value_numeric: '5.25', unit: 'mmol/L', reference_low: '3.5', reference_high: '5.2',
    effective_at: '2026-02-03T04:05:06.789123Z',
  });
  await rebuildJourney(ctx.db.pool, ctx.profile);
});

const rows = async (ctx: { db: { pool: import('pg').Pool }; profile: string }) => ({
  entries: (await ctx.db.pool.query(`select * from public.journey_timeline where profile_id = $1::uuid`, [ctx.profile])).rows,
  series: (await ctx.db.pool.query(`select * from public.journey_lab_series where profile_id = $1::uuid`, [ctx.profile])).rows,
});

test('every entry and series header carries its own row as the api writes it', async (ctx) => {
  const { entries, series } = await rows(ctx);
  assert.is(entries.length, 1);
  const [entry] = entries;
  assert.equal(JSON.parse(entry.api_json), {
    id: entry.id, kind: entry.kind, category: entry.category, occurred_at: '2026-02-03T04:05:06.789Z', title: entry.title,
    detail: entry.detail, record_table: 'observations', record_ids: entry.record_ids, document_ids: [],
  });
  assert.equal(JSON.parse(series[0].api_json), {
    series_key: 'name:potassium', name: series[0].name, code_system: null, code: null, category: series[0].category,
    unit: 'mmol/L', point_count: 1, latest_value: 5.25, latest_at: '2026-02-03T04:05:06.789Z',
    reference_low: 3.5, reference_high: 5.2, direction: null,
  });
});

test('the stored JSON follows every update, and cannot be written around', async (ctx) => {
  const { pool } = ctx.db;
  const { entries } = await rows(ctx);
  await pool.query(`update public.journey_timeline set title = 'Edited', api_json = '{"forged":true}' where id = $1::uuid`, [entries[0].id]);
  await pool.query(`update public.journey_lab_series set latest_value = 4.5 where profile_id = $1::uuid`, [ctx.profile]);
  const after = await rows(ctx);
  assert.is(JSON.parse(after.entries[0].api_json).title, 'Edited');
  assert.not.ok(JSON.parse(after.entries[0].api_json).forged);
  assert.is(JSON.parse(after.series[0].api_json).latest_value, 4.5);
});

test.run();
