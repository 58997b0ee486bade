/**
 * A rule's params, validated (and compiled: names normalised, matchers built) by its
 * kind's zod schema once per params object. The dispatcher validates before it calls
 * an evaluator, and the evaluator reads the same cached result, so a rule's params
 * are parsed once per evaluation at most, and once in total when the caller keeps
 * its rule objects between evaluations. Params are catalogue data, never health data.
 */
import { z } from 'zod';
import type { Rule } from '../types.js';

export class RuleParamsError extends Error {
  override readonly name = 'RuleParamsError';
  constructor(ruleKey: string, kind: string, problems: string) {
    super(`rule ${ruleKey}: params do not fit kind ${kind}: ${problems}`);
  }
}

const parsed = new WeakMap<object, WeakMap<z.ZodType, unknown>>();

/** The rule's params as `schema` outputs them; throws RuleParamsError when they do not fit. */
export function ruleParams<S extends z.ZodType>(schema: S, rule: Pick<Rule, 'key' | 'kind' | 'params'>): z.output<S> {
  const params: unknown = rule.params;
  if (typeof params !== 'object' || params === null) {
    throw new RuleParamsError(rule.key, rule.kind, 'params must be an object');
  }
  let bySchema = parsed.get(params);
  if (bySchema?.has(schema)) return bySchema.get(schema) as z.output<S>;
  const result = schema.safeParse(params);
  if (!result.success) throw new RuleParamsError(rule.key, rule.kind, z.prettifyError(result.error).replace(/\n/g, '; '));
  if (!bySchema) {
    bySchema = new WeakMap();
    parsed.set(params, bySchema);
  }
  bySchema.set(schema, result.data);
  return result.data;
}

/** Shared field shapes. */
export const nameList = z.array(z.string().trim().min(2).max(120)).min(1).max(500);
export const aliasMap = z.record(z.string().trim().min(2).max(120), z.string().trim().min(2).max(120));
export const codeMap = z.record(z.string().trim().min(2).max(120), z.array(z.string().trim().min(1).max(40)).max(50));
