import * as assert from 'uvu/assert';
import { rebuildJourney, recomputeJourney } from '../../../src/consumers/journey/recompute.js';
import { deleteRecord, insertRecord, journeySnapshot, lab, updateRecord } from '../../helpers/clinical.js';
import { createDocument, createProfile, createUser } from '../../helpers/fixtures.js';
import { databaseSuite } from '../../helpers/suite.js';

const test = databaseSuite('journey: rebuild');

/** A deterministic pseudo-random walk of inserts, corrections and deletions. */
function random(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

test('a rebuild from the records equals the journey built incrementally through inserts, edits and deletes', async ({ db }) => {
  const { pool } = db;
  const owner = await createUser(pool);
  const profile = await createProfile(pool, owner);
  const docs = [await createDocument(pool, profile, owner), await createDocument(pool, profile, owner)];
  const next = random(7);
  const live: { table: 'observations' | 'medications' | 'conditions'; id: string }[] = [];
  const analytes = [
    ['Glucose', 'mmol/L', 5, 'mg/dL', 90], ['Creatinine', 'umol/L', 80, 'mg/dL', 0.9], ['Haemoglobin', 'g/L', 140, 'g/dL', 14],
    ['Ferritin', 'ug/L', 100, 'ug/L', 100], ['Weird marker', 'U/L', 10, 'mg/L', 3],
  ] as const;
  for (let round = 0; round < 12; round++) {
    for (let i = 0; i < 15; i++) {
      const roll = next();
      if (roll < 0.6) {
        const [name, unitA, valueA, unitB, valueB] = analytes[Math.floor(next() * analytes.length)]!;
        const alt = next() < 0.3;
        const day = 1 + Math.floor(next() * 27);
        const id = await insertRecord(pool, 'observations', profile, lab(name, (alt ? valueB : valueA) * (0.8 + next() * 0.4), alt ? unitB : unitA,
          `2026-${String(1 + (round % 12)).padStart(2, '0')}-${String(day).padStart(2, '0')}T0${Math.floor(next() * 9)}:00:00Z`,
          { source_document_id: next() < 0.5 ? docs[Math.floor(next() * 2)] : null, reference_low: alt ? null : valueA * 0.7, reference_high: alt ? null : valueA * 1.2 }));
        live.push({ table: 'observations', id });
      } else if (roll < 0.7) {
        live.push({ table: 'medications', id: await insertRecord(pool, 'medications', profile, { name: `Drug ${Math.floor(next() * 6)}`, start_date: '2026-02-01' }) });
      } else if (roll < 0.75) {
        live.push({ table: 'conditions', id: await insertRecord(pool, 'conditions', profile, { name: `Problem ${Math.floor(next() * 4)}` }) });
      } else if (live.length > 0) {
        const victim = live[Math.floor(next() * live.length)]!;
        const action = next();
        if (action < 0.4) {
          await deleteRecord(pool, victim.table, victim.id);
          live.splice(live.indexOf(victim), 1);
        } else if (victim.table === 'observations') {
          await updateRecord(pool, 'observations', victim.id, action < 0.7
            ? { value_numeric: Math.round(next() * 200) }
            : action < 0.85 ? { effective_at: '2026-06-15T12:00:00Z' } : { status: 'entered-in-error' });
        } else if (victim.table === 'medications') {
          await updateRecord(pool, 'medications', victim.id, { status: 'stopped', end_date: '2026-09-01' });
        } else {
          await updateRecord(pool, 'conditions', victim.id, { clinical_status: 'resolved' });
        }
      }
    }
    await pool.query(`update public.documents set status = 'processed' where id = $1::uuid`, [docs[round % 2]]);
    // Recompute every few rounds, so batches mix inserts, edits and deletes of one record.
    if (round % 3 !== 1) await recomputeJourney(pool, profile);
  }
  await recomputeJourney(pool, profile);

  const incremental = await journeySnapshot(pool, profile);
  assert.ok(incremental.points.length > 50, `a meaningful history (${incremental.points.length} points)`);
  assert.ok(incremental.points.some((p) => !p.convertible), 'some units do not convert');
  const result = await rebuildJourney(pool, profile);
  assert.ok(result.records > incremental.points.length);
  const rebuilt = await journeySnapshot(pool, profile);
  assert.equal(rebuilt, incremental);
  assert.is((await recomputeJourney(pool, profile)).changes, 0, 'the rebuild consumed the pending changes');
});

test('a rebuild repairs a damaged journey, and leaves changes committed after its snapshot for the next recompute', async ({ db }) => {
  const { pool } = db;
  const owner = await createUser(pool);
  const profile = await createProfile(pool, owner);
  await insertRecord(pool, 'observations', profile, lab('Glucose', 5.5, 'mmol/L', '2026-01-01T00:00:00Z'));
  await recomputeJourney(pool, profile);
  const good = await journeySnapshot(pool, profile);
  await pool.query(`update public.journey_lab_series set point_count = 99, unit = 'mg/dL' where profile_id = $1::uuid`, [profile]);
  await pool.query(`delete from public.journey_timeline where profile_id = $1::uuid`, [profile]);
  await rebuildJourney(pool, profile);
  assert.equal(await journeySnapshot(pool, profile), good);

  await insertRecord(pool, 'observations', profile, lab('Glucose', 6.5, 'mmol/L', '2026-02-01T00:00:00Z'));
  assert.is((await recomputeJourney(pool, profile)).changes, 1);
  assert.is((await journeySnapshot(pool, profile)).series[0]!.point_count, 2);
});

test.run();
