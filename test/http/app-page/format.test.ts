import * as assert from 'uvu/assert';
import { suite } from 'uvu';

/** format.js is the page's own browser module (plain JavaScript, copied as is into dist/): its shape, as the page uses it. */
interface Format {
  displayUnit(ucum: string | null | undefined): string;
  displayUnitsIn(text: string | null | undefined): string;
  countOf(n: number, singular: string, plural?: string): string;
  recordCount(table: string, n: number): string;
  severityLabel(severity: string): string;
}
const FORMAT_JS = new URL('../../../src/http/app-page/format.js', import.meta.url).href;
const { countOf, displayUnit, displayUnitsIn, recordCount, severityLabel }: Format = await import(FORMAT_JS);

const test = suite('what the /app page shows instead of machine forms');

test('UCUM units as people write them', () => {
  const cases: [string | null, string][] = [
    ['mL/min/{1.73_m2}', 'mL/min/1.73 m²'],
    ['10*9/L', '×10⁹/L'],
    ['10*12/L', '×10¹²/L'],
    ['10*3/uL', '×10³/µL'],
    ['ug/L', 'µg/L'],
    ['umol/L', 'µmol/L'],
    ['kg/m2', 'kg/m²'],
    ['mm[Hg]', 'mmHg'],
    ['[IU]/L', 'IU/L'],
    ['{cells}/uL', 'cells/µL'],
    ['mg/dL', 'mg/dL'],
    ['mmol/L', 'mmol/L'],
    ['%', '%'],
    ['U/L', 'U/L'],
    ['g.m-2', 'g·m⁻²'],
    ['1', ''],
    ['', ''],
    [null, ''],
  ];
  for (const [ucum, shown] of cases) assert.is(displayUnit(ucum), shown, String(ucum));
});

test('units inside a sentence, and nothing else in it', () => {
  assert.is(displayUnitsIn('eGFR 58 mL/min/{1.73_m2} is low (reference ≥ 60 mL/min/{1.73_m2})'),
    'eGFR 58 mL/min/1.73 m² is low (reference ≥ 60 mL/min/1.73 m²)');
  assert.is(displayUnitsIn('Ferritin 368 ug/L is high (reference 30–300 ug/L)'), 'Ferritin 368 µg/L is high (reference 30–300 µg/L)');
  assert.is(displayUnitsIn('Platelets 90 10*9/L is low'), 'Platelets 90 ×10⁹/L is low');
  assert.is(displayUnitsIn('above its reference range of 45–90 umol/L. A single result'), 'above its reference range of 45–90 µmol/L. A single result');
  assert.is(displayUnitsIn('reference range of ≥ 60 mL/min/{1.73_m2}. A single'), 'reference range of ≥ 60 mL/min/1.73 m². A single');
  assert.is(displayUnitsIn('range of 30–300 ug. Then'), 'range of 30–300 µg. Then');
  assert.is(displayUnitsIn('Systolic blood pressure 148 mm[Hg] is high (reference 90–140 mm[Hg])'), 'Systolic blood pressure 148 mmHg is high (reference 90–140 mmHg)');
  assert.is(displayUnitsIn('Vitamin D 20 [IU]/L.'), 'Vitamin D 20 IU/L.');
  assert.is(displayUnitsIn('Warfarin with an NSAID: bleeding risk, m2 and/or 3/4 tablets'), 'Warfarin with an NSAID: bleeding risk, m2 and/or 3/4 tablets');
});

test('counted nouns with their plural', () => {
  assert.is(countOf(1, 'document'), '1 document');
  assert.is(countOf(2, 'document'), '2 documents');
  assert.is(countOf(0, 'document'), '0 documents');
  assert.is(recordCount('observations', 1), '1 result');
  assert.is(recordCount('allergies', 3), '3 allergies');
  assert.is(recordCount('something_new', 2), '2 something new');
});

test('severities as words', () => {
  assert.equal([severityLabel('critical'), severityLabel('warning'), severityLabel('info')], ['Critical', 'Warning', 'For information']);
});

test.run();
