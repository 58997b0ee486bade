import * as assert from 'uvu/assert';
import { runDailySweep } from '../../../src/consumers/decision-support/daily-sweep.js';
import { evaluateProfile } from '../../../src/consumers/decision-support/evaluate-profile.js';
import { insertRecord } from '../../helpers/clinical.js';
import { createProfile, createUser } from '../../helpers/fixtures.js';
import { databaseSuite } from '../../helpers/suite.js';

const test = databaseSuite('decision support: the daily sweep');

test('the sweep queues every live profile with a birth date once per day', async ({ db }) => {
  const { pool } = db;
  const owner = await createUser(pool);
  const baby = await createProfile(pool, owner, { birthDate: '2026-01-10', relationship: 'child' });
  const adult = await createProfile(pool, owner, { birthDate: '1960-03-01' });
  const archived = await createProfile(pool, owner, { birthDate: '1990-01-01' });
  await pool.query(`update public.profiles set archived_at = now() where id = $1::uuid`, [archived]);
  await pool.query(`delete from public.job_queue`);

  const queued = await runDailySweep(pool, new Date('2026-11-25T00:10:00Z'));
  assert.is(queued, 2);
  const jobs = (await pool.query(`select payload->>'profile_id' as profile from public.job_queue where type = 'evaluate_rules' order by 1`)).rows.map((r) => r.profile);
  assert.equal(jobs, [baby, adult].sort());
  assert.is(await runDailySweep(pool, new Date('2026-11-25T13:00:00Z')), null, 'the same day again does nothing');
  assert.is(await runDailySweep(pool, new Date('2026-11-26T00:01:00Z')), 0, 'next day: both still pending, deduplicated');
});

test('an immunisation falls due with no data changing: the evaluation on a later day raises it, a dose given resolves it', async ({ db }) => {
  const { pool } = db;
  await pool.query(`update public.cds_rules set enabled = false`);
  await pool.query(
    `insert into public.cds_rules (key, kind, title, params, severity, source_label, time_based) values
     ('test.schedule', 'overdue_immunization', 'Overdue immunisation',
      '{"grace_days": 30, "schedule": [{"group": "mmr", "label": "Measles, mumps, rubella", "dose": 1, "due_age_months": 12, "match": ["mmr", "measles"]}]}',
      'warning', 'Test schedule', true)`,
  );
  const owner = await createUser(pool);
  const child = await createProfile(pool, owner, { birthDate: '2025-09-01', relationship: 'child' });
  const before = await evaluateProfile(pool, child, { today: new Date('2026-09-15T00:00:00Z') });
  assert.is(before!.findings, 0, 'due at 12 months, within the 30-day grace');
  const after = await evaluateProfile(pool, child, { today: new Date('2026-10-15T00:00:00Z') });
  assert.is(after!.opened, 1);
  const alert = (await pool.query(`select status, categories, summary from public.cds_alerts where profile_id = $1::uuid`, [child])).rows[0];
  assert.equal([alert.status, alert.categories], ['open', ['immunizations']]);
  assert.match(alert.summary, /measles/i);
  await insertRecord(pool, 'immunizations', child, { vaccine: 'MMR (Priorix)', occurrence_date: '2026-10-20', dose_number: 1 });
  const given = await evaluateProfile(pool, child, { today: new Date('2026-10-21T00:00:00Z') });
  assert.is(given!.resolved, 1);
});

test.run();
