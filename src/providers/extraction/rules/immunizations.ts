/**
 * Immunizations: vaccination table rows ("27 Nov 2019 | Varicella | 1 | ZP2744 |
 * R deltoid"), list lines ("15/11/2019 - MMR, dose 1, lot LM3032") and notes
 * ("Influenza vaccine given today, batch XJ7128" dated by the visit).
 */
import { DATE_PATTERN, parseDate } from '../dates.js';
import type { Line } from '../lines.js';
import { correctSpelling, CVX, lookup } from '../terminology.js';
import { isAdministrative, provenance, titleName, type Rec } from './common.js';

const LOT = /\b(?:lot|batch)(?:\s*(?:no\.?|number|#))?\s*:?\s*([A-Z0-9][A-Z0-9-]{2,})/i;
/** A table row after its date: vaccine, dose number or '-', lot (letters and digits), site. */
const ROW = /^(.+?)\s+(\d{1,2}|-|–)\s+([A-Z]{1,4}[0-9][A-Z0-9]{2,})\b/;

export function immunization(line: Line, visitDate: string | null): Rec<'immunization'> | undefined {
  if (isAdministrative(line.text)) return undefined;
  const text = line.text.replace(/\s*\|\s*/g, '   ').replace(/^[-•*\s]+/, '').trim();
  const dateMatch = DATE_PATTERN.exec(text);
  const leadingDate = dateMatch && dateMatch.index === 0;
  let date = dateMatch ? parseDate(dateMatch[0]) : null;
  let rest = leadingDate ? text.slice(dateMatch[0].length).replace(/^\s*[-–:]\s*/, '').trim() : text;
  let vaccine: string;
  let doseNumber: number | null = null;
  let lot: string | null = null;
  const row = leadingDate ? ROW.exec(rest) : null;
  if (row) {
    vaccine = row[1]!;
    doseNumber = /^\d+$/.test(row[2]!) ? Number(row[2]) : null;
    lot = row[3]!;
  } else {
    const given = /^(.+?)\s+(?:vaccine|vaccination|immuni[sz]ation)?\s*(?:given|administered)\b/i.exec(rest);
    vaccine = (given?.[1] ?? rest.split(/,|\s[-–]\s|\bdose\b|\bbatch\b|\blot\b/i)[0]!).replace(DATE_PATTERN, '').replace(/\s+vaccine$/i, '');
    const dose = /\bdose\s*(\d+)|\b(\d)(?:st|nd|rd|th)\s+dose/i.exec(rest);
    doseNumber = dose ? Number(dose[1] ?? dose[2]) : null;
    lot = LOT.exec(rest)?.[1] ?? null;
    if (!date && /\b(today|this visit)\b/i.test(rest)) date = visitDate;
  }
  rest = correctSpelling('vaccines', titleName(vaccine));
  const code = lookup('vaccines', rest);
  const inSection = line.section === 'immunizations';
  if (!/[a-zA-Z]{3,}/.test(rest) || rest.length > 60) return undefined;
  if (!code && !(inSection && (date || lot))) return undefined;
  if (!date && !inSection) return undefined;
  return { kind: 'immunization', vaccine: rest, coding: code ? { system: CVX, code } : null, date, doseNumber, lotNumber: lot, provenance: provenance(line, code ? 0.9 : 0.75) };
}
