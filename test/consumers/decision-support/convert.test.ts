import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalUnit, convertValue, preferredUnit } from '../../../src/consumers/journey/convert.js';

const test = suite('journey: unit conversion');

const glucose = { series_key: 'loinc:2345-7', name: 'Glucose, fasting' };
const creatinine = { series_key: 'name:creatinine', name: 'Creatinine' };
const near = (actual: number | null, expected: number, tolerance = 0.01) => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${actual} ≈ ${expected}`);
};

test('mass ↔ molar with the analyte molar mass: glucose and creatinine', () => {
  near(convertValue(99, 'mg/dL', 'mmol/L', glucose), 5.495);
  near(convertValue(5.5, 'mmol/L', 'mg/dL', glucose), 99.09);
  near(convertValue(1.0, 'mg/dL', 'umol/L', creatinine), 88.4);
  near(convertValue(88.4, 'µmol/L', 'mg/dL', { series_key: 'name:serum creatinine', name: 'Serum creatinine' }), 1.0);
  near(convertValue(200, 'mg/dL', 'mmol/L', { series_key: 'loinc:2093-3', name: 'Cholesterol' }), 5.17);
  near(convertValue(3, 'mg/mmol', 'mg/g', { series_key: 'name:urine albumin creatinine ratio', name: 'Urine albumin/creatinine ratio' }), 26.52);
});

test('plain UCUM conversions need no molar mass', () => {
  near(convertValue(13.5, 'g/dL', 'g/L', { series_key: 'loinc:718-7', name: 'Haemoglobin' }), 135, 1e-9);
  near(convertValue(250, '10*3/uL', '10*9/L', { series_key: 'loinc:777-3', name: 'Platelets' }), 250, 1e-9);
  near(convertValue(37, 'Cel', '[degF]', { series_key: 'name:temperature', name: 'Temperature' }), 98.6, 1e-9);
});

test('HbA1c % ↔ mmol/mol uses the IFCC–NGSP master equation, not UCUM', () => {
  const hba1c = { series_key: 'loinc:4548-4', name: 'HbA1c' };
  near(convertValue(6.5, '%', 'mmol/mol', hba1c), 47.5, 0.1);
  near(convertValue(48, 'mmol/mol', '%', hba1c), 6.54, 0.01);
});

test('the same unit (spelling folded, or no unit on either side) gives the value back', () => {
  assert.is(convertValue(5.5, 'mmol/L', 'mmol/L', glucose), 5.5);
  assert.is(convertValue(5.5, 'mmol/l', 'mmol/L', glucose), 5.5);
  assert.is(convertValue(1.2, null, null, { series_key: 'name:inr', name: 'INR' }), 1.2);
  assert.is(convertValue(1.2, '', null, { series_key: 'name:inr', name: 'INR' }), 1.2, 'blank is no unit');
  assert.is(canonicalUnit(' μmol/l '), 'umol/L');
});

test('inconvertible, unknown or missing units give null', () => {
  assert.is(convertValue(5, 'kg', 'mmol/L', glucose), null);
  assert.is(convertValue(5, 'mg/dL', 'mmol/L', { series_key: 'name:mystery', name: 'Mystery analyte' }), null, 'no molar mass');
  assert.is(convertValue(5, 'bananas', 'mmol/L', glucose), null);
  assert.is(convertValue(5, null, 'mmol/L', glucose), null);
  assert.is(convertValue(5, 'mmol/L', null, glucose), null);
  assert.is(convertValue(Number.NaN, 'mmol/L', 'mg/dL', glucose), null);
});

test('preferred Australian units for known analytes, null otherwise', () => {
  assert.is(preferredUnit(glucose), 'mmol/L');
  assert.is(preferredUnit({ series_key: 'name:s creatinine', name: 'S-Creatinine' }), 'umol/L');
  assert.is(preferredUnit({ series_key: 'name:total cholesterol', name: 'Total cholesterol' }), 'mmol/L');
  assert.is(preferredUnit({ series_key: 'loinc:718-7', name: 'Hb' }), 'g/L');
  assert.is(preferredUnit({ series_key: 'name:hba1c', name: 'HbA1c' }), '%');
  assert.is(preferredUnit({ series_key: 'loinc:59261-8', name: 'HbA1c (IFCC)' }), 'mmol/mol');
  assert.is(preferredUnit({ series_key: 'name:urine creatinine', name: 'Urine creatinine' }), null, 'not serum creatinine');
  assert.is(preferredUnit({ series_key: 'name:egfr', name: 'eGFR' }), null);
});

test('conversions are cached: thousands of points convert in milliseconds', () => {
  convertValue(1, 'mg/dL', 'mmol/L', glucose);
  const start = performance.now();
  for (let i = 0; i < 10_000; i++) convertValue(90 + (i % 50), 'mg/dL', 'mmol/L', glucose);
  assert.ok(performance.now() - start < 100, `${(performance.now() - start).toFixed(1)} ms`);
});

test.run();
