import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateRules } from '../../../src/consumers/decision-support/evaluate.js';
import { evaluateFhirpath } from '../../../src/consumers/decision-support/evaluators/fhirpath.js';
import type { Rule } from '../../../src/consumers/decision-support/types.js';
import { condition, facts, observation, rule } from './facts-builder.js';

const test = suite('decision support: fhirpath');

// The shape of the shipped rule: the latest HbA1c ≥ 6.5 % (48 mmol/mol) and no diabetes condition.
const possibleDiabetes = rule('fhirpath', {
  expression:
    "iif(entry.resource.ofType(Condition).where(code.text.lower().matches('(^|[^a-z-])diabet')).exists(), {}, " +
    "entry.resource.ofType(Observation).where(code.coding.code.intersect('4548-4' | '59261-8').exists()).last()" +
    ".where(value.ofType(Quantity).where((code = '%' and value >= 6.5) or (code = 'mmol/mol' and value >= 48)).exists()))",
  resource_types: ['Observation', 'Condition'],
  summary: 'Possible undiagnosed diabetes',
}, { key: 'fhirpath.hba1c-possible-diabetes', title: 'HbA1c in the diabetes range', description: 'Detail text.' });

const hba1c = (value: number, unit: string, at: string) =>
  observation('HbA1c', value, { code: unit === '%' ? '4548-4' : '59261-8', code_system: 'http://loinc.org', unit, effective_at: at });

test('fires once, subject = rule key, with the returned resources as evidence', () => {
  const latest = hba1c(7.1, '%', '2026-10-01T00:00:00Z');
  const [finding, ...rest] = evaluateFhirpath(possibleDiabetes, facts({ observations: [hba1c(5.6, '%', '2025-01-01T00:00:00Z'), latest] }));
  assert.is(rest.length, 0);
  assert.is(finding!.subject, 'fhirpath.hba1c-possible-diabetes');
  assert.is(finding!.summary, 'Possible undiagnosed diabetes');
  assert.is(finding!.detail, 'Detail text.');
  assert.is(finding!.severity, undefined);
  assert.equal(finding!.categories, ['observations', 'conditions']);
  assert.equal(finding!.evidence, [{ table: 'observations', id: latest.id }]);
});

test('IFCC units are judged on their own threshold (48 mmol/mol fires, 47 does not)', () => {
  assert.is(evaluateFhirpath(possibleDiabetes, facts({ observations: [hba1c(48, 'mmol/mol', '2026-10-01T00:00:00Z')] })).length, 1);
  assert.equal(evaluateFhirpath(possibleDiabetes, facts({ observations: [hba1c(47, 'mmol/mol', '2026-10-01T00:00:00Z')] })), []);
});

test('quiet just below the threshold, and when a diabetes condition is on record', () => {
  assert.equal(evaluateFhirpath(possibleDiabetes, facts({ observations: [hba1c(6.4, '%', '2026-10-01T00:00:00Z')] })), []);
  const withDiagnosis = facts({ observations: [hba1c(7.1, '%', '2026-10-01T00:00:00Z')], conditions: [condition('Type 2 diabetes mellitus')] });
  assert.equal(evaluateFhirpath(possibleDiabetes, withDiagnosis), []);
  const prediabetes = facts({ observations: [hba1c(7.1, '%', '2026-10-01T00:00:00Z')], conditions: [condition('Prediabetes')] });
  assert.is(evaluateFhirpath(possibleDiabetes, prediabetes).length, 1, 'prediabetes is not a diabetes diagnosis');
});

test('the finding disappears when a newer HbA1c is below the threshold', () => {
  const observations = [hba1c(7.1, '%', '2026-01-01T00:00:00Z')];
  assert.is(evaluateFhirpath(possibleDiabetes, facts({ observations })).length, 1);
  assert.equal(evaluateFhirpath(possibleDiabetes, facts({ observations: [...observations, hba1c(6.1, '%', '2026-10-01T00:00:00Z')] })), []);
});

test('true fires with no evidence; false and empty do not; the Patient is in the bundle', () => {
  const born = facts({ profile: { id: 'p1', birth_date: '1950-01-01', sex: 'female' } });
  const check = (expression: string) => evaluateFhirpath(rule('fhirpath', { expression, resource_types: ['Condition'] }), born);
  assert.equal(check("entry.resource.ofType(Patient).birthDate < @1960-01-01")[0]!.evidence, []);
  assert.equal(check("entry.resource.ofType(Patient).gender = 'male'"), []);
  assert.equal(check('entry.resource.ofType(Condition)'), []);
  assert.is(check("%today = '2026-11-25'").length, 1, '%today is the evaluation date');
});

test('an expression that throws is reported through onRuleError, and the other rules still run', () => {
  const broken = rule('fhirpath', { expression: 'entry.resource.single()', resource_types: ['Condition'] }, { key: 'test.broken' });
  const fine = rule('fhirpath', { expression: 'true', resource_types: ['Condition'] }, { key: 'test.fine' });
  const errors: Array<[Rule, Error]> = [];
  const findings = evaluateRules([broken, fine], facts({ conditions: [condition('Asthma')] }), { onRuleError: (r, e) => errors.push([r, e]) });
  assert.equal(findings.map((f) => f.rule.key), ['test.fine']);
  assert.is(errors.length, 1);
  assert.is(errors[0]![0].key, 'test.broken');
  assert.match(errors[0]![1].message, 'FHIRPath evaluation failed');
});

test.run();
