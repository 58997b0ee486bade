import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toFhirBundle, type FhirImmunization, type FhirObservation } from '../../../src/consumers/decision-support/fhir-bundle.js';
import { allergy, condition, facts, immunization, medication, observation } from './facts-builder.js';

const test = suite('decision support: FHIR bundle');

const profile = facts({
  profile: { id: '0b0e6a52-5d1f-4c0e-9f7a-0d3c1b2a4e5f', birth_date: '1980-02-03', sex: 'female' },
  medications: [medication('Warfarin 5 mg', { code_system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '11289', start_date: '2026-01-01', dose_text: '5 mg daily' })],
  allergies: [allergy('Penicillin', { criticality: 'high' })],
  conditions: [condition('Asthma', { code_system: 'http://snomed.info/sct', code: '195967001', onset_date: '1990-01-01' })],
  observations: [
    observation('HbA1c', 7.1, { code: '4548-4', unit: '%', reference_high: 6, interpretation: 'H' }),
    observation('Comment', null, { value_text: 'haemolysed', category: 'other' }),
  ],
  immunizations: [immunization('Boostrix', '2020-01-01', { dose_number: 1 }), immunization('Fluvax', null)],
});

test('every record becomes a resource of the right type, id = record id, plus the Patient', () => {
  const bundle = toFhirBundle(profile);
  assert.is(bundle.resourceType, 'Bundle');
  assert.is(bundle.type, 'collection');
  const types = bundle.entry.map((e) => [e.resource.resourceType, e.resource.id]);
  assert.equal(types, [
    ['Patient', profile.profile.id],
    ['Observation', profile.observations[0]!.id], ['Observation', profile.observations[1]!.id],
    ['MedicationStatement', profile.medications[0]!.id],
    ['Condition', profile.conditions[0]!.id],
    ['AllergyIntolerance', profile.allergies[0]!.id],
    ['Immunization', profile.immunizations[0]!.id], ['Immunization', profile.immunizations[1]!.id],
  ]);
  for (const entry of bundle.entry) assert.is(entry.fullUrl, `urn:uuid:${entry.resource.id}`);
  assert.equal(bundle.entry[0]!.resource, { resourceType: 'Patient', id: profile.profile.id, gender: 'female', birthDate: '1980-02-03' });
});

test('an Observation carries code, quantity in UCUM, range, interpretation, time and status', () => {
  const obs = toFhirBundle(profile, ['Observation']).entry[1]!.resource as FhirObservation;
  assert.equal(obs.code, { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'HbA1c' }], text: 'HbA1c' });
  assert.equal(obs.valueQuantity, { value: 7.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' });
  assert.equal(obs.referenceRange, [{ high: { value: 6, unit: '%', system: 'http://unitsofmeasure.org', code: '%' } }]);
  assert.equal(obs.interpretation, [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }]);
  assert.is(obs.effectiveDateTime, profile.observations[0]!.effective_at);
  assert.is(obs.status, 'final');
  assert.equal(obs.subject, { reference: `urn:uuid:${profile.profile.id}` });
  const text = toFhirBundle(profile, ['Observation']).entry[2]!.resource as FhirObservation;
  assert.is(text.valueString, 'haemolysed');
  assert.is(text.category, undefined);
});

test('the other resources carry their R4 fields', () => {
  const [, med, cond, allergyResource, given, undated] = toFhirBundle(profile, ['MedicationStatement', 'Condition', 'AllergyIntolerance', 'Immunization']).entry.map((e) => e.resource);
  assert.equal(med, {
    resourceType: 'MedicationStatement', id: profile.medications[0]!.id, status: 'active', subject: { reference: `urn:uuid:${profile.profile.id}` },
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '11289', display: 'Warfarin 5 mg' }], text: 'Warfarin 5 mg' },
    effectivePeriod: { start: '2026-01-01' }, dosage: [{ text: '5 mg daily' }],
  });
  assert.equal((cond as { clinicalStatus: unknown }).clinicalStatus, { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] });
  assert.equal((allergyResource as { criticality?: string; category?: string[] }).criticality, 'high');
  assert.equal((allergyResource as { category?: string[] }).category, ['medication']);
  assert.equal((given as FhirImmunization).occurrenceDateTime, '2020-01-01');
  assert.equal((given as FhirImmunization).protocolApplied, [{ doseNumberPositiveInt: 1 }]);
  assert.equal((undated as FhirImmunization).occurrenceString, 'unknown', 'R4 requires occurrence[x]');
});

test('only the listed resource types are included (the Patient always is)', () => {
  const bundle = toFhirBundle(profile, ['Condition']);
  assert.equal(bundle.entry.map((e) => e.resource.resourceType), ['Patient', 'Condition']);
});

test.run();
