/**
 * A profile's facts as a FHIR R4 Bundle (type collection), for FHIRPath rules: a
 * Patient (birth date and gender only, no name) and the profile's records as
 * Observation, MedicationStatement, Condition, AllergyIntolerance and Immunization.
 * Resource ids are the record ids, so an expression that returns resources names
 * its evidence. Every record the facts hold is mapped, whatever its status: the
 * expression decides what counts (e.g. `clinicalStatus.coding.code = 'active'`).
 * Observations keep the facts' order (effective time ascending), so `last()` is the
 * latest result.
 *
 * The shapes below are the subset of R4 this mapping writes, declared here because
 * the installed @types/fhir (3.0.2) describes STU3, not R4 (its field names differ:
 * Immunization.date, a string Condition.clinicalStatus).
 */
import type { Evidence, ProfileFacts } from './types.js';

export interface FhirCoding { system?: string; code?: string; display?: string }
export interface FhirCodeableConcept { coding?: FhirCoding[]; text?: string }
export interface FhirQuantity { value: number; unit?: string; system?: string; code?: string }
export interface FhirReference { reference: string }

export interface FhirPatient {
  resourceType: 'Patient';
  id: string;
  birthDate?: string;
  gender: 'male' | 'female' | 'other' | 'unknown';
}
export interface FhirObservation {
  resourceType: 'Observation';
  id: string;
  status: string;
  category?: FhirCodeableConcept[];
  code: FhirCodeableConcept;
  subject: FhirReference;
  effectiveDateTime: string;
  valueQuantity?: FhirQuantity;
  valueString?: string;
  referenceRange?: Array<{ low?: FhirQuantity; high?: FhirQuantity }>;
  interpretation?: FhirCodeableConcept[];
}
export interface FhirMedicationStatement {
  resourceType: 'MedicationStatement';
  id: string;
  status: string;
  medicationCodeableConcept: FhirCodeableConcept;
  subject: FhirReference;
  effectivePeriod?: { start?: string; end?: string };
  dosage?: Array<{ text: string }>;
}
export interface FhirCondition {
  resourceType: 'Condition';
  id: string;
  clinicalStatus: FhirCodeableConcept;
  code: FhirCodeableConcept;
  subject: FhirReference;
  onsetDateTime?: string;
}
export interface FhirAllergyIntolerance {
  resourceType: 'AllergyIntolerance';
  id: string;
  clinicalStatus: FhirCodeableConcept;
  code: FhirCodeableConcept;
  patient: FhirReference;
  category?: string[];
  criticality?: string;
}
export interface FhirImmunization {
  resourceType: 'Immunization';
  id: string;
  status: string;
  vaccineCode: FhirCodeableConcept;
  patient: FhirReference;
  /** R4 requires occurrence[x]: a date when known, else the string "unknown". */
  occurrenceDateTime?: string;
  occurrenceString?: string;
  protocolApplied?: Array<{ doseNumberPositiveInt: number }>;
}
export type FhirClinicalResource = FhirObservation | FhirMedicationStatement | FhirCondition | FhirAllergyIntolerance | FhirImmunization;
export type FhirResource = FhirPatient | FhirClinicalResource;
export interface FhirBundle {
  resourceType: 'Bundle';
  type: 'collection';
  entry: Array<{ fullUrl?: string; resource: FhirResource }>;
}

export const CLINICAL_RESOURCE_TYPES = ['Observation', 'MedicationStatement', 'Condition', 'AllergyIntolerance', 'Immunization'] as const;
export type ClinicalResourceType = (typeof CLINICAL_RESOURCE_TYPES)[number];

/** The record table (and access-grant category) behind each resource type. */
export const RESOURCE_TABLE: Readonly<Record<ClinicalResourceType, Evidence['table']>> = {
  Observation: 'observations',
  MedicationStatement: 'medications',
  Condition: 'conditions',
  AllergyIntolerance: 'allergies',
  Immunization: 'immunizations',
};

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
const LOINC_CODE = /^\d{1,7}-\d$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';

function codeableConcept(text: string, system: string | null, code: string | null): FhirCodeableConcept {
  const trimmed = code?.trim();
  if (!trimmed) return { text };
  // Observations without a system but with a LOINC-shaped code are LOINC (as in seriesKey).
  const resolved = system ?? (LOINC_CODE.test(trimmed) ? LOINC : null);
  const coding: FhirCoding = resolved ? { system: resolved, code: trimmed, display: text } : { code: trimmed, display: text };
  return { coding: [coding], text };
}

function quantity(value: number, unit: string | null): FhirQuantity {
  return unit ? { value, unit, system: UCUM, code: unit } : { value };
}

/** The FHIR resource types (and the whole Patient) of `facts`, as one collection Bundle. */
export function toFhirBundle(facts: ProfileFacts, resourceTypes: readonly ClinicalResourceType[] = CLINICAL_RESOURCE_TYPES): FhirBundle {
  const types = new Set(resourceTypes);
  // Within a collection, references point at entries' fullUrls (urn:uuid:… for our uuid ids).
  const subject = { reference: UUID.test(facts.profile.id) ? `urn:uuid:${facts.profile.id}` : `Patient/${facts.profile.id}` };
  const patientResource: FhirPatient = { resourceType: 'Patient', id: facts.profile.id, gender: facts.profile.sex };
  if (facts.profile.birth_date) patientResource.birthDate = facts.profile.birth_date;
  const resources: FhirResource[] = [patientResource];
  // Records repeat a few concepts and reference ranges many times (2,000 results, ~40
  // analytes): each distinct one is built once and shared. The bundle is only read.
  const concepts = new Map<string, FhirCodeableConcept>();
  const concept = (text: string, system: string | null, code: string | null): FhirCodeableConcept => {
    const key = JSON.stringify([text, system, code]); // null and '' stay apart
    let built = concepts.get(key);
    if (!built) concepts.set(key, (built = codeableConcept(text, system, code)));
    return built;
  };
  const bounds = new Map<string, FhirQuantity>();
  const bound = (value: number, unit: string | null): FhirQuantity => {
    const key = `${value} ${JSON.stringify(unit)}`; // String(): NaN and Infinity stay apart
    let built = bounds.get(key);
    if (!built) bounds.set(key, (built = quantity(value, unit)));
    return built;
  };

  if (types.has('Observation')) {
    for (const o of facts.observations) {
      const r: FhirObservation = { resourceType: 'Observation', id: o.id, status: o.status, code: concept(o.name, o.code_system, o.code), subject, effectiveDateTime: o.effective_at };
      if (o.category === 'laboratory' || o.category === 'vital-signs') r.category = [{ coding: [{ system: OBSERVATION_CATEGORY, code: o.category }] }];
      if (o.value_numeric !== null) r.valueQuantity = quantity(o.value_numeric, o.unit);
      else if (o.value_text !== null) r.valueString = o.value_text;
      if (o.reference_low !== null || o.reference_high !== null) {
        const range: { low?: FhirQuantity; high?: FhirQuantity } = {};
        if (o.reference_low !== null) range.low = bound(o.reference_low, o.unit);
        if (o.reference_high !== null) range.high = bound(o.reference_high, o.unit);
        r.referenceRange = [range];
      }
      if (o.interpretation) r.interpretation = [{ coding: [{ system: INTERPRETATION, code: o.interpretation }] }];
      resources.push(r);
    }
  }
  if (types.has('MedicationStatement')) {
    for (const m of facts.medications) {
      const r: FhirMedicationStatement = { resourceType: 'MedicationStatement', id: m.id, status: m.status, medicationCodeableConcept: concept(m.name, m.code_system, m.code), subject };
      if (m.start_date || m.end_date) r.effectivePeriod = { ...(m.start_date ? { start: m.start_date } : {}), ...(m.end_date ? { end: m.end_date } : {}) };
      if (m.dose_text) r.dosage = [{ text: m.dose_text }];
      resources.push(r);
    }
  }
  if (types.has('Condition')) {
    for (const c of facts.conditions) {
      const r: FhirCondition = {
        resourceType: 'Condition', id: c.id, subject, code: concept(c.name, c.code_system, c.code),
        clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: c.clinical_status }] },
      };
      if (c.onset_date) r.onsetDateTime = c.onset_date;
      resources.push(r);
    }
  }
  if (types.has('AllergyIntolerance')) {
    for (const a of facts.allergies) {
      const r: FhirAllergyIntolerance = {
        resourceType: 'AllergyIntolerance', id: a.id, patient: subject, code: concept(a.substance, a.code_system, a.code),
        clinicalStatus: { coding: [{ system: ALLERGY_CLINICAL, code: a.clinical_status }] },
      };
      if (a.category) r.category = [a.category];
      if (a.criticality) r.criticality = a.criticality;
      resources.push(r);
    }
  }
  if (types.has('Immunization')) {
    for (const i of facts.immunizations) {
      const r: FhirImmunization = { resourceType: 'Immunization', id: i.id, status: i.status, vaccineCode: concept(i.vaccine, i.code_system, i.code), patient: subject };
      if (i.occurrence_date) r.occurrenceDateTime = i.occurrence_date;
      else r.occurrenceString = 'unknown';
      if (i.dose_number !== null) r.protocolApplied = [{ doseNumberPositiveInt: i.dose_number }];
      resources.push(r);
    }
  }
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource) => (UUID.test(resource.id) ? { fullUrl: `urn:uuid:${resource.id}`, resource } : { resource })),
  };
}
