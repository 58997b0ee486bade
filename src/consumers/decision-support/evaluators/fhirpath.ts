/**
 * FHIRPath rules: an expression evaluated (fhirpath.js, R4 model) against the
 * profile's data as a collection Bundle (see ../fhir-bundle.ts) holding a Patient and
 * the resource types the rule lists. Resources are reached as
 * `entry.resource.ofType(Observation)`; `%today` is the evaluation date (yyyy-mm-dd),
 * to be used instead of today(), which reads the clock.
 *
 * The rule fires when the result holds anything but `false` (`true`, or a non-empty
 * collection other than `[false]`). It gives ONE finding, subject = the rule key,
 * even when the result is several resources: the subject must stay stable across
 * re-extraction, and record ids do not (a re-processed document gets new ids). The
 * resources returned become the finding's evidence, so an expression that returns
 * the offending Observation rather than `true` links to it.
 *
 * Categories are those of every listed resource type: a rule that fires because a
 * Condition is absent still draws on the conditions.
 *
 * Compiled expressions are kept in a module-level cache keyed by the expression
 * text (catalogue data, no health data); the bundle is built per evaluation and
 * dropped with it. Evaluation is synchronous: functions that need a terminology
 * server (memberOf) fail the rule rather than reach the network.
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import { z } from 'zod';
import { CLINICAL_RESOURCE_TYPES, RESOURCE_TABLE, toFhirBundle, type ClinicalResourceType } from '../fhir-bundle.js';
import type { Evaluator, Evidence } from '../types.js';
import { clip, escapeMarkdown } from './finding-text.js';
import { ruleParams } from './rule-params.js';

type CompiledExpression = (resource: unknown, env: Record<string, unknown>) => unknown[];

/** More distinct expressions than any catalogue will hold; the bound only stops a runaway. */
const COMPILED_LIMIT = 500;
const compiledCache = new Map<string, CompiledExpression>();

export function compileExpression(expression: string): CompiledExpression {
  let compiled = compiledCache.get(expression);
  if (!compiled) {
    // trace() would print to stdout; results of a trace may be health data.
    const fn = fhirpath.compile(expression, r4, { async: false, traceFn: () => {} });
    compiled = (resource, env) => fn(resource, env);
    if (compiledCache.size >= COMPILED_LIMIT) compiledCache.clear();
    compiledCache.set(expression, compiled);
  }
  return compiled;
}

export const fhirpathParams = z.strictObject({
  expression: z
    .string()
    .trim()
    .min(1)
    .max(4000)
    .superRefine((expression, ctx) => {
      try {
        compileExpression(expression);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not a valid FHIRPath expression: ${(error as Error).message.split('\n')[0]}` });
      }
    }),
  resource_types: z.array(z.enum(CLINICAL_RESOURCE_TYPES)).min(1).max(CLINICAL_RESOURCE_TYPES.length),
  /** The finding's summary; the rule's title when absent. */
  summary: z.string().trim().min(3).max(140).optional(),
  /** The finding's detail (markdown); the rule's description when absent. */
  detail: z.string().trim().min(3).max(4000).optional(),
});

/** fhirpath.js messages may quote the data they choked on; rule errors must not carry health data. */
const withoutQuotes = (message: string) => message.split('\n')[0]!.replace(/'[^']*'|"[^"]*"/g, '…').slice(0, 200);

function evidenceOf(result: unknown[], listed: ReadonlySet<ClinicalResourceType>): Evidence[] {
  const evidence = new Map<string, Evidence>();
  for (const value of result) {
    if (typeof value !== 'object' || value === null) continue;
    const { resourceType, id } = value as { resourceType?: unknown; id?: unknown };
    if (typeof id !== 'string' || typeof resourceType !== 'string' || !listed.has(resourceType as ClinicalResourceType)) continue;
    const table = RESOURCE_TABLE[resourceType as ClinicalResourceType];
    evidence.set(`${table}/${id}`, { table, id });
  }
  return [...evidence.values()];
}

export const evaluateFhirpath: Evaluator = (rule, facts) => {
  const params = ruleParams(fhirpathParams, rule);
  const compiled = compileExpression(params.expression);
  const bundle = toFhirBundle(facts, params.resource_types);
  let result: unknown[];
  try {
    result = compiled(bundle, { today: facts.today });
  } catch (error) {
    throw new Error(`FHIRPath evaluation failed: ${withoutQuotes(error instanceof Error ? error.message : String(error))}`);
  }
  if (!result.some((value) => value !== false)) return [];
  const listed = new Set(params.resource_types);
  const evidence = evidenceOf(result, listed);
  const categories = CLINICAL_RESOURCE_TYPES.filter((t) => listed.has(t)).map((t) => RESOURCE_TABLE[t]);
  return [
    {
      subject: rule.key,
      summary: clip(params.summary ?? rule.title),
      detail: params.detail ?? rule.description ?? escapeMarkdown(rule.title),
      categories,
      evidence,
    },
  ];
};
