import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateLabOutOfRange } from '../../../src/consumers/decision-support/evaluators/lab-out-of-range.js';
import { daysAgo, facts, observation, rule } from './facts-builder.js';

const test = suite('decision support: lab_out_of_range');

const outOfRange = rule('lab_out_of_range', { critical_factor: 2 }, { key: 'lab.out-of-range', severity: 'warning' });
const potassium = (value: number, days: number, extra = {}) =>
  observation('Potassium', value, { code: '2823-3', code_system: 'http://loinc.org', unit: 'mmol/L', reference_low: 3.5, reference_high: 5.2, effective_at: daysAgo(days), ...extra });

test('the latest result above its range fires for its series', () => {
  const latest = potassium(5.9, 1);
  const [finding, ...rest] = evaluateLabOutOfRange(outOfRange, facts({ observations: [potassium(4.1, 30), latest] }));
  assert.is(rest.length, 0);
  assert.is(finding!.subject, 'loinc:2823-3');
  assert.is(finding!.summary, 'Potassium 5.9 mmol/L is high (reference 3.5–5.2 mmol/L)');
  assert.is(finding!.severity, undefined, 'not critical: the rule severity applies');
  assert.equal(finding!.categories, ['observations']);
  assert.equal(finding!.evidence, [{ table: 'observations', id: latest.id }]);
});

test('critical when the lab flags HH/LL, or the value is twice the upper limit or half the lower one', () => {
  const flagged = evaluateLabOutOfRange(outOfRange, facts({ observations: [potassium(6.6, 1, { interpretation: 'HH' })] }));
  assert.is(flagged[0]!.severity, 'critical');
  assert.match(flagged[0]!.summary, 'critically high');
  const creatinine = (v: number) => observation('Creatinine', v, { unit: 'umol/L', reference_low: 60, reference_high: 110 });
  assert.is(evaluateLabOutOfRange(outOfRange, facts({ observations: [creatinine(220)] }))[0]!.severity, 'critical');
  assert.is(evaluateLabOutOfRange(outOfRange, facts({ observations: [creatinine(219)] }))[0]!.severity, undefined);
  assert.is(evaluateLabOutOfRange(outOfRange, facts({ observations: [creatinine(30)] }))[0]!.severity, 'critical');
});

test('without a numeric range the laboratory flag decides', () => {
  const [finding] = evaluateLabOutOfRange(outOfRange, facts({ observations: [observation('Urine culture', null, { value_text: 'E. coli > 10^8', interpretation: 'A' })] }));
  assert.is(finding!.subject, 'name:urine culture');
  assert.is(finding!.summary, 'Urine culture E. coli > 10^8 is flagged abnormal by the laboratory');
});

test('a value exactly at a bound is in range', () => {
  assert.equal(evaluateLabOutOfRange(outOfRange, facts({ observations: [potassium(5.2, 1), observation('Sodium', 135, { reference_low: 135, reference_high: 145 })] })), []);
});

test('only the listed analytes are checked when the rule lists them', () => {
  const onlyCreatinine = rule('lab_out_of_range', { analytes: ['2160-0', 'creatinine'] });
  const observations = [potassium(6.0, 1), observation('Creatinine', 150, { reference_low: 60, reference_high: 110 })];
  assert.equal(evaluateLabOutOfRange(onlyCreatinine, facts({ observations })).map((f) => f.subject), ['name:creatinine']);
});

test('the finding disappears when a newer result is back in range', () => {
  const observations = [potassium(4.0, 60), potassium(5.9, 30)];
  assert.is(evaluateLabOutOfRange(outOfRange, facts({ observations })).length, 1);
  assert.equal(evaluateLabOutOfRange(outOfRange, facts({ observations: [...observations, potassium(4.4, 1)] })), []);
});

test.run();
