import * as assert from 'uvu/assert';
import { toCdsHooksCard } from '../../../src/consumers/decision-support/card.js';
import { evaluateProfile } from '../../../src/consumers/decision-support/evaluate-profile.js';
import { deleteRecord, insertRecord, updateRecord } from '../../helpers/clinical.js';
import { addMember, createProfile, createProvider, createUser, grantAccess } from '../../helpers/fixtures.js';
import { databaseSuite } from '../../helpers/suite.js';

const test = databaseSuite<{ owner: string; profile: string }>('decision support: alerts');

// Only this suite's own rules run, so the assertions do not depend on the catalogue.
test.before(async ({ db }) => {
  await db.pool.query(`update public.cds_rules set enabled = false`);
  await db.pool.query(
    `insert into public.cds_rules (key, kind, title, params, severity, source_label, source_url) values
     ('test.warfarin-nsaid', 'drug_interaction', 'Warfarin with an NSAID',
      '{"a": ["warfarin"], "b": ["ibuprofen", "naproxen"], "effect": "bleeding risk"}', 'critical',
      'Phansalkar et al., JAMIA 2012', 'https://doi.org/10.1136/amiajnl-2011-000612'),
     ('test.penicillin-allergy', 'drug_allergy', 'Medication in an allergy class',
      '{"classes": {"penicillin": ["amoxicillin", "flucloxacillin"]}}', 'critical', 'Test source', null)`,
  );
});

test.before.each(async (ctx) => {
  ctx.owner = await createUser(ctx.db.pool);
  ctx.profile = await createProfile(ctx.db.pool, ctx.owner);
});

const alertsOf = async (ctx: { db: { pool: import('pg').Pool }; profile: string }) =>
  (await ctx.db.pool.query(
    `select a.*, r.key as rule_key from public.cds_alerts a join public.cds_rules r on r.id = a.rule_id
     where a.profile_id = $1::uuid order by r.key`, [ctx.profile])).rows;

test('an interaction opens one alert; re-evaluating neither duplicates nor rewrites it', async (ctx) => {
  const { pool } = ctx.db;
  const warfarin = await insertRecord(pool, 'medications', ctx.profile, { name: 'Warfarin 5 mg' });
  const ibuprofen = await insertRecord(pool, 'medications', ctx.profile, { name: 'Ibuprofen' });
  const first = await evaluateProfile(pool, ctx.profile);
  assert.equal([first!.opened, first!.updated, first!.resolved], [1, 0, 0]);
  const [alert] = await alertsOf(ctx);
  assert.is(alert.rule_key, 'test.warfarin-nsaid');
  assert.is(alert.status, 'open');
  assert.is(alert.severity, 'critical');
  assert.equal(alert.categories, ['medications']);
  assert.equal(alert.evidence.map((e: { id: string }) => e.id).sort(), [warfarin, ibuprofen].sort());
  assert.match(alert.fingerprint, /^[0-9a-f]{64}$/);

  const again = await evaluateProfile(pool, ctx.profile);
  assert.equal([again!.opened, again!.updated, again!.resolved], [0, 0, 0]);
  const [same] = await alertsOf(ctx);
  assert.is(same.id, alert.id);
  assert.equal(same.updated_at, alert.updated_at, 'an unchanged alert is not written');
  assert.is((await pool.query(`select open_alerts from public.journey_summaries where profile_id = $1::uuid`, [ctx.profile])).rows[0].open_alerts, 1);
});

test('an alert resolves when its condition stops holding, and reopens when it returns', async (ctx) => {
  const { pool } = ctx.db;
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Warfarin' });
  const nsaid = await insertRecord(pool, 'medications', ctx.profile, { name: 'Naproxen' });
  await evaluateProfile(pool, ctx.profile);
  await updateRecord(pool, 'medications', nsaid, { status: 'stopped', end_date: '2026-11-01' });
  const stopped = await evaluateProfile(pool, ctx.profile);
  assert.is(stopped!.resolved, 1);
  const [resolved] = await alertsOf(ctx);
  assert.is(resolved.status, 'resolved');
  assert.ok(resolved.resolved_at instanceof Date);
  assert.is((await pool.query(`select open_alerts from public.journey_summaries where profile_id = $1::uuid`, [ctx.profile])).rows[0].open_alerts, 0);

  await deleteRecord(pool, 'medications', nsaid);
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Naproxen 250 mg' });
  await evaluateProfile(pool, ctx.profile);
  const [reopened] = await alertsOf(ctx);
  assert.is(reopened.id, resolved.id, 'same fingerprint, same alert (names, not record ids)');
  assert.is(reopened.status, 'open');
  assert.is(reopened.resolved_at, null);
});

test('owners and managers acknowledge or dismiss; who and when are stamped; nothing is deleted', async (ctx) => {
  const { pool } = ctx.db;
  const viewer = await createUser(pool);
  const manager = await createUser(pool);
  await addMember(pool, ctx.profile, viewer, 'viewer');
  await addMember(pool, ctx.profile, manager, 'manager');
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Warfarin' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Flucloxacillin' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Ibuprofen' });
  await insertRecord(pool, 'allergies', ctx.profile, { substance: 'Penicillin' });
  await evaluateProfile(pool, ctx.profile);
  const [allergy, interaction] = await alertsOf(ctx);
  assert.is(allergy.rule_key, 'test.penicillin-allergy');
  assert.equal(allergy.categories.sort(), ['allergies', 'medications']);

  const byViewer = await ctx.db.asUser(viewer, (c) => c.query(`update public.cds_alerts set status = 'acknowledged' where id = $1::uuid`, [interaction.id]));
  assert.is(byViewer.rowCount, 0, 'a viewer cannot acknowledge');
  await ctx.db.asUser(ctx.owner, (c) => c.query(`update public.cds_alerts set status = 'acknowledged', acknowledged_by = null where id = $1::uuid`, [interaction.id]))
    .then(() => assert.unreachable('acknowledged_by is not the client\'s to write'), (e: Error) => assert.match(e.message, /permission denied/));
  await ctx.db.asUser(ctx.owner, (c) => c.query(`update public.cds_alerts set status = 'acknowledged' where id = $1::uuid`, [interaction.id]));
  await ctx.db.asUser(manager, (c) => c.query(`update public.cds_alerts set status = 'dismissed', dismiss_reason = 'discussed with GP' where id = $1::uuid`, [allergy.id]));
  const error = await ctx.db.asUser(ctx.owner, (c) => c.query(`update public.cds_alerts set status = 'resolved' where id = $1::uuid`, [interaction.id])).catch((e: Error) => e);
  assert.match((error as Error).message, /cannot become resolved/);
  const deleted = await ctx.db.asUser(ctx.owner, (c) => c.query(`delete from public.cds_alerts where id = $1::uuid`, [interaction.id])).catch((e: Error) => e);
  assert.match((deleted as Error).message, /permission denied/);

  await evaluateProfile(pool, ctx.profile);
  const [dismissed, acknowledged] = await alertsOf(ctx);
  assert.equal([dismissed.status, dismissed.dismissed_by, dismissed.dismiss_reason], ['dismissed', manager, 'discussed with GP']);
  assert.equal([acknowledged.status, acknowledged.acknowledged_by], ['acknowledged', ctx.owner]);
  assert.ok(acknowledged.acknowledged_at instanceof Date);
  assert.is((await pool.query(`select open_alerts from public.journey_summaries where profile_id = $1::uuid`, [ctx.profile])).rows[0].open_alerts, 0);
});

test('alerts are visible exactly to those who may read every category they draw on', async (ctx) => {
  const { pool } = ctx.db;
  const who: Record<string, string> = {};
  for (const name of ['viewer', 'unrelated', 'medsOnly', 'medsAndAllergies']) who[name] = await createUser(pool);
  await addMember(pool, ctx.profile, who.viewer!, 'viewer');
  await grantAccess(pool, { profileId: ctx.profile, providerId: await createProvider(pool, who.medsOnly!), grantedBy: ctx.owner, categories: ['medications'] });
  await grantAccess(pool, { profileId: ctx.profile, providerId: await createProvider(pool, who.medsAndAllergies!), grantedBy: ctx.owner, categories: ['medications', 'allergies'] });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Warfarin' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Amoxicillin' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Ibuprofen' });
  await insertRecord(pool, 'allergies', ctx.profile, { substance: 'Penicillin' });
  await evaluateProfile(pool, ctx.profile);
  const seen = async (user: string) => ctx.db.asUser(user, async (c) =>
    (await c.query(`select r.key from public.cds_alerts a join public.cds_rules r on r.id = a.rule_id order by r.key`)).rows.map((r) => r.key));
  assert.equal(await seen(ctx.owner), ['test.penicillin-allergy', 'test.warfarin-nsaid']);
  assert.equal(await seen(who.viewer!), ['test.penicillin-allergy', 'test.warfarin-nsaid']);
  assert.equal(await seen(who.unrelated!), []);
  assert.equal(await seen(who.medsOnly!), ['test.warfarin-nsaid']);
  assert.equal(await seen(who.medsAndAllergies!), ['test.penicillin-allergy', 'test.warfarin-nsaid']);
});

test('a rule with broken parameters is skipped and keeps its alerts; the other rules still run', async (ctx) => {
  const { pool } = ctx.db;
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Warfarin' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Ibuprofen' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Amoxicillin' });
  await insertRecord(pool, 'allergies', ctx.profile, { substance: 'Penicillin' });
  await evaluateProfile(pool, ctx.profile);
  await pool.query(`update public.cds_rules set params = '{"a": "not a list"}' where key = 'test.warfarin-nsaid'`);
  try {
    const result = await evaluateProfile(pool, ctx.profile);
    assert.equal(result!.failedRules, ['test.warfarin-nsaid']);
    assert.equal((await alertsOf(ctx)).map((a) => [a.rule_key, a.status]), [['test.penicillin-allergy', 'open'], ['test.warfarin-nsaid', 'open']]);
  } finally {
    await pool.query(`update public.cds_rules set params = '{"a": ["warfarin"], "b": ["ibuprofen", "naproxen"], "effect": "bleeding risk"}' where key = 'test.warfarin-nsaid'`);
  }
  // Disabling a rule resolves its alerts.
  await pool.query(`update public.cds_rules set enabled = false where key = 'test.penicillin-allergy'`);
  try {
    await evaluateProfile(pool, ctx.profile);
    assert.equal((await alertsOf(ctx)).map((a) => [a.rule_key, a.status]), [['test.penicillin-allergy', 'resolved'], ['test.warfarin-nsaid', 'open']]);
  } finally {
    await pool.query(`update public.cds_rules set enabled = true where key = 'test.penicillin-allergy'`);
  }
});

test('a stored alert renders as a CDS Hooks card', async (ctx) => {
  const { pool } = ctx.db;
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Warfarin' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Ibuprofen' });
  await evaluateProfile(pool, ctx.profile);
  const [alert] = await alertsOf(ctx);
  const rule = (await pool.query(`select * from public.cds_rules where id = $1::uuid`, [alert.rule_id])).rows[0];
  const card = toCdsHooksCard(alert, rule);
  assert.is(card.uuid, alert.id);
  assert.is(card.indicator, 'critical');
  assert.is(card.summary, alert.summary);
  assert.ok(card.summary.length <= 140);
  assert.equal(card.source, { label: 'Phansalkar et al., JAMIA 2012', url: 'https://doi.org/10.1136/amiajnl-2011-000612' });
  assert.is(card.detail, alert.detail);
});

test.run();
