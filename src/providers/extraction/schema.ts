/**
 * What extraction produces: clinical records found in a document's text, each with
 * its provenance (page, character span in that page's text, the source snippet and
 * a confidence). One zod schema validates every extractor's output before anything
 * is written, and the OpenAI extractor derives its JSON schema from it (structured
 * outputs), so the model and the validator cannot disagree.
 *
 * Optional facts are `nullable`, not `optional`: OpenAI's strict structured outputs
 * require every property to be present.
 */
import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'an ISO date (YYYY-MM-DD)');

export const provenanceSchema = z.object({
  page: z.number().int().min(1),
  /** Character offsets into that page's OCR text: [start, end). */
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  /** The text the record was read from (a line or a table row). */
  text: z.string(),
  confidence: z.number().min(0).max(1),
});

export const codingSchema = z
  .object({
    system: z.enum(['http://loinc.org', 'http://snomed.info/sct', 'http://www.nlm.nih.gov/research/umls/rxnorm', 'http://hl7.org/fhir/sid/cvx']),
    code: z.string().min(1),
  })
  .nullable();

export const observationSchema = z.object({
  kind: z.literal('observation'),
  category: z.enum(['laboratory', 'vital-signs']),
  name: z.string().min(1),
  coding: codingSchema,
  value: z.number().nullable(),
  valueText: z.string().nullable(),
  /** UCUM: mmol/L, mg/dL, g/L, %, 10*9/L, mm[Hg], /min, Cel, kg */
  unit: z.string().nullable(),
  referenceLow: z.number().nullable(),
  referenceHigh: z.number().nullable(),
  /** HL7 v3 ObservationInterpretation: L, N, H, LL, HH, A */
  interpretation: z.enum(['L', 'N', 'H', 'LL', 'HH', 'A']).nullable(),
  effectiveDate: isoDate.nullable(),
  provenance: provenanceSchema,
});

export const medicationSchema = z.object({
  kind: z.literal('medication'),
  name: z.string().min(1),
  coding: codingSchema,
  doseValue: z.number().nullable(),
  doseUnit: z.string().nullable(),
  /** As written: "500 mg twice daily with food". */
  doseText: z.string().nullable(),
  route: z.string().nullable(),
  /** Normalised where known: QD, BID, TID, QID, Q4H, Q6H, Q8H, QHS, PRN, WEEKLY */
  frequency: z.string().nullable(),
  startDate: isoDate.nullable(),
  endDate: isoDate.nullable(),
  status: z.enum(['active', 'completed', 'stopped']).nullable(),
  provenance: provenanceSchema,
});

export const allergySchema = z.object({
  kind: z.literal('allergy'),
  substance: z.string().min(1),
  coding: codingSchema,
  category: z.enum(['food', 'medication', 'environment', 'biologic']).nullable(),
  reaction: z.string().nullable(),
  severity: z.enum(['mild', 'moderate', 'severe']).nullable(),
  provenance: provenanceSchema,
});

export const immunizationSchema = z.object({
  kind: z.literal('immunization'),
  vaccine: z.string().min(1),
  coding: codingSchema,
  date: isoDate.nullable(),
  doseNumber: z.number().int().min(1).nullable(),
  lotNumber: z.string().nullable(),
  provenance: provenanceSchema,
});

export const conditionSchema = z.object({
  kind: z.literal('condition'),
  name: z.string().min(1),
  coding: codingSchema,
  clinicalStatus: z.enum(['active', 'resolved', 'inactive']).nullable(),
  onsetDate: isoDate.nullable(),
  provenance: provenanceSchema,
});

export const encounterSchema = z.object({
  kind: z.literal('encounter'),
  /** HL7 v3 ActCode: AMB, EMER, IMP, VR, HH, OTHER */
  class: z.enum(['AMB', 'EMER', 'IMP', 'VR', 'HH', 'OTHER']),
  startDate: isoDate.nullable(),
  endDate: isoDate.nullable(),
  facility: z.string().nullable(),
  practitioner: z.string().nullable(),
  reason: z.string().nullable(),
  provenance: provenanceSchema,
});

export const extractedRecordSchema = z.discriminatedUnion('kind', [
  observationSchema,
  medicationSchema,
  allergySchema,
  immunizationSchema,
  conditionSchema,
  encounterSchema,
]);

export const extractionSchema = z.object({ records: z.array(extractedRecordSchema) });

export type Provenance = z.infer<typeof provenanceSchema>;
export type ExtractedRecord = z.infer<typeof extractedRecordSchema>;
export type RecordKind = ExtractedRecord['kind'];

export interface ExtractionResult {
  records: ExtractedRecord[];
  extractor: { name: string; version: string };
}

/** Pages of OCR text in; records out. */
export interface Extractor {
  readonly name: string;
  extract(pages: { page: number; text: string; confidence: number }[], options?: { signal?: AbortSignal }): Promise<ExtractionResult>;
}
