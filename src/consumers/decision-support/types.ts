/**
 * What the rule evaluators see and what they return. Evaluators are pure functions
 * (facts in, findings out): the consumer loads the facts, evaluates every enabled
 * rule and reconciles the findings with the stored alerts.
 */

export type Severity = 'info' | 'warning' | 'critical';

export type RuleKind =
  | 'drug_interaction'
  | 'drug_allergy'
  | 'lab_out_of_range'
  | 'lab_trend'
  | 'overdue_immunization'
  | 'duplicate_therapy'
  | 'fhirpath';

/** A row of public.cds_rules. */
export interface Rule {
  id: string;
  key: string;
  kind: RuleKind;
  title: string;
  description: string | null;
  params: Record<string, unknown>;
  severity: Severity;
  source_label: string;
  source_url: string | null;
  time_based: boolean;
}

export interface ProfileFact {
  id: string;
  birth_date: string | null; // yyyy-mm-dd
  sex: 'female' | 'male' | 'other' | 'unknown';
}

export interface MedicationFact {
  id: string;
  name: string;
  code_system: string | null;
  code: string | null;
  dose_text: string | null;
  status: string; // active, completed, stopped, on-hold, unknown, entered-in-error
  start_date: string | null;
  end_date: string | null;
}

export interface AllergyFact {
  id: string;
  substance: string;
  code_system: string | null;
  code: string | null;
  category: string | null;
  criticality: string | null;
  clinical_status: string; // active, inactive, resolved
}

export interface ConditionFact {
  id: string;
  name: string;
  code_system: string | null;
  code: string | null;
  clinical_status: string;
  onset_date: string | null;
}

export interface ObservationFact {
  id: string;
  /** Same key as the journey's lab series: `loinc:<code>` or `name:<normalised name>`. */
  series_key: string;
  name: string;
  code_system: string | null;
  code: string | null;
  category: string;
  value_numeric: number | null;
  value_text: string | null;
  unit: string | null;
  reference_low: number | null;
  reference_high: number | null;
  interpretation: string | null;
  effective_at: string; // ISO timestamp (effective_at, else created_at)
  status: string;
}

export interface ImmunizationFact {
  id: string;
  vaccine: string;
  code_system: string | null;
  code: string | null;
  occurrence_date: string | null;
  dose_number: number | null;
  status: string; // completed, not-done, entered-in-error
}

/** Everything about one profile the rules may look at. Records entered in error are left out. */
export interface ProfileFacts {
  profile: ProfileFact;
  medications: MedicationFact[];
  allergies: AllergyFact[];
  conditions: ConditionFact[];
  /** Ordered by effective_at ascending. */
  observations: ObservationFact[];
  immunizations: ImmunizationFact[];
  /** The evaluation date (yyyy-mm-dd), injected so time-based rules are testable. */
  today: string;
}

export interface Evidence {
  table: 'medications' | 'allergies' | 'conditions' | 'observations' | 'immunizations';
  id: string;
}

/** One condition that holds now. */
export interface Finding {
  /**
   * What the finding is about, stable across re-evaluations and re-extractions
   * (normalised names or series keys, never record ids); the fingerprint is
   * sha256(rule key + '\n' + subject).
   */
  subject: string;
  /** ≤ 140 characters (the CDS Hooks card summary limit). */
  summary: string;
  /** Markdown. */
  detail: string;
  /** Defaults to the rule's severity (e.g. a critical lab value may raise it). */
  severity?: Severity;
  /** Grant categories the finding draws on (a provider needs all of them to see it). */
  categories: Evidence['table'][];
  evidence: Evidence[];
}

export type Evaluator = (rule: Rule, facts: ProfileFacts) => Finding[];
