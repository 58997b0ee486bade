import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateOverdueImmunization } from '../../../src/consumers/decision-support/evaluators/overdue-immunization.js';
import type { ImmunizationFact } from '../../../src/consumers/decision-support/types.js';
import { facts, immunization, rule } from './facts-builder.js';

const test = suite('decision support: overdue_immunization');

const DTPA = 'Diphtheria, tetanus, pertussis (DTPa)';
const schedule = rule('overdue_immunization', {
  schedule: [
    { group: 'hepb_birth', label: 'Hepatitis B (birth dose)', dose: 1, due_age_months: 0, grace_days: 7, catch_up_until_months: 1, match: ['hepatitis b', 'engerix'] },
    { group: 'dtpa', label: DTPA, dose: 1, due_age_months: 2, match: ['dtpa', 'infanrix', 'hexa'], cvx: ['20', '146'] },
    { group: 'dtpa', label: DTPA, dose: 2, due_age_months: 4 },
    { group: 'dtpa', label: DTPA, dose: 3, due_age_months: 6 },
    { group: 'rotavirus', label: 'Rotavirus', dose: 1, due_age_months: 2, catch_up_until_months: 3.45, match: ['rotavirus', 'rotarix'] },
    { group: 'rotavirus', label: 'Rotavirus', dose: 2, due_age_months: 4, catch_up_until_months: 5.75 },
    { group: 'dtpa_adolescent', label: 'dTpa booster (adolescent)', dose: 1, due_age_months: 156, count_from_age_months: 120, match: ['dtpa', 'boostrix', 'infanrix'] },
  ],
  grace_days: 30,
  max_age_months: 240,
}, { key: 'immunisation.nip-schedule', time_based: true });

const child = (birth_date: string | null, immunizations: ImmunizationFact[] = []) =>
  facts({ profile: { id: 'p', birth_date, sex: 'male' }, immunizations });

test('a dose not recorded 30 days after its due age is overdue; only the first of its group is reported', () => {
  // Born 2026-07-01, 25 Nov 2026: DTPa 1 (due 1 Sep) is overdue, DTPa 2 (due 1 Nov) is within its grace.
  const [finding, ...rest] = evaluateOverdueImmunization(schedule, child('2026-07-01'));
  assert.is(rest.length, 0, 'the missed birth dose and rotavirus course are past their catch-up ages');
  assert.is(finding!.subject, 'dtpa:1');
  assert.is(finding!.summary, `Overdue: ${DTPA} dose 1 (due at 2 months) is not recorded`);
  assert.is(finding!.severity, undefined);
  assert.equal(finding!.categories, ['immunizations']);
  assert.equal(finding!.evidence, []);
});

test('the day the grace period ends is overdue, the day before is not', () => {
  assert.equal(evaluateOverdueImmunization(schedule, child('2026-08-26')).map((f) => f.subject), ['dtpa:1', 'rotavirus:1']);
  assert.equal(evaluateOverdueImmunization(schedule, child('2026-08-27')), []);
});

test('the next missing dose is reported, with the doses that are recorded as evidence', () => {
  const hexa = immunization('Infanrix hexa', '2026-03-01');
  const born = facts({ profile: { id: 'p', birth_date: '2026-01-01', sex: 'female' }, immunizations: [hexa, immunization('Rotarix', '2026-03-01'), immunization('Rotarix', '2026-05-01')] });
  const [finding] = evaluateOverdueImmunization(schedule, born);
  assert.is(finding!.subject, 'dtpa:2');
  assert.equal(finding!.evidence, [{ table: 'immunizations', id: hexa.id }]);
});

test('doses count by dose number or by distinct dates, and by CVX code', () => {
  const byNumber = child('2025-01-01', [immunization('Infanrix hexa', '2025-07-01', { dose_number: 3 })]);
  assert.equal(evaluateOverdueImmunization(schedule, byNumber).filter((f) => f.subject.startsWith('dtpa')), []);
  const byDates = child('2025-01-01', ['2025-03-01', '2025-05-01', '2025-07-01'].map((d) => immunization('Vaccine', d, { code_system: 'http://hl7.org/fhir/sid/cvx', code: '020' })));
  assert.equal(evaluateOverdueImmunization(schedule, byDates).filter((f) => f.subject.startsWith('dtpa')), []);
  const sameDayTwice = child('2025-01-01', ['2025-03-01', '2025-03-01'].map((d) => immunization('Infanrix', d)));
  assert.equal(evaluateOverdueImmunization(schedule, sameDayTwice).map((f) => f.subject), ['dtpa:2']);
});

test('a dose inside its catch-up window is reported; not-done records do not count', () => {
  const born = child('2026-08-15', [immunization('Rotarix', '2026-10-15', { status: 'not-done' })]);
  assert.equal(evaluateOverdueImmunization(schedule, born).map((f) => f.subject).sort(), ['dtpa:1', 'rotavirus:1']);
});

test('a booster counted from an age is not satisfied by earlier doses of the same vaccines', () => {
  const infancy = ['2011-03-01', '2011-05-01', '2011-07-01'].map((d) => immunization('Infanrix hexa', d));
  assert.equal(evaluateOverdueImmunization(schedule, child('2011-01-01', infancy)).map((f) => f.subject), ['dtpa_adolescent:1']);
  const booster = immunization('Boostrix', '2024-03-01');
  assert.equal(evaluateOverdueImmunization(schedule, child('2011-01-01', [...infancy, booster])), []);
  assert.equal(evaluateOverdueImmunization(schedule, child('2011-01-01', [...infancy, { ...booster, occurrence_date: null }])).map((f) => f.subject),
    ['dtpa_adolescent:1'], 'an undated dose cannot be placed after the age');
});

test('a schedule whose doses fall due out of order, or with no vaccines for a group, is refused', () => {
  const bad = (entries: unknown[]) => () => evaluateOverdueImmunization(rule('overdue_immunization', { schedule: entries }), child('2020-01-01'));
  assert.throws(bad([{ group: 'x', label: 'X', dose: 1, due_age_months: 6, match: ['x'] }, { group: 'x', label: 'X', dose: 2, due_age_months: 2 }]), /dose order/);
  assert.throws(bad([{ group: 'x', label: 'X', dose: 1, due_age_months: 6 }]), /no entry of the group lists/);
});

test('no birth date, or older than the schedule covers: no findings', () => {
  assert.equal(evaluateOverdueImmunization(schedule, child(null)), []);
  assert.equal(evaluateOverdueImmunization(schedule, child('2000-01-01')), []);
});

test('the finding disappears once the dose is recorded', () => {
  assert.is(evaluateOverdueImmunization(schedule, child('2026-07-01')).length, 1);
  assert.equal(evaluateOverdueImmunization(schedule, child('2026-07-01', [immunization('Infanrix hexa', '2026-09-03')])), []);
});

test.run();
