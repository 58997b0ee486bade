/**
 * The shipped rule catalogue (supabase/migrations/20261125001100_cds_rule_catalogue.sql),
 * as a migrated database holds it: every rule's params fit its kind, the catalogue
 * evaluates cleanly against a large profile, and a few clinical cases come out right.
 */
import * as assert from 'uvu/assert';
import { checkRuleParams, evaluateRules, RULE_KINDS } from '../../../src/consumers/decision-support/evaluate.js';
import type { Rule } from '../../../src/consumers/decision-support/types.js';
import { databaseSuite } from '../../helpers/suite.js';
import { condition, daysAgo, facts, immunization, largeProfile, medication, observation } from './facts-builder.js';

const test = databaseSuite<{ rules: Rule[] }>('decision support: shipped rule catalogue');

test.before(async (ctx) => {
  ctx.rules = (await ctx.db.pool.query<Rule>(
    `select id, key, kind, title, description, params, severity, source_label, source_url, time_based from public.cds_rules order by key`,
  )).rows;
});

test('the catalogue ships the expected number of rules of each kind', ({ rules }) => {
  const perKind = Object.fromEntries(RULE_KINDS.map((k) => [k, rules.filter((r) => r.kind === k).length]));
  assert.equal(perKind, {
    drug_interaction: 10, drug_allergy: 1, lab_out_of_range: 1, lab_trend: 3, overdue_immunization: 1, duplicate_therapy: 1, fhirpath: 1,
  });
});

test("every rule's params pass its kind's schema, and every rule names a source", ({ rules }) => {
  for (const rule of rules) {
    assert.is(checkRuleParams(rule), null, rule.key);
    assert.ok(rule.source_label.length > 3, rule.key);
  }
});

test('the rules that can fire without a data change are marked time based', ({ rules }) => {
  assert.equal(rules.filter((r) => r.time_based).map((r) => r.key), ['immunisation.nip-schedule', 'lab.egfr-falling']);
});

test('all rules evaluate against 50 medications and 2,000 results without a rule error', ({ rules }) => {
  const errors: string[] = [];
  const findings = evaluateRules(rules, largeProfile(), { onRuleError: (r, e) => errors.push(`${r.key}: ${e.message}`) });
  assert.equal(errors, []);
  assert.ok(findings.length > 0);
  for (const f of findings) {
    assert.ok(f.summary.length >= 1 && f.summary.length <= 140, f.summary);
    assert.ok(f.categories.length > 0);
  }
});

test('Australian brands: Marevan with Nurofen is the warfarin–NSAID interaction', ({ rules }) => {
  const findings = evaluateRules(rules, facts({ medications: [medication('Marevan 3mg'), medication('Nurofen 200mg')] }));
  assert.equal(findings.map((f) => [f.rule.key, f.subject, f.severity]), [['ddi.warfarin-nsaid', 'ibuprofen+warfarin', 'critical']]);
});

test('a 10-month-old with the 2- and 4-month vaccines is overdue for the 6-month doses only', ({ rules }) => {
  const given = ['2026-03-01', '2026-05-01'].flatMap((d) => [immunization('Infanrix hexa', d), immunization('Prevenar 13', d), immunization('Rotarix', d)]);
  const child = facts({ profile: { id: 'c', birth_date: '2026-01-01', sex: 'male' }, immunizations: given });
  const findings = evaluateRules(rules, child);
  assert.equal(findings.map((f) => f.subject).sort(), ['dtpa:3', 'hepb:3', 'hib:3', 'ipv:3']);
});

test('an HbA1c of 7 % with no diabetes on record is a possible undiagnosed diabetes', ({ rules }) => {
  const hba1c = observation('HbA1c', 7, { code: '4548-4', code_system: 'http://loinc.org', unit: '%', reference_high: 6 });
  const keys = evaluateRules(rules, facts({ observations: [hba1c] })).map((f) => f.rule.key);
  assert.equal(keys.sort(), ['fhirpath.hba1c-possible-diabetes', 'lab.out-of-range']);
});

test('the FHIRPath rule stays quiet on near misses: 6.4 %, a diabetes diagnosis, an older high result', ({ rules }) => {
  const hba1c = (value: number, days: number) =>
    observation('HbA1c', value, { code: '4548-4', code_system: 'http://loinc.org', unit: '%', effective_at: daysAgo(days) });
  const fires = (partial: Parameters<typeof facts>[0]) =>
    evaluateRules(rules, facts(partial)).some((f) => f.rule.key === 'fhirpath.hba1c-possible-diabetes');
  // The expression as migration 1800 left it (the faster form).
  const expression = (rules.find((r) => r.key === 'fhirpath.hba1c-possible-diabetes')!.params as { expression: string }).expression;
  assert.match(expression, "code.coding.exists(code in ('4548-4' | '17856-6' | '59261-8'))");
  assert.is(fires({ observations: [hba1c(6.5, 1)] }), true);
  assert.is(fires({ observations: [hba1c(6.4, 1)] }), false);
  assert.is(fires({ observations: [hba1c(7, 1)], conditions: [condition('Type 2 diabetes mellitus')] }), false);
  assert.is(fires({ observations: [hba1c(7, 200), hba1c(6.1, 1)] }), false);
  // In mmol/mol, under another LOINC code of the set.
  assert.is(fires({ observations: [observation('HbA1c', 50, { code: '59261-8', code_system: 'http://loinc.org', unit: 'mmol/mol', effective_at: daysAgo(1) })] }), true);
});

test.run();
