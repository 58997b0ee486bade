/**
 * Evaluates rules against one profile's facts: dispatches each rule to its kind's
 * evaluator after validating its params with the kind's zod schema. A rule that
 * cannot be evaluated (unknown kind, params that do not fit, an expression that
 * throws) is skipped and reported through `onRuleError`; the other rules still run.
 *
 * The findings are made safe to store: summaries cut to 140 characters, severity
 * filled from the rule, and one finding per subject and rule (a rule's fingerprint
 * is its key and the subject, unique per profile), duplicates merging their evidence.
 */
import type { z } from 'zod';
import { drugAllergyParams, evaluateDrugAllergy } from './evaluators/drug-allergy.js';
import { drugInteractionParams, evaluateDrugInteraction } from './evaluators/drug-interaction.js';
import { duplicateTherapyParams, evaluateDuplicateTherapy } from './evaluators/duplicate-therapy.js';
import { evaluateFhirpath, fhirpathParams } from './evaluators/fhirpath.js';
import { clip } from './evaluators/finding-text.js';
import { evaluateLabOutOfRange, labOutOfRangeParams } from './evaluators/lab-out-of-range.js';
import { evaluateLabTrend, labTrendParams } from './evaluators/lab-trend.js';
import { evaluateOverdueImmunization, overdueImmunizationParams } from './evaluators/overdue-immunization.js';
import { ruleParams } from './evaluators/rule-params.js';
import type { Evaluator, Finding, ProfileFacts, Rule, RuleKind, Severity } from './types.js';

interface KindDefinition {
  params: z.ZodType;
  evaluate: Evaluator;
}

const KINDS: Readonly<Record<RuleKind, KindDefinition>> = {
  drug_interaction: { params: drugInteractionParams, evaluate: evaluateDrugInteraction },
  drug_allergy: { params: drugAllergyParams, evaluate: evaluateDrugAllergy },
  lab_out_of_range: { params: labOutOfRangeParams, evaluate: evaluateLabOutOfRange },
  lab_trend: { params: labTrendParams, evaluate: evaluateLabTrend },
  overdue_immunization: { params: overdueImmunizationParams, evaluate: evaluateOverdueImmunization },
  duplicate_therapy: { params: duplicateTherapyParams, evaluate: evaluateDuplicateTherapy },
  fhirpath: { params: fhirpathParams, evaluate: evaluateFhirpath },
};

/** Every kind a rule may have (the same list as the cds_rules.kind check constraint). */
export const RULE_KINDS: readonly RuleKind[] = Object.freeze(Object.keys(KINDS) as RuleKind[]);

const isKind = (kind: string): kind is RuleKind => Object.hasOwn(KINDS, kind);

export interface EvaluateOptions {
  /** Called once for each rule that was skipped; the error names the rule, never patient data. */
  onRuleError?: (rule: Rule, error: Error) => void;
}

export type RuleFinding = Finding & { rule: Rule; severity: Severity };

/**
 * Whether a rule's params fit its kind: null when they do, else the problem (for
 * tooling and tests that check rules before they are stored).
 */
export function checkRuleParams(rule: Pick<Rule, 'key' | 'kind' | 'params'>): string | null {
  if (!isKind(rule.kind)) return `unknown rule kind ${JSON.stringify(rule.kind)}`;
  try {
    ruleParams(KINDS[rule.kind].params, rule);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function mergeBySubject(findings: Finding[]): Finding[] {
  if (findings.length < 2) return findings;
  const bySubject = new Map<string, Finding>();
  for (const finding of findings) {
    const first = bySubject.get(finding.subject);
    if (!first) {
      bySubject.set(finding.subject, finding);
      continue;
    }
    const seen = new Set(first.evidence.map((e) => `${e.table}/${e.id}`));
    const evidence = [...first.evidence, ...finding.evidence.filter((e) => !seen.has(`${e.table}/${e.id}`))];
    const categories = [...new Set([...first.categories, ...finding.categories])];
    bySubject.set(finding.subject, { ...first, evidence, categories });
  }
  return [...bySubject.values()];
}

export function evaluateRules(rules: Rule[], facts: ProfileFacts, options: EvaluateOptions = {}): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const rule of rules) {
    let findings: Finding[];
    try {
      if (!isKind(rule.kind)) throw new Error(`rule ${rule.key}: unknown rule kind ${JSON.stringify(rule.kind)}`);
      const kind = KINDS[rule.kind];
      ruleParams(kind.params, rule); // validated (and cached) before the evaluator reads it
      findings = mergeBySubject(kind.evaluate(rule, facts));
    } catch (error) {
      options.onRuleError?.(rule, error instanceof Error ? error : new Error(String(error)));
      continue;
    }
    for (const finding of findings) {
      out.push({ ...finding, summary: clip(finding.summary) || clip(rule.title), severity: finding.severity ?? rule.severity, rule });
    }
  }
  return out;
}
