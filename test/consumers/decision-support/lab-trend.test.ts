import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateLabTrend } from '../../../src/consumers/decision-support/evaluators/lab-trend.js';
import { daysAgo, facts, observation, rule } from './facts-builder.js';

const test = suite('decision support: lab_trend');

const creatinineRising = rule('lab_trend', { analytes: ['loinc:2160-0', 'name:creatinine'], direction: 'rising', consecutive: 3 }, { key: 'lab.creatinine-rising' });
const egfrFalling = rule('lab_trend', { analytes: ['loinc:33914-3', 'egfr'], direction: 'falling', percent_change: 25, window_days: 365 }, { key: 'lab.egfr-falling' });

const creatinine = (value: number, days: number, unit = 'umol/L') =>
  observation('Creatinine', value, { code: '2160-0', code_system: 'http://loinc.org', unit, effective_at: daysAgo(days) });
const egfr = (value: number, days: number) => observation('eGFR', value, { unit: 'mL/min/1.73m2', effective_at: daysAgo(days) });

test('three consecutive rises fire, comparing values in one unit', () => {
  // 1.0 mg/dL = 88.4 µmol/L: the series rises 80 → 88.4 → 95 → 110 µmol/L.
  const points = [creatinine(120, 400), creatinine(80, 300), creatinine(1.0, 200, 'mg/dL'), creatinine(95, 100), creatinine(110, 1)];
  const [finding, ...rest] = evaluateLabTrend(creatinineRising, facts({ observations: points }));
  assert.is(rest.length, 0);
  assert.is(finding!.subject, 'loinc:2160-0');
  assert.is(finding!.summary, 'Creatinine rose in 3 consecutive results: 80 → 88.4 → 95 → 110 umol/L');
  assert.is(finding!.severity, undefined);
  assert.equal(finding!.categories, ['observations']);
  assert.equal(finding!.evidence.map((e) => e.id), points.slice(1).map((p) => p.id));
});

test('quiet with only two rises, or when an equal value breaks the run', () => {
  assert.equal(evaluateLabTrend(creatinineRising, facts({ observations: [creatinine(80, 300), creatinine(90, 200), creatinine(100, 1)] })), []);
  assert.equal(evaluateLabTrend(creatinineRising, facts({ observations: [creatinine(80, 300), creatinine(90, 200), creatinine(90, 100), creatinine(100, 1)] })), []);
});

test('a fall of at least 25 % within the window fires (exactly 25 % included)', () => {
  const points = [egfr(30, 500), egfr(80, 300), egfr(70, 100), egfr(60, 1)];
  const [finding] = evaluateLabTrend(egfrFalling, facts({ observations: points }));
  assert.is(finding!.subject, 'name:egfr');
  assert.is(finding!.summary, 'eGFR fell 25% within a year: 80 → 60 mL/min/1.73m2');
  assert.equal(finding!.evidence.map((e) => e.id), [points[1]!.id, points[3]!.id]);
});

test('quiet when the fall is smaller, or its start lies outside the window', () => {
  assert.equal(evaluateLabTrend(egfrFalling, facts({ observations: [egfr(80, 300), egfr(61, 1)] })), [], '23.75 %');
  assert.equal(evaluateLabTrend(egfrFalling, facts({ observations: [egfr(80, 400), egfr(60, 1)] })), [], 'the 80 is 400 days old');
});

test('the finding disappears when the next result breaks the trend', () => {
  const points = [creatinine(80, 300), creatinine(90, 200), creatinine(100, 100), creatinine(110, 10)];
  assert.is(evaluateLabTrend(creatinineRising, facts({ observations: points })).length, 1);
  assert.equal(evaluateLabTrend(creatinineRising, facts({ observations: [...points, creatinine(95, 1)] })), []);
});

test('results that cannot be converted are left out rather than compared across units', () => {
  const points = [creatinine(80, 300), creatinine(5, 250, 'mg/24h'), creatinine(90, 200), creatinine(100, 100), creatinine(110, 1)];
  assert.is(evaluateLabTrend(creatinineRising, facts({ observations: points })).length, 1);
});

test.run();
