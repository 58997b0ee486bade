import * as assert from 'uvu/assert';
import { loadFacts } from '../../../src/consumers/decision-support/facts.js';
import { insertRecord } from '../../helpers/clinical.js';
import { createProfile, createUser } from '../../helpers/fixtures.js';
import { databaseSuite } from '../../helpers/suite.js';

const test = databaseSuite<{ profile: string }>('decision support: facts');

test.before.each(async (ctx) => {
  ctx.profile = await createProfile(ctx.db.pool, await createUser(ctx.db.pool));
});

test('results load as numbers, instants as ISO 8601 in UTC (milliseconds), oldest first, with their series keys', async (ctx) => {
  const { pool } = ctx.db;
  const hba1c = await insertRecord(pool, 'observations', ctx.profile, {
    name: 'HbA1c', code_system: 'http://loinc.org', code: '4548-4', value_numeric: '6.85', unit: '%',
    reference_low: '4.0', reference_high: '5.9', effective_at: '2026-03-02T21:20:30.123456+11:00',
  });
  const glucose = await insertRecord(pool, 'observations', ctx.profile, {
    name: 'Glucose, fasting', value_numeric: '0.1', unit: 'mmol/L', effective_at: '2025-12-31T23:59:59.999Z',
  });
  const text = await insertRecord(pool, 'observations', ctx.profile, { name: 'Urine colour', value_text: 'amber', effective_at: null });
  await insertRecord(pool, 'observations', ctx.profile, { name: 'HbA1c', value_numeric: '9', status: 'entered-in-error', effective_at: '2026-01-01' });

  const facts = await loadFacts(pool, ctx.profile, new Date('2026-11-26T12:00:00Z'));
  assert.ok(facts);
  assert.is(facts.today, '2026-11-26');
  const [first, second, third] = facts.observations;
  assert.is(facts.observations.length, 3, 'entered-in-error is left out');
  assert.equal([first!.id, second!.id, third!.id], [glucose, hba1c, text]);
  assert.equal(second, {
    id: hba1c, series_key: 'loinc:4548-4', name: 'HbA1c', code_system: 'http://loinc.org', code: '4548-4', category: second!.category,
    value_numeric: 6.85, value_text: null, unit: '%', reference_low: 4, reference_high: 5.9, interpretation: null,
    effective_at: '2026-03-02T10:20:30.123Z', status: second!.status,
  });
  assert.is(first!.value_numeric, 0.1);
  assert.is(first!.series_key, 'name:glucose fasting');
  assert.is(first!.effective_at, '2025-12-31T23:59:59.999Z');
  // No effective time: the row's creation time stands in.
  const created = (await pool.query(`select created_at from public.observations where id = $1::uuid`, [text])).rows[0].created_at as Date;
  assert.is(third!.effective_at, created.toISOString());
  assert.is(third!.value_numeric, null);
  assert.is(third!.value_text, 'amber');
});

test('a result name is keyed by what it is coded as: a missing system and an empty one are not the same', async (ctx) => {
  const { pool } = ctx.db;
  // Same name and LOINC-shaped code; only a null system makes the code count as LOINC.
  const unsystemed = await insertRecord(pool, 'observations', ctx.profile, { name: 'Sodium', code: '2951-2', value_numeric: '140', effective_at: '2026-01-01' });
  const empty = await insertRecord(pool, 'observations', ctx.profile, { name: 'Sodium', code_system: '', code: '2951-2', value_numeric: '141', effective_at: '2026-01-02' });
  const facts = await loadFacts(pool, ctx.profile, new Date());
  const keys = new Map(facts!.observations.map((o) => [o.id, o.series_key]));
  assert.is(keys.get(unsystemed), 'loinc:2951-2');
  assert.is(keys.get(empty), 'name:sodium');
});

test.run();
