import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRuleParams, evaluateRules, RULE_KINDS } from '../../../src/consumers/decision-support/evaluate.js';
import type { Rule, RuleKind } from '../../../src/consumers/decision-support/types.js';
import { facts, medication, observation, rule } from './facts-builder.js';

const test = suite('decision support: evaluateRules');

const interaction = rule('drug_interaction', { a: ['warfarin'], b: ['ibuprofen'], effect: 'bleeding risk' }, { key: 'ddi.test', severity: 'critical' });
const profile = facts({
  medications: [medication('Warfarin'), medication('Ibuprofen')],
  observations: [observation('Potassium', 6.1, { reference_low: 3.5, reference_high: 5.2, unit: 'mmol/L' })],
});

test('RULE_KINDS lists exactly the kinds the cds_rules check constraint allows', () => {
  const sql = readFileSync(new URL('../../../supabase/migrations/20261125001000_decision_support.sql', import.meta.url), 'utf8');
  const allowed = /kind text not null check \(kind in \(([^)]*)\)\)/.exec(sql)![1]!.match(/'([a-z_]+)'/g)!.map((k) => k.slice(1, -1));
  assert.equal([...RULE_KINDS].sort(), allowed.sort());
});

test('dispatches each rule to its kind and tags findings with the rule and its severity', () => {
  const range = rule('lab_out_of_range', {}, { key: 'lab.test', severity: 'info' });
  const findings = evaluateRules([interaction, range], profile);
  assert.equal(findings.map((f) => [f.rule.key, f.subject, f.severity]), [['ddi.test', 'ibuprofen+warfarin', 'critical'], ['lab.test', 'name:potassium', 'info']]);
});

test('a rule with bad params is skipped and reported; it never throws and the others still run', () => {
  const bad: Rule[] = [
    rule('drug_interaction', { a: 'warfarin', b: ['ibuprofen'], effect: 'x' }, { key: 'bad.shape' }),
    rule('drug_interaction', { a: ['warfarin'], b: ['ibuprofen'], effect: 'bleeding', typo: true }, { key: 'bad.unknown-key' }),
    rule('lab_trend', { analytes: ['egfr'], direction: 'falling' }, { key: 'bad.no-mode' }),
    rule('fhirpath', { expression: 'entry.(', resource_types: ['Observation'] }, { key: 'bad.syntax' }),
    { ...rule('drug_interaction', {}), key: 'bad.kind', kind: 'astrology' as RuleKind },
    { ...rule('drug_interaction', {}), key: 'bad.null-params', params: null as unknown as Record<string, unknown> },
  ];
  const errors: string[] = [];
  const findings = evaluateRules([...bad, interaction], profile, { onRuleError: (r, e) => errors.push(`${r.key}: ${e.message}`) });
  assert.equal(findings.map((f) => f.rule.key), ['ddi.test']);
  assert.equal(errors.map((e) => e.split(':')[0]), bad.map((r) => r.key));
  assert.match(errors[3]!, 'not a valid FHIRPath expression');
  assert.not.throws(() => evaluateRules(bad, profile));
});

test('checkRuleParams says what is wrong, or null', () => {
  assert.is(checkRuleParams(interaction), null);
  assert.match(checkRuleParams({ key: 'x', kind: 'lab_trend', params: { analytes: [], direction: 'up' } })!, 'analytes');
  assert.match(checkRuleParams({ key: 'x', kind: 'nope' as RuleKind, params: {} })!, 'unknown rule kind');
});

test('findings are made storable: summary ≤ 140 characters, one finding per subject', () => {
  const longName = `${'Very long analyte name '.repeat(8)}`.trim();
  const [finding] = evaluateRules([rule('lab_out_of_range', {})], facts({ observations: [observation(longName, 9, { reference_high: 5 })] }));
  assert.ok(finding!.summary.length <= 140);
  assert.ok(finding!.summary.endsWith('…'));
  // Same pair found through two records each: still one finding, with all four records as evidence.
  const meds = [medication('Warfarin'), medication('Coumadin'), medication('Ibuprofen'), medication('Nurofen')];
  const aliased = rule('drug_interaction', { a: ['warfarin'], b: ['ibuprofen'], effect: 'bleeding', aliases: { coumadin: 'warfarin', nurofen: 'ibuprofen' } });
  const pair = evaluateRules([aliased], facts({ medications: meds }));
  assert.is(pair.length, 1);
  assert.is(pair[0]!.evidence.length, 4);
});

test.run();
