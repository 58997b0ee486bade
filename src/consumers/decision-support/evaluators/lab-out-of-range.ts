/**
 * Lab out of range: the latest result of each series (or of the listed analytes) lies
 * outside the reference range printed with it. A value exactly at a bound is in range
 * (reference intervals are inclusive). Without a numeric range the lab's own flag
 * counts (H, L, HH, LL, A, AA); with one, the numbers decide, so a stale flag cannot
 * contradict them.
 *
 * Severity is critical when the lab flagged the result critical (HH, LL, AA), or when
 * the value is at least `critical_factor` times the upper limit, or at most the lower
 * limit divided by it. The default factor, 2, reads "twice the upper limit of normal"
 * (haemoglobin 130–170 g/L: ≤ 65; creatinine 60–110 µmol/L: ≥ 220; ALT ≤ 40 U/L: ≥ 80).
 * That is a generic screen, not a laboratory's critical-risk list; narrow ranges such
 * as potassium rely on the lab's HH/LL flag.
 *
 * Subject: the series key. A newer result back in range resolves the finding.
 */
import { z } from 'zod';
import type { Evaluator, Finding, ObservationFact } from '../types.js';
import { analyteList } from './analytes.js';
import { clip, escapeMarkdown, formatNumber, withUnit } from './finding-text.js';
import { ruleParams } from './rule-params.js';

export const labOutOfRangeParams = z.strictObject({
  /** Only these analytes (series keys, LOINC codes or names); every series when absent. */
  analytes: analyteList.optional(),
  critical_factor: z.number().gt(1).max(100).default(2),
  /** Only these observation categories; every category when absent. */
  categories: z
    .array(z.enum(['laboratory', 'vital-signs', 'other']))
    .min(1)
    .optional()
    .transform((list) => (list ? new Set<string>(list) : undefined)),
});

const FLAGS: Readonly<Record<string, { direction: Direction; critical: boolean }>> = {
  H: { direction: 'high', critical: false },
  HH: { direction: 'high', critical: true },
  L: { direction: 'low', critical: false },
  LL: { direction: 'low', critical: true },
  A: { direction: 'abnormal', critical: false },
  AA: { direction: 'abnormal', critical: true },
};

type Direction = 'high' | 'low' | 'abnormal';

interface Assessment {
  direction: Direction;
  critical: boolean;
  /** Whether the numeric range (rather than the lab's flag) decided. */
  byRange: boolean;
}

function assess(o: ObservationFact, factor: number): Assessment | null {
  const flag = o.interpretation ? FLAGS[o.interpretation] : undefined;
  const v = o.value_numeric;
  const { reference_low: low, reference_high: high } = o;
  if (v !== null && (low !== null || high !== null)) {
    let direction: Direction;
    let beyond: boolean;
    if (high !== null && v > high) {
      direction = 'high';
      beyond = high > 0 && v >= high * factor;
    } else if (low !== null && v < low) {
      direction = 'low';
      beyond = low > 0 && v <= low / factor;
    } else {
      return null;
    }
    return { direction, critical: beyond || flag?.critical === true, byRange: true };
  }
  return flag ? { ...flag, byRange: false } : null;
}

function rangeText(o: ObservationFact): string {
  const { reference_low: low, reference_high: high, unit } = o;
  const range = low !== null && high !== null ? `${formatNumber(low)}–${formatNumber(high)}` : low !== null ? `≥ ${formatNumber(low)}` : `≤ ${formatNumber(high!)}`;
  return unit ? `${range} ${unit}` : range;
}

const valueText = (o: ObservationFact) => (o.value_numeric !== null ? withUnit(o.value_numeric, o.unit) : (o.value_text ?? '').trim());

function toFinding(o: ObservationFact, a: Assessment): Finding {
  const words = a.direction === 'abnormal' ? 'abnormal' : a.critical ? `critically ${a.direction}` : a.direction;
  const value = valueText(o);
  const date = o.effective_at.slice(0, 10);
  const summary = a.byRange
    ? `${o.name} ${value} is ${words} (reference ${rangeText(o)})`
    : `${o.name}${value ? ` ${value}` : ''} is flagged ${words} by the laboratory`;
  const detail = [
    `The latest **${escapeMarkdown(o.name)}** result${value ? `, ${escapeMarkdown(value)},` : ''} from ${date} is ` +
      (a.byRange
        ? `${a.direction === 'high' ? 'above' : 'below'} its reference range of ${rangeText(o)}.`
        : `flagged ${words} (${o.interpretation}) by the laboratory.`),
    '',
    a.critical
      ? 'It is far enough outside the range to count as critical: please check it with a doctor promptly.'
      : 'A single result outside the range is common and often not significant; discuss it with the doctor who ordered it.',
  ].join('\n');
  const finding: Finding = {
    subject: o.series_key,
    summary: clip(summary),
    detail,
    categories: ['observations'],
    evidence: [{ table: 'observations', id: o.id }],
  };
  if (a.critical) finding.severity = 'critical';
  return finding;
}

export const evaluateLabOutOfRange: Evaluator = (rule, facts) => {
  const params = ruleParams(labOutOfRangeParams, rule);
  const latest = new Map<string, ObservationFact>();
  // Observations come ordered by effective_at ascending: the last one seen is the latest.
  for (const o of facts.observations) {
    if (params.analytes && !params.analytes.has(o.series_key)) continue;
    if (params.categories && !params.categories.has(o.category)) continue;
    latest.set(o.series_key, o);
  }
  const findings: Finding[] = [];
  for (const o of latest.values()) {
    const assessment = assess(o, params.critical_factor);
    if (assessment) findings.push(toFinding(o, assessment));
  }
  return findings;
};
