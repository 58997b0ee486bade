/**
 * The encounter a document records, at most one: an admission or emergency
 * presentation ("X was admitted to <facility> on <date> with <reason> and was
 * discharged on <date> under the care of <Dr>"), a consultation ("Seen at
 * <facility> by <Dr> on <date>"), or headed dates ("Admission date: …").
 */
import { DATE_PATTERN, parseDate } from '../dates.js';
import type { Line } from '../lines.js';
import { provenance, type Rec } from './common.js';

const D = DATE_PATTERN.source.slice(3, -3);
const PLACE = String.raw`([A-Z][\w'&.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'&.-]*){0,6})`;
const PERSON = String.raw`((?:Dr\.?|Prof\.?|Doctor)\s+[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){0,2})`;
const ADMISSION = new RegExp(String.raw`\b(admitted|presented|transferred|attended)\s+(?:to|at)\s+(?:the\s+)?(emergency department\s+(?:at|of)\s+(?:the\s+)?)?${PLACE}\s+on\s+(${D})(?:\s+with\s+(.+?))?(?=\s+and\s+(?:was\s+)?discharged|\.|$)`, 'i');
const SEEN = new RegExp(String.raw`\b(?:[Ss]een|[Rr]eviewed|[Cc]onsulted)\s+at\s+${PLACE}\s+(?:by\s+${PERSON}\s+)?on\s+(${D})`);
const CARE = new RegExp(String.raw`\b(?:under the care of|by)\s+${PERSON}`);
const DISCHARGED_ON = new RegExp(String.raw`\bdischarged\s+(?:home\s+)?on\s+(${D})`, 'i');
const SAME_DAY = /\bdischarged\s+(?:home\s+)?(?:the\s+)?same\s+day\b/i;
const HEADED_ADMIT = /\b(?:admission date|date of admission|admitted)\s*:\s*/i;
const HEADED_DISCHARGE = /\b(?:discharge date|date of discharge|discharged)\s*:\s*/i;
const REASON = /\b(?:reason for (?:admission|visit|referral|consultation)|presenting complaint)\s*:\s*(.+)$/i;

function after(pattern: RegExp, lines: Line[]): { line: Line; date: string } | undefined {
  for (const line of lines) {
    const m = pattern.exec(line.text);
    const date = m ? parseDate(line.text.slice(m.index + m[0].length)) : null;
    if (date) return { line, date };
  }
  return undefined;
}

export function encounter(lines: Line[]): Rec<'encounter'> | undefined {
  const all = lines.map((l) => l.text).join('\n');
  const reason = lines.map((l) => REASON.exec(l.text)?.[1]).find(Boolean)?.replace(/\.$/, '').trim() ?? null;
  const virtual = /\b(telehealth|telephone consultation|video consultation|phone consultation)\b/i.test(all);
  for (const line of lines) {
    const a = ADMISSION.exec(line.text);
    if (a) {
      const start = parseDate(a[4]!);
      const emergency = Boolean(a[2]) || /emergency department/i.test(all);
      const end = SAME_DAY.test(line.text) ? start : DISCHARGED_ON.exec(line.text) ? parseDate(DISCHARGED_ON.exec(line.text)![1]!) : null;
      return {
        kind: 'encounter', class: emergency ? 'EMER' : 'IMP', startDate: start, endDate: end, facility: a[3]!.trim(),
        practitioner: CARE.exec(line.text)?.[1] ?? null, reason: a[5]?.trim() ?? reason, provenance: provenance(line, 0.85),
      };
    }
    const s = SEEN.exec(line.text);
    if (s) {
      return {
        kind: 'encounter', class: virtual ? 'VR' : 'AMB', startDate: parseDate(s[3]!), endDate: null, facility: s[1]!.trim(),
        practitioner: s[2] ?? null, reason, provenance: provenance(line, 0.85),
      };
    }
  }
  const admitted = after(HEADED_ADMIT, lines);
  const discharged = after(HEADED_DISCHARGE, lines);
  if (!admitted && !discharged) return undefined;
  const anchor = (admitted ?? discharged)!.line;
  return {
    kind: 'encounter', class: 'IMP', startDate: admitted?.date ?? null, endDate: discharged?.date ?? null, facility: null,
    practitioner: null, reason, provenance: provenance(anchor, 0.8),
  };
}
