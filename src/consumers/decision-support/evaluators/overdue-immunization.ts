/**
 * Overdue immunisation against a schedule of doses by age. A dose is overdue when
 * the person is at least its due age plus a grace period (default 30 days) and fewer
 * doses of its group are recorded than its number. Doses recorded for a group are
 * the larger of the highest dose_number on a matching record and the number of
 * distinct dates of matching records (undated records count one each), so both
 * "dose 3" on a single record and three unnumbered records count three.
 *
 * A record matches a group when its vaccine name contains one of the group's terms
 * as whole words ("infanrix hexa" counts for DTPa, hepatitis B, IPV and Hib), or its
 * CVX code is listed. Only completed immunisations count.
 *
 * A booster that earlier doses must not stand in for (adolescent dTpa after infant
 * DTPa) counts only doses given from `count_from_age_months`; such boosters are best
 * made groups of their own, so a cohort that never had an intermediate dose is not
 * told it is one dose short.
 *
 * Only the first overdue dose of each group is reported (subject "group:dose"): the
 * next one is the one to catch up. An entry whose catch-up age has passed is skipped,
 * and so are the later doses of its group while it is missing (rotavirus cannot be
 * started late). No birth date, or older than `max_age_months`: no findings.
 */
import { z } from 'zod';
import { normaliseName } from '../../journey/series-key.js';
import type { Evaluator, Finding, ImmunizationFact } from '../types.js';
import { clip, escapeMarkdown } from './finding-text.js';
import { ruleParams } from './rule-params.js';

const CVX = 'http://hl7.org/fhir/sid/cvx';
/** Mean Gregorian month, for the fractional part of an age in months (rotavirus' 15 weeks ≈ 3.45 months). */
const DAYS_PER_MONTH = 30.436875;
const DAY_MS = 86_400_000;

const scheduleEntry = z.strictObject({
  group: z.string().regex(/^[a-z0-9_]{2,40}$/),
  label: z.string().trim().min(2).max(80),
  dose: z.number().int().min(1).max(20),
  due_age_months: z.number().min(0).max(1200),
  /** Overrides the rule's grace period (the hepatitis B birth dose is due within 7 days). */
  grace_days: z.number().int().min(0).max(3650).optional(),
  /** The age after which the dose is no longer given (not caught up). */
  catch_up_until_months: z.number().gt(0).max(1200).optional(),
  /**
   * Only doses given from this age count towards this entry (undated ones cannot be
   * placed, so they do not), for boosters a group's earlier doses must not stand in for:
   * the adolescent dTpa is not satisfied by infant DTPa doses.
   */
  count_from_age_months: z.number().min(0).max(1200).optional(),
  /** Vaccine name terms and CVX codes of the group: given on any of the group's entries, they apply to all of them. */
  match: z.array(z.string().trim().min(2).max(80)).min(1).max(100).optional(),
  cvx: z.array(z.string().trim().regex(/^\d{1,3}$/)).max(50).optional(),
});

export const overdueImmunizationParams = z
  .strictObject({
    schedule: z.array(scheduleEntry).min(1).max(200),
    grace_days: z.number().int().min(0).max(3650).default(30),
    max_age_months: z.number().gt(0).max(1500).optional(),
  })
  .superRefine((p, ctx) => {
    const seen = new Map<string, number>();
    p.schedule.forEach((e, i) => {
      const key = `${e.group}:${e.dose}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `${key} is listed twice`, path: ['schedule', i] });
      seen.set(key, e.due_age_months);
      // The evaluator stops at a group's first dose not yet due, so later doses must not fall due earlier.
      for (const [other, due] of seen) {
        const [group, dose] = other.split(':') as [string, string];
        if (group === e.group && ((Number(dose) < e.dose && due > e.due_age_months) || (Number(dose) > e.dose && due < e.due_age_months))) {
          ctx.addIssue({ code: 'custom', message: `${key}: doses of a group must fall due in dose order`, path: ['schedule', i] });
        }
      }
      if (!p.schedule.some((other) => other.group === e.group && other.match)) {
        ctx.addIssue({ code: 'custom', message: `${e.group}: no entry of the group lists the vaccines that match it`, path: ['schedule', i] });
      }
      if (e.count_from_age_months !== undefined && e.count_from_age_months > e.due_age_months) {
        ctx.addIssue({ code: 'custom', message: `${key}: counting cannot start after the due age`, path: ['schedule', i] });
      }
      if (e.catch_up_until_months !== undefined && e.catch_up_until_months <= e.due_age_months) {
        ctx.addIssue({ code: 'custom', message: `${key}: catch-up must end after the due age`, path: ['schedule', i] });
      }
    });
  })
  .transform((p) => {
    // Per group: its doses in order, and every term and code any of its entries lists.
    const groups = new Map<string, { entries: typeof p.schedule; terms: Set<string>; cvx: Set<string> }>();
    for (const entry of p.schedule) {
      let group = groups.get(entry.group);
      if (!group) groups.set(entry.group, (group = { entries: [], terms: new Set(), cvx: new Set() }));
      group.entries.push(entry);
      for (const term of entry.match ?? []) group.terms.add(normaliseName(term));
      for (const code of entry.cvx ?? []) group.cvx.add(code.replace(/^0+(?=\d)/, ''));
    }
    for (const group of groups.values()) group.entries.sort((a, b) => a.dose - b.dose);
    return { ...p, groups };
  });

type Entry = z.output<typeof scheduleEntry>;

/** `date` (yyyy-mm-dd) plus a possibly fractional number of months, as a UTC timestamp. */
function addMonths(date: string, months: number): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const whole = Math.floor(months);
  const target = new Date(Date.UTC(y, m - 1 + whole, 1));
  // Clamp the day: one month after 31 January is the end of February, not 3 March.
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.getTime() + Math.round((months - whole) * DAYS_PER_MONTH) * DAY_MS;
}

function ageText(months: number): string {
  if (months === 0) return 'birth';
  if (months < 24 || months % 12 !== 0) return `${months} months`;
  return `${months / 12} years`;
}

interface Given {
  records: ImmunizationFact[];
  count: number;
}

interface Completed {
  record: ImmunizationFact;
  padded: string;
  cvx: string | null;
  /** occurrence_date as a UTC timestamp, or null when undated. */
  at: number | null;
}

/** The group's doses on record, counting only those given from `from` (a timestamp) when set. */
function given(immunizations: Completed[], terms: Set<string>, cvx: Set<string>, from: number | null): Given {
  const records = immunizations
    .filter((i) => from === null || (i.at !== null && i.at >= from))
    .filter((i) => (i.cvx !== null && cvx.has(i.cvx)) || [...terms].some((t) => i.padded.includes(` ${t} `)))
    .map((i) => i.record);
  const dates = new Set<string>();
  let undated = 0;
  let highest = 0;
  for (const r of records) {
    if (r.occurrence_date) dates.add(r.occurrence_date);
    else undated++;
    if (r.dose_number !== null && r.dose_number > highest) highest = r.dose_number;
  }
  return { records, count: Math.max(highest, dates.size + undated) };
}

function toFinding(entry: Entry, got: Given, graceDays: number): Finding {
  const due = ageText(entry.due_age_months);
  const recorded = got.count === 0 ? 'No dose is recorded' : `${got.count} dose${got.count === 1 ? ' is' : 's are'} recorded`;
  const detail = [
    `Dose ${entry.dose} of **${escapeMarkdown(entry.label)}** is due at ${due} and counts as overdue ${graceDays} days later. ${recorded}.`,
    ...(got.records.length > 0 ? ['', ...got.records.map((r) => `- ${escapeMarkdown(r.vaccine)}${r.occurrence_date ? ` on ${r.occurrence_date}` : ''}${r.dose_number ? ` (dose ${r.dose_number})` : ''}`)] : []),
    '',
    'If it was given, add the record (for example from the Australian Immunisation Register); if not, ask a GP or immunisation provider about catch-up.',
  ].join('\n');
  return {
    subject: `${entry.group}:${entry.dose}`,
    summary: clip(`Overdue: ${entry.label} dose ${entry.dose} (due at ${due}) is not recorded`),
    detail,
    categories: ['immunizations'],
    evidence: got.records.map((r) => ({ table: 'immunizations' as const, id: r.id })),
  };
}

export const evaluateOverdueImmunization: Evaluator = (rule, facts) => {
  const params = ruleParams(overdueImmunizationParams, rule);
  const birth = facts.profile.birth_date;
  if (!birth) return [];
  const today = Date.parse(`${facts.today}T00:00:00Z`);
  if (params.max_age_months !== undefined && today >= addMonths(birth, params.max_age_months)) return [];

  const completed: Completed[] = facts.immunizations
    .filter((i) => i.status === 'completed')
    .map((record) => ({
      record,
      padded: ` ${normaliseName(record.vaccine)} `,
      cvx: record.code && (record.code_system === CVX || record.code_system === null) && /^\d{1,3}$/.test(record.code.trim())
        ? record.code.trim().replace(/^0+(?=\d)/, '')
        : null,
      at: record.occurrence_date ? Date.parse(`${record.occurrence_date}T00:00:00Z`) : null,
    }));

  const findings: Finding[] = [];
  for (const group of params.groups.values()) {
    for (const entry of group.entries) {
      const grace = entry.grace_days ?? params.grace_days;
      if (today < addMonths(birth, entry.due_age_months) + grace * DAY_MS) break; // later doses are due later still
      const from = entry.count_from_age_months === undefined ? null : addMonths(birth, entry.count_from_age_months);
      const got = given(completed, group.terms, group.cvx, from);
      if (got.count >= entry.dose) continue;
      const missedForGood = entry.catch_up_until_months !== undefined && today >= addMonths(birth, entry.catch_up_until_months);
      if (!missedForGood) findings.push(toFinding(entry, got, grace));
      break;
    }
  }
  return findings;
};
