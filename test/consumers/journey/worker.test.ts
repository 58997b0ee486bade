import * as assert from 'uvu/assert';
import { decisionSupportConsumer } from '../../../src/consumers/decision-support/consumer.js';
import { journeyConsumer } from '../../../src/consumers/journey/consumer.js';
import { Worker } from '../../../src/events/worker.js';
import { createLogger } from '../../../src/log.js';
import { insertRecord, lab } from '../../helpers/clinical.js';
import { createProfile, createUser } from '../../helpers/fixtures.js';
import { testSettings } from '../../helpers/jobs.js';
import { databaseSuite, until } from '../../helpers/suite.js';

const test = databaseSuite('journey and rules through the worker');

function startWorker(db: { pool: import('pg').Pool; url: string }) {
  const worker = new Worker({
    pool: db.pool,
    databaseUrl: db.url,
    consumers: [journeyConsumer({ pool: db.pool }), decisionSupportConsumer({ pool: db.pool })],
    settings: testSettings({ pollIntervalMs: 100, completedRetentionHours: 24 }),
    log: createLogger('silent'),
  });
  return worker;
}

test('with the worker stopped, changes wait durably; once it starts, the journey and alerts catch up', async ({ db }) => {
  const { pool } = db;
  const owner = await createUser(pool);
  const profile = await createProfile(pool, owner);
  // No worker is running: records land, their derived jobs and changes wait.
  await insertRecord(pool, 'medications', profile, { name: 'Warfarin' });
  await insertRecord(pool, 'medications', profile, { name: 'Ibuprofen 400 mg' });
  for (let i = 0; i < 5; i++) await insertRecord(pool, 'observations', profile, lab('Creatinine', 80 + 20 * i, 'umol/L', `2026-0${i + 1}-01T00:00:00Z`));
  const waiting = (await pool.query(`select type from public.job_queue where dedupe_key = $1::text and status = 'pending' order by type`, [profile])).rows;
  assert.equal(waiting.map((j) => j.type), ['evaluate_rules', 'recompute_journey']);

  const worker = startWorker(db);
  await worker.start();
  try {
    const series = await until(async () =>
      (await pool.query(`select point_count, direction from public.journey_lab_series where profile_id = $1::uuid`, [profile])).rows[0], 15_000);
    assert.equal(series, { point_count: 5, direction: 'rising' });
    const alerts = await until(async () => {
      const { rows } = await pool.query(`select r.kind from public.cds_alerts a join public.cds_rules r on r.id = a.rule_id
                                         where a.profile_id = $1::uuid and a.status = 'open' order by r.kind`, [profile]);
      return rows.length > 0 ? rows.map((r) => r.kind) : undefined;
    }, 15_000);
    assert.ok(alerts.includes('drug_interaction'), `warfarin + ibuprofen is flagged (got ${alerts.join(', ')})`);
    const summary = await until(async () =>
      (await pool.query(`select active_medications, open_alerts from public.journey_summaries where profile_id = $1::uuid and open_alerts > 0`, [profile])).rows[0]);
    assert.is(summary.active_medications.length, 2);

    // Live: a new record while the worker runs is picked up within the debounce and a poll.
    await insertRecord(pool, 'conditions', profile, { name: 'Atrial fibrillation' });
    const problems = await until(async () => {
      const row = (await pool.query(`select active_problems from public.journey_summaries where profile_id = $1::uuid`, [profile])).rows[0];
      return row?.active_problems.length === 1 ? row.active_problems : undefined;
    });
    assert.is(problems[0].name, 'Atrial fibrillation');
    // Acknowledgements are written in batches: wait for the second, then check there is no third.
    const completed = async () => (await pool.query(`select count(*)::int as n from public.job_queue
      where type = 'recompute_journey' and dedupe_key = $1::text and status = 'completed'`, [profile])).rows[0].n as number;
    await until(async () => (await completed()) >= 2);
    assert.is(await completed(), 2, 'one recompute for the backlog, one for the new record');
  } finally {
    await worker.stop(1000);
  }
});

test.run();
