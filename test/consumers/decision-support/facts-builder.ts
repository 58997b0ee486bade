/**
 * Builders for the pure decision-support tests: facts and rules in memory, with
 * defaults a test overrides only where it matters (an active medication, a final
 * observation, a completed immunisation).
 */
import { randomUUID } from 'node:crypto';
import { seriesKey } from '../../../src/consumers/journey/series-key.js';
import type {
  AllergyFact, ConditionFact, ImmunizationFact, MedicationFact, ObservationFact, ProfileFacts, Rule, RuleKind, Severity,
} from '../../../src/consumers/decision-support/types.js';

export const TODAY = '2026-11-25';

export function facts(partial: Partial<ProfileFacts> = {}): ProfileFacts {
  return {
    profile: { id: randomUUID(), birth_date: '1970-05-01', sex: 'female' },
    medications: [],
    allergies: [],
    conditions: [],
    observations: [],
    immunizations: [],
    today: TODAY,
    ...partial,
  };
}

export const medication = (name: string, overrides: Partial<MedicationFact> = {}): MedicationFact => ({
  id: randomUUID(), name, code_system: null, code: null, dose_text: null, status: 'active', start_date: null, end_date: null, ...overrides,
});

export const allergy = (substance: string, overrides: Partial<AllergyFact> = {}): AllergyFact => ({
  id: randomUUID(), substance, code_system: null, code: null, category: 'medication', criticality: null, clinical_status: 'active', ...overrides,
});

export const condition = (name: string, overrides: Partial<ConditionFact> = {}): ConditionFact => ({
  id: randomUUID(), name, code_system: null, code: null, clinical_status: 'active', onset_date: null, ...overrides,
});

/** An observation; its series key is derived as the facts loader derives it. */
export function observation(name: string, value: number | null, overrides: Partial<ObservationFact> = {}): ObservationFact {
  const base = {
    id: randomUUID(), name, code_system: null, code: null, category: 'laboratory', value_numeric: value, value_text: null, unit: null,
    reference_low: null, reference_high: null, interpretation: null, effective_at: `${TODAY}T09:00:00.000Z`, status: 'final',
    ...overrides,
  };
  return { series_key: seriesKey(base), ...base };
}

export const immunization = (vaccine: string, occurrence_date: string | null, overrides: Partial<ImmunizationFact> = {}): ImmunizationFact => ({
  id: randomUUID(), vaccine, code_system: null, code: null, occurrence_date, dose_number: null, status: 'completed', ...overrides,
});

export function rule(kind: RuleKind, params: Record<string, unknown>, overrides: Partial<Rule> = {}): Rule {
  return {
    id: randomUUID(), key: `test.${kind.replace(/_/g, '-')}`, kind, title: `Test ${kind}`, description: null, params,
    severity: 'warning' as Severity, source_label: 'Test source', source_url: null, time_based: false, ...overrides,
  };
}

/** `days` before TODAY, as an ISO timestamp (observations) or a date (immunisations). */
export const daysAgo = (days: number) => new Date(Date.parse(`${TODAY}T09:00:00Z`) - days * 86_400_000).toISOString();
export const dateDaysAgo = (days: number) => daysAgo(days).slice(0, 10);

/**
 * The benchmark profile: 50 active medications (a realistic mix, a few of which
 * interact) and 2,000 lab results over 20 series (100 each, weekly), in order.
 */
export function largeProfile(): ProfileFacts {
  const drugs = ['warfarin', 'ibuprofen', 'simvastatin', 'clarithromycin', 'metformin', 'lisinopril', 'amlodipine', 'atorvastatin', 'sertraline', 'tramadol'];
  const medications = Array.from({ length: 50 }, (_, i) =>
    medication(`${drugs[i % drugs.length]}${i < drugs.length ? '' : ` ${i}`} ${10 + i} mg tablet`, { dose_text: 'once daily' }));
  const series = [
    ['2160-0', 'Creatinine', 'umol/L', 60, 110], ['2345-7', 'Glucose', 'mmol/L', 3.6, 6], ['4548-4', 'HbA1c', '%', 4, 6], ['33914-3', 'eGFR', 'mL/min/{1.73_m2}', 60, 120],
    ['2823-3', 'Potassium', 'mmol/L', 3.5, 5.2], ['2951-2', 'Sodium', 'mmol/L', 135, 145], ['718-7', 'Haemoglobin', 'g/L', 120, 160], ['777-3', 'Platelets', '10*9/L', 150, 400],
    ['6690-2', 'White cells', '10*9/L', 4, 11], ['2093-3', 'Cholesterol', 'mmol/L', 0, 5.5], ['2085-9', 'HDL', 'mmol/L', 1, 3], ['13457-7', 'LDL', 'mmol/L', 0, 3],
    ['2571-8', 'Triglycerides', 'mmol/L', 0, 2], ['1975-2', 'Bilirubin', 'umol/L', 0, 20], ['1751-7', 'Albumin', 'g/L', 35, 50], ['17861-6', 'Calcium', 'mmol/L', 2.1, 2.6],
    ['3091-6', 'Urea', 'mmol/L', 2.5, 7.5], ['3084-1', 'Urate', 'mmol/L', 0.15, 0.45], [null, 'Ferritin', 'ug/L', 30, 300], [null, 'Vitamin D', 'nmol/L', 50, 150],
  ] as const;
  const observations: ObservationFact[] = [];
  for (let week = 0; week < 100; week++) {
    for (const [code, name, unit, low, high] of series) {
      const wobble = ((week * 7919 + name.length * 104729) % 100) / 100; // deterministic, 0..1
      observations.push(observation(name, Number((low + (high - low) * (0.2 + wobble * 0.7)).toFixed(2)), {
        code, code_system: code ? 'http://loinc.org' : null, unit, reference_low: low, reference_high: high, effective_at: daysAgo((100 - week) * 7),
      }));
    }
  }
  return facts({
    medications,
    observations,
    conditions: [condition('Hypertension')],
    allergies: [allergy('Penicillin')],
    immunizations: [immunization('Boostrix', '2020-01-01')],
  });
}
