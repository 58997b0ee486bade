/**
 * Lab trend: a listed analyte keeps moving one way. Two forms:
 * - `consecutive: n`: each of the latest n + 1 results is strictly higher (rising) or
 *   lower (falling) than the one before; an equal value breaks the run.
 * - `percent_change: p` (with `window_days`, default 365): from the earliest to the
 *   latest result within the window the value changed by at least p % in the rule's
 *   direction (KDIGO calls a ≥ 25 % fall in eGFR a "certain drop"). The window slides
 *   with the evaluation date, so such rules are time based.
 *
 * Results are compared in one unit: the analyte's preferred unit, else the latest
 * result's; a result that cannot be converted is left out rather than compared
 * across units. Each listed series is judged on its own (an eGFR from the MDRD and
 * one from CKD-EPI are different series); subject = the series key.
 */
import { z } from 'zod';
import { convertValue, preferredUnit } from '../../journey/convert.js';
import type { Evaluator, Finding, ObservationFact } from '../types.js';
import { analyteList } from './analytes.js';
import { clip, escapeMarkdown, formatNumber } from './finding-text.js';
import { ruleParams } from './rule-params.js';

export const labTrendParams = z
  .strictObject({
    analytes: analyteList,
    direction: z.enum(['rising', 'falling']),
    consecutive: z.number().int().min(2).max(20).optional(),
    percent_change: z.number().gt(0).max(1000).optional(),
    window_days: z.number().int().min(1).max(3650).optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.consecutive === undefined) === (p.percent_change === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of consecutive or percent_change', path: ['consecutive'] });
    }
    if (p.window_days !== undefined && p.percent_change === undefined) {
      ctx.addIssue({ code: 'custom', message: 'window_days goes with percent_change', path: ['window_days'] });
    }
  });

type Params = z.output<typeof labTrendParams>;

interface Point {
  o: ObservationFact;
  value: number;
}

const DAY_MS = 86_400_000;
// Float noise must not decide a threshold: (75 − 100) / 100 is exactly −25 %, but not every such quotient is.
const EPSILON = 1e-9;

function inOneUnit(series: ObservationFact[]): { points: Point[]; unit: string | null } {
  const latest = series[series.length - 1]!;
  const unit = preferredUnit({ series_key: latest.series_key, name: latest.name }) ?? latest.unit;
  const points: Point[] = [];
  for (const o of series) {
    const value = convertValue(o.value_numeric!, o.unit, unit, { series_key: o.series_key, name: o.name });
    if (value !== null) points.push({ o, value });
  }
  return { points, unit };
}

const moves = (from: number, to: number, direction: Params['direction']) => (direction === 'rising' ? to > from : to < from);

function windowText(days: number): string {
  if (days % 365 === 0) return days === 365 ? 'a year' : `${days / 365} years`;
  return `${days} days`;
}

function judge(series: ObservationFact[], params: Params, today: string): Finding | null {
  const { points, unit } = inOneUnit(series);
  const latest = points[points.length - 1];
  if (!latest) return null;
  const name = latest.o.name;
  const verb = params.direction === 'rising' ? 'rose' : 'fell';
  const unitText = unit ? ` ${unit}` : '';
  let used: Point[];
  let summary: string;
  let explanation: string;

  if (params.consecutive !== undefined) {
    used = points.slice(-(params.consecutive + 1));
    if (used.length < params.consecutive + 1) return null;
    for (let i = 1; i < used.length; i++) if (!moves(used[i - 1]!.value, used[i]!.value, params.direction)) return null;
    const values = used.map((p) => formatNumber(p.value)).join(' → ');
    summary = `${name} ${verb} in ${params.consecutive} consecutive results: ${values}${unitText}`;
    explanation = `Each of the last ${params.consecutive + 1} results was ${params.direction === 'rising' ? 'higher' : 'lower'} than the one before.`;
  } else {
    const windowDays = params.window_days ?? 365;
    const start = Date.parse(`${today}T00:00:00Z`) - windowDays * DAY_MS;
    const inWindow = points.filter((p) => Date.parse(p.o.effective_at) >= start);
    const first = inWindow[0];
    if (!first || inWindow.length < 2 || first.value <= 0) return null;
    const change = ((latest.value - first.value) / first.value) * 100;
    const signed = params.direction === 'rising' ? change : -change;
    if (signed + EPSILON < params.percent_change!) return null;
    used = [first, latest];
    summary = `${name} ${verb} ${formatNumber(Math.abs(change))}% within ${windowText(windowDays)}: ${formatNumber(first.value)} → ${formatNumber(latest.value)}${unitText}`;
    explanation = `That is a change of at least ${params.percent_change}% between the earliest and the latest result of the last ${windowDays} days.`;
  }

  const detail = [
    `**${escapeMarkdown(name)}** ${verb}:`,
    '',
    ...used.map((p) => `- ${p.o.effective_at.slice(0, 10)}: ${formatNumber(p.value)}${unitText}`),
    '',
    `${explanation} Discuss the trend with the doctor who follows these results.`,
  ].join('\n');
  return {
    subject: latest.o.series_key,
    summary: clip(summary),
    detail,
    categories: ['observations'],
    evidence: used.map((p) => ({ table: 'observations' as const, id: p.o.id })),
  };
}

export const evaluateLabTrend: Evaluator = (rule, facts) => {
  const params = ruleParams(labTrendParams, rule);
  const bySeries = new Map<string, ObservationFact[]>();
  for (const o of facts.observations) {
    if (o.value_numeric === null || !params.analytes.has(o.series_key)) continue;
    let series = bySeries.get(o.series_key);
    if (!series) bySeries.set(o.series_key, (series = []));
    series.push(o);
  }
  const findings: Finding[] = [];
  for (const series of bySeries.values()) {
    const finding = judge(series, params, facts.today);
    if (finding) findings.push(finding);
  }
  return findings;
};
