import * as assert from 'uvu/assert';
import { recomputeJourney } from '../../../src/consumers/journey/recompute.js';
import { deleteRecord, insertRecord, journeySnapshot, lab, updateRecord } from '../../helpers/clinical.js';
import { addMember, createDocument, createProfile, createUser } from '../../helpers/fixtures.js';
import { databaseSuite } from '../../helpers/suite.js';

const test = databaseSuite<{ owner: string; profile: string }>('journey: incremental recompute');

test.before.each(async (ctx) => {
  ctx.owner = await createUser(ctx.db.pool);
  ctx.profile = await createProfile(ctx.db.pool, ctx.owner, { displayName: 'Sam', relationship: 'child' });
});

const summaryOf = async (ctx: { db: { pool: import('pg').Pool }; profile: string }) =>
  (await ctx.db.pool.query(`select * from public.journey_summaries where profile_id = $1::uuid`, [ctx.profile])).rows[0];
const seriesOf = async (ctx: { db: { pool: import('pg').Pool }; profile: string }, key: string) =>
  (await ctx.db.pool.query(`select * from public.journey_lab_series where profile_id = $1::uuid and series_key = $2::text`, [ctx.profile, key])).rows[0];
const timelineOf = async (ctx: { db: { pool: import('pg').Pool }; profile: string }) =>
  (await ctx.db.pool.query(`select entry_key, kind, title, detail, record_ids, document_ids, occurred_at
                            from public.journey_timeline where profile_id = $1::uuid order by occurred_at, entry_key`, [ctx.profile])).rows;

test('records become a timeline, a summary, converted lab series and counts', async (ctx) => {
  const { pool } = ctx.db;
  const doc = await createDocument(pool, ctx.profile, ctx.owner);
  // A lab report: three glucose results over time (one in mg/dL), a creatinine, a potassium.
  const g1 = await insertRecord(pool, 'observations', ctx.profile, lab('Glucose, fasting', 5.0, 'mmol/L', '2026-01-10T08:00:00Z', { code_system: 'http://loinc.org', code: '1558-6', reference_low: 3.0, reference_high: 5.4 }));
  const g2 = await insertRecord(pool, 'observations', ctx.profile, lab('Glucose, fasting', 108, 'mg/dL', '2026-04-10T08:00:00Z', { code_system: 'http://loinc.org', code: '1558-6' }));
  const g3 = await insertRecord(pool, 'observations', ctx.profile, lab('GLUCOSE FASTING', 7.1, 'mmol/L', '2026-07-10T08:00:00Z', { code_system: 'http://loinc.org', code: '1558-6', source_document_id: doc, reference_low: 3.0, reference_high: 5.4, interpretation: 'H' }));
  await insertRecord(pool, 'observations', ctx.profile, lab('Creatinine', 80, 'umol/L', '2026-07-10T08:00:00Z', { source_document_id: doc }));
  await insertRecord(pool, 'observations', ctx.profile, { name: 'Heart rate', value_numeric: 72, unit: '/min', effective_at: '2026-07-11T09:00:00Z', category: 'vital-signs' });
  const med = await insertRecord(pool, 'medications', ctx.profile, { name: 'Metformin', dose_text: '500 mg twice daily', start_date: '2026-07-12', status: 'active' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Amoxicillin', start_date: '2026-02-01', end_date: '2026-02-08', status: 'completed' });
  await insertRecord(pool, 'conditions', ctx.profile, { name: 'Type 2 diabetes mellitus', onset_date: '2026-07-12' });
  await insertRecord(pool, 'allergies', ctx.profile, { substance: 'Penicillin', criticality: 'high' });
  await insertRecord(pool, 'immunizations', ctx.profile, { vaccine: 'Influenza', occurrence_date: '2026-05-01' });
  await insertRecord(pool, 'encounters', ctx.profile, { type: 'GP visit', start_at: '2026-07-12T01:00:00Z' });

  const result = await recomputeJourney(pool, ctx.profile);
  assert.is(result.changes, 12); // 11 records + the document

  const series = await seriesOf(ctx, 'loinc:1558-6');
  assert.is(series.unit, 'mmol/L');
  assert.is(series.point_count, 3);
  assert.is(Number(series.latest_value), 7.1);
  assert.is(series.direction, 'rising');
  assert.is(Number(series.reference_high), 5.4);
  const points = (await pool.query(`select observation_id, value, unit, convertible from public.journey_lab_points where series_key = 'loinc:1558-6' order by effective_at`)).rows;
  assert.equal(points.map((p) => p.observation_id), [g1, g2, g3]);
  assert.ok(Math.abs(Number(points[1].value) - 5.99) < 0.02, `108 mg/dL is ~5.99 mmol/L, got ${points[1].value}`);
  assert.ok(points.every((p) => p.convertible && p.unit === 'mmol/L'));
  assert.ok(await seriesOf(ctx, 'name:creatinine'));

  const summary = await summaryOf(ctx);
  assert.equal(summary.active_medications.map((m: { name: string }) => m.name), ['Metformin']);
  assert.is(summary.active_medications[0].id, med);
  assert.equal(summary.active_problems.map((c: { name: string }) => c.name), ['Type 2 diabetes mellitus']);
  assert.equal(summary.allergies.map((a: { substance: string }) => a.substance), ['Penicillin']);
  assert.equal(summary.latest_vitals.map((v: { name: string; value: number }) => [v.name, Number(v.value)]), [['Heart rate', 72]]);
  assert.equal(summary.counts, { documents: 1, observations: 5, medications: 2, conditions: 1, allergies: 1, immunizations: 1, encounters: 1 });
  assert.is(summary.documents_in_progress, 1); // the document row is 'uploaded', not processed yet

  const timeline = await timelineOf(ctx);
  const kinds = timeline.map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === 'results').length, 4, 'a results entry per (document, day): 3 manual days + the report');
  const report = timeline.find((e) => e.entry_key === `results:${doc}:2026-07-10`)!;
  assert.is(report.title, '2 results');
  assert.is(report.detail.count, 2);
  assert.is(report.detail.abnormal, 1);
  assert.equal(report.document_ids, [doc]);
  assert.ok(kinds.includes('medication_start') && kinds.includes('medication_stop'), 'the completed course has a start and a stop');
  for (const kind of ['diagnosis', 'allergy', 'immunization', 'encounter', 'document']) assert.ok(kinds.includes(kind), kind);
  assert.is(timeline.length, 4 + 1 + 2 + 1 + 1 + 1 + 1 + 1, 'results 4, metformin start, amoxicillin start+stop, diagnosis, allergy, immunization, encounter, document');
});

test('corrections and deletions flow through: series, summary, timeline and counts follow', async (ctx) => {
  const { pool } = ctx.db;
  const a = await insertRecord(pool, 'observations', ctx.profile, lab('Potassium', 4.0, 'mmol/L', '2026-03-01T00:00:00Z'));
  const b = await insertRecord(pool, 'observations', ctx.profile, lab('Potassium', 4.1, 'mmol/L', '2026-06-01T00:00:00Z'));
  const med = await insertRecord(pool, 'medications', ctx.profile, { name: 'Ramipril', start_date: '2026-01-01' });
  const problem = await insertRecord(pool, 'conditions', ctx.profile, { name: 'Hypertension' });
  await recomputeJourney(pool, ctx.profile);
  assert.is((await seriesOf(ctx, 'name:potassium')).direction, 'stable');

  // A corrected value, a stopped medication, a deleted diagnosis.
  await updateRecord(pool, 'observations', b, { value_numeric: 5.6, status: 'corrected' });
  await updateRecord(pool, 'medications', med, { status: 'stopped', end_date: '2026-08-01' });
  await deleteRecord(pool, 'conditions', problem);
  await recomputeJourney(pool, ctx.profile);

  const series = await seriesOf(ctx, 'name:potassium');
  assert.is(Number(series.latest_value), 5.6);
  assert.is(series.direction, 'rising');
  assert.is(series.point_count, 2);
  const summary = await summaryOf(ctx);
  assert.equal(summary.active_medications, []);
  assert.equal(summary.active_problems, []);
  assert.equal(summary.counts, { observations: 2, medications: 1 });
  const timeline = await timelineOf(ctx);
  assert.ok(timeline.some((e) => e.entry_key === `medication_stop:${med}` && e.occurred_at.toISOString() === '2026-08-01T00:00:00.000Z'));
  assert.not.ok(timeline.some((e) => e.kind === 'diagnosis'));

  // Entered in error: the result leaves its group and its series; deleting the last point drops the series.
  await updateRecord(pool, 'observations', b, { status: 'entered-in-error' });
  await deleteRecord(pool, 'observations', a);
  await recomputeJourney(pool, ctx.profile);
  assert.is(await seriesOf(ctx, 'name:potassium'), undefined);
  assert.not.ok((await timelineOf(ctx)).some((e) => e.kind === 'results'));
  assert.equal((await summaryOf(ctx)).counts, { observations: 1, medications: 1 });
});

test('an edit that moves a result to another day moves it between timeline groups', async (ctx) => {
  const { pool } = ctx.db;
  const x = await insertRecord(pool, 'observations', ctx.profile, lab('Sodium', 140, 'mmol/L', '2026-03-01T10:00:00Z'));
  await insertRecord(pool, 'observations', ctx.profile, lab('Chloride', 100, 'mmol/L', '2026-03-01T10:00:00Z'));
  await recomputeJourney(pool, ctx.profile);
  assert.equal((await timelineOf(ctx)).map((e) => [e.entry_key, e.detail.count]), [['results:manual:2026-03-01', 2]]);
  await updateRecord(pool, 'observations', x, { effective_at: '2026-03-05T10:00:00Z' });
  await recomputeJourney(pool, ctx.profile);
  const entries = await timelineOf(ctx);
  assert.equal(entries.map((e) => [e.entry_key, e.detail.count, e.title]), [
    ['results:manual:2026-03-01', 1, 'Chloride'],
    ['results:manual:2026-03-05', 1, 'Sodium'],
  ]);
});

test('the account aggregate lists every profile a user manages with its open alerts, documents in progress and activity', async (ctx) => {
  const { pool } = ctx.db;
  const own = await createProfile(pool, ctx.owner, { displayName: 'Alex', relationship: 'self' });
  const stranger = await createUser(pool);
  const theirs = await createProfile(pool, stranger, { displayName: 'Someone else' });
  const manager = await createUser(pool);
  await addMember(pool, ctx.profile, manager, 'manager');
  await createDocument(pool, ctx.profile, ctx.owner);
  await createDocument(pool, ctx.profile, ctx.owner);
  await insertRecord(pool, 'medications', own, { name: 'Atorvastatin' });
  await insertRecord(pool, 'medications', theirs, { name: 'Aspirin' });
  for (const id of [ctx.profile, own, theirs]) await recomputeJourney(pool, id);

  const mine = await ctx.db.asUser(ctx.owner, async (c) =>
    (await c.query(`select profile_id, display_name, role, open_alerts, documents_in_progress, last_activity_at from public.account_profiles order by display_name`)).rows);
  assert.equal(mine.map((r) => [r.display_name, r.role, r.open_alerts, r.documents_in_progress]), [['Alex', 'owner', 0, 0], ['Sam', 'owner', 0, 2]]);
  assert.ok(mine.every((r) => r.last_activity_at instanceof Date));
  const managed = await ctx.db.asUser(manager, async (c) => (await c.query(`select display_name, role from public.account_profiles`)).rows);
  assert.equal(managed, [{ display_name: 'Sam', role: 'manager' }]);
});

test('a burst of 200 records is drained by one recompute, and a second finds nothing to do', async (ctx) => {
  const { pool } = ctx.db;
  const client = await pool.connect();
  try {
    for (let i = 0; i < 200; i++) {
      await insertRecord(client, 'observations', ctx.profile, lab(`Analyte ${i % 20}`, i, 'mmol/L', `2026-01-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`));
    }
  } finally {
    client.release();
  }
  const pending = (await pool.query(`select count(*)::int as n from public.job_queue where type = 'recompute_journey' and dedupe_key = $1::text`, [ctx.profile])).rows[0].n;
  assert.is(pending, 1, 'one pending job for the whole burst');
  assert.is((await recomputeJourney(pool, ctx.profile)).changes, 200);
  assert.is((await recomputeJourney(pool, ctx.profile)).changes, 0);
  const snapshot = await journeySnapshot(pool, ctx.profile);
  assert.is(snapshot.series.length, 20);
  assert.is(snapshot.points.length, 200);
  assert.is(snapshot.timeline.length, 28);
});

test.run();
