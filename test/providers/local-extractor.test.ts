/**
 * LocalExtractor on small hand-written pages: the main patterns of real clinical
 * documents (a results table row, blood pressure, prose medications with dates, an
 * allergy list, a vaccination table) and what must never become a record.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalExtractor } from '../../src/providers/extraction/local-extractor.js';
import type { ExtractedRecord } from '../../src/providers/extraction/schema.js';

const test = suite('LocalExtractor');

async function extract(...lines: string[]): Promise<ExtractedRecord[]> {
  const { records } = await new LocalExtractor().extract([{ page: 1, text: lines.join('\n'), confidence: 0.9 }]);
  return records;
}
const only = <K extends ExtractedRecord['kind']>(records: ExtractedRecord[], kind: K) =>
  records.filter((r): r is Extract<ExtractedRecord, { kind: K }> => r.kind === kind);

test('a results table row, whatever the column order, with its range and flag', async () => {
  const records = await extract(
    'Collected: 21/02/2026',
    'Analyte   Ref. range   Units   Result',
    'Potassium   3.5-5.2   mmol/L   5.9 H',
    'eGFR   >60   mL/min/1.73m2   >90',
    'Test | Result | Units | Ref. range | Flag',
    'ALT | 49 | U/L | <35 |',
  );
  const [potassium, egfr, alt] = only(records, 'observation');
  assert.equal(
    { name: potassium?.name, value: potassium?.value, unit: potassium?.unit, low: potassium?.referenceLow, high: potassium?.referenceHigh, flag: potassium?.interpretation, date: potassium?.effectiveDate },
    { name: 'Potassium', value: 5.9, unit: 'mmol/L', low: 3.5, high: 5.2, flag: 'H', date: '2026-02-21' },
  );
  assert.equal({ value: egfr?.value, valueText: egfr?.valueText, low: egfr?.referenceLow, flag: egfr?.interpretation }, { value: null, valueText: '>90', low: 60, flag: null });
  // No flag printed, but 49 is above the range: high.
  assert.equal({ name: alt?.name, value: alt?.value, unit: alt?.unit, high: alt?.referenceHigh, flag: alt?.interpretation }, { name: 'ALT', value: 49, unit: 'U/L', high: 35, flag: 'H' });
});

test('blood pressure becomes systolic and diastolic observations', async () => {
  const records = await extract('Seen at Wattle Grove Clinic by Dr Jane Roe on 23/06/2025.', 'On examination: Blood pressure 132/84 mmHg, Heart rate 78 bpm.');
  const vitals = only(records, 'observation').map((o) => [o.name, o.value, o.unit, o.effectiveDate]);
  assert.equal(vitals, [
    ['Systolic blood pressure', 132, 'mm[Hg]', '2025-06-23'],
    ['Diastolic blood pressure', 84, 'mm[Hg]', '2025-06-23'],
    ['Heart rate', 78, '/min', '2025-06-23'],
  ]);
  const [visit] = only(records, 'encounter');
  assert.equal({ facility: visit?.facility, start: visit?.startDate, by: visit?.practitioner }, { facility: 'Wattle Grove Clinic', start: '2025-06-23', by: 'Dr Jane Roe' });
});

test('medications in a letter: treated with … from … to, new medications, ceased', async () => {
  const records = await extract(
    'Dear Dr Smith,',
    'Sam was treated with ceftriaxone 1 g intravenously daily from 13 Mar 2024 to 18 Mar',
    '2024. New medications: cefalexin 500 mg orally four times daily (commenced 14 Mar 2024).',
    'Sam will continue metformin 1000 mg by mouth bd. Perindopril 2.5 mg daily was ceased.',
  );
  const meds = only(records, 'medication').map((m) => [m.name, m.doseValue, m.doseUnit, m.route, m.frequency, m.startDate, m.endDate, m.status]);
  assert.equal(meds, [
    ['ceftriaxone', 1, 'g', 'intravenous', 'QD', '2024-03-13', '2024-03-18', 'completed'],
    ['cefalexin', 500, 'mg', 'oral', 'QID', '2024-03-14', null, 'active'],
    ['metformin', 1000, 'mg', 'oral', 'BID', null, null, 'active'],
    ['Perindopril', 2.5, 'mg', null, 'QD', null, null, 'stopped'],
  ]);
});

test('an allergy list with reactions and severity; "nil known" gives nothing', async () => {
  const records = await extract('Allergies: Penicillin (anaphylaxis - severe); Latex (contact dermatitis)', 'Follow-up: review in two weeks.');
  const allergies = only(records, 'allergy').map((a) => [a.substance, a.reaction, a.severity, a.category]);
  assert.equal(allergies, [['Penicillin', 'anaphylaxis', 'severe', 'medication'], ['Latex', 'contact dermatitis', null, 'environment']]);
  assert.equal(await extract('Allergies: nil known'), []);
});

test('a vaccination table row and a vaccine given at a visit', async () => {
  const records = await extract(
    'Seen at Harbourview Medical Centre by Dr Jane Roe on 2024-05-02.',
    'Date | Vaccine | Dose | Batch | Site',
    '27 Nov 2019 | Measles/mumps/rubella (MMR) | 1 | ZP2744 | R deltoid',
    'Immunisation: Influenza (quadrivalent) vaccine given today, batch XJ7128.',
  );
  const shots = only(records, 'immunization').map((i) => [i.vaccine, i.date, i.doseNumber, i.lotNumber, i.coding?.code]);
  assert.equal(shots, [
    ['Measles/mumps/rubella (MMR)', '2019-11-27', 1, 'ZP2744', '03'],
    ['Influenza (quadrivalent)', '2024-05-02', null, 'XJ7128', '141'],
  ]);
});

test('letterheads, patient lines, fax banners and sign-offs give no record', async () => {
  const records = await extract(
    '22/03/2026 16:43 FROM: +61 2 9555 0387 TO: 07 3555 0188 P.001/001',
    'RIVERSIDE FAMILY PRACTICE',
    '12 Harbour St, Newtown NSW 2042    Ph (02) 9555 0892',
    'Patient: Tomasz Oduya    DOB: 02/12/1976    MRN: 6443590',
    'Dr Samuel Okafor MBBS FRACGP    Prescriber No. 7529019',
    'Allergies: Codeine (nausea and vomiting)',
    'Plan: review in six months.',
    'Yours sincerely,',
    'Dr Samuel Okafor',
    'Medical Registrar',
    'Page 1 of 1',
  );
  assert.equal(records.map((r) => r.kind), ['allergy']);
});

test.run();
