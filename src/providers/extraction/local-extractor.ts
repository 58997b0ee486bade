/**
 * The offline extractor: no network, deterministic. Reads the OCR text line by line
 * (src/providers/extraction/lines.ts), applies the rule for the line's section
 * first and the unambiguous rules anywhere (rules.ts), and adds one encounter per
 * document from its admission/visit dates and facility. Output passes the same
 * schema as every extractor.
 */
import { parseDate } from './dates.js';
import { splitLines, type Line } from './lines.js';
import { allergy, condition, immunization, labResult, medication, vitals } from './rules.js';
import { extractionSchema, type ExtractedRecord, type ExtractionResult, type Extractor } from './schema.js';

export const LOCAL_EXTRACTOR_VERSION = '1.0.0';

const COLLECTED = /\b(collected|collection date|specimen (date|collected)|date of (test|collection|visit|service|consultation)|sample date|visit date|date)\s*:?\s*/i;
const ADMITTED = /\b(admitted|admission date|date of admission)\s*:?\s*/i;
const DISCHARGED = /\b(discharged|discharge date|date of discharge)\s*:?\s*/i;
const FACILITY = /\b([A-Z][A-Za-z'.&-]*(?:\s+[A-Z][A-Za-z'.&-]*)*\s+(?:Hospital|Medical Centre|Medical Center|Clinic|Health Service|Health Centre|Private Hospital|Emergency Department|Practice|Surgery))\b/;

const META = [ADMITTED, DISCHARGED, /^(collected|collection date|specimen|date( of (test|collection|visit|service))?|sample date|visit date|reported|received)\b/i, /^page \d+/i];

function dateAfter(pattern: RegExp, lines: Line[]): string | null {
  for (const line of lines) {
    const m = pattern.exec(line.text);
    if (m) {
      const date = parseDate(line.text.slice(m.index + m[0].length));
      if (date) return date;
    }
  }
  return null;
}

function encounter(lines: Line[]): ExtractedRecord | undefined {
  const admitted = dateAfter(ADMITTED, lines);
  const discharged = dateAfter(DISCHARGED, lines);
  const facilityLine = lines.find((l) => FACILITY.test(l.text));
  const visit = /\b(consultation|clinic visit|seen in clinic|visit date|date of visit|review)\b/i.test(lines.map((l) => l.text).join('\n'));
  if (!admitted && !discharged && !(visit && facilityLine)) return undefined;
  const anchor = lines.find((l) => ADMITTED.test(l.text)) ?? facilityLine ?? lines[0]!;
  const start = admitted ?? (visit ? dateAfter(COLLECTED, lines) : null);
  const practitioner = lines.map((l) => /\b(?:Dr\.?|Doctor)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)/.exec(l.text)?.[0]).find(Boolean) ?? null;
  const reason = lines.map((l) => /\b(?:reason for (?:admission|visit|referral)|presenting complaint)\s*:?\s*(.+)$/i.exec(l.text)?.[1]).find(Boolean) ?? null;
  return {
    kind: 'encounter', class: admitted || discharged ? 'IMP' : 'AMB', startDate: start, endDate: discharged,
    facility: facilityLine ? FACILITY.exec(facilityLine.text)![1]! : null, practitioner, reason: reason?.trim() ?? null,
    provenance: { page: anchor.page, start: anchor.start, end: anchor.end, text: anchor.text, confidence: Math.round(anchor.confidence * 0.8 * 1000) / 1000 },
  };
}

export function extractFromLines(lines: Line[]): ExtractedRecord[] {
  const date = dateAfter(COLLECTED, lines) ?? dateAfter(ADMITTED, lines);
  const records: ExtractedRecord[] = [];
  for (const line of lines) {
    // Dates of collection, admission and discharge, and facility lines describe the
    // document or the encounter, never a record of their own.
    if (META.some((re) => re.test(line.text))) continue;
    const bySection: (ExtractedRecord | undefined)[] = [];
    switch (line.section) {
      case 'medications':
      case 'stopped_medications':
        bySection.push(medication(line));
        break;
      case 'allergies':
        bySection.push(allergy(line));
        break;
      case 'immunizations':
        bySection.push(immunization(line));
        break;
      case 'diagnoses':
        bySection.push(condition(line));
        break;
      default:
        break;
    }
    const found = bySection.filter((r): r is ExtractedRecord => r !== undefined);
    if (found.length === 0) {
      const vital = line.section === 'medications' || line.section === 'allergies' ? [] : vitals(line, date);
      if (vital.length > 0) found.push(...vital);
      else {
        const one = labResult(line, date, line.section === 'results') ?? allergy(line) ?? immunization(line) ?? medication(line) ?? condition(line);
        if (one) found.push(one);
      }
    }
    records.push(...found);
  }
  const visit = encounter(lines);
  if (visit) records.push(visit);
  return records;
}

export class LocalExtractor implements Extractor {
  readonly name = 'local';

  async extract(pages: { page: number; text: string; confidence: number }[]): Promise<ExtractionResult> {
    const records = extractFromLines(splitLines(pages));
    // The same validation every extractor's output gets before anything is written.
    const { records: valid } = extractionSchema.parse({ records });
    return { records: valid, extractor: { name: 'local', version: LOCAL_EXTRACTOR_VERSION } };
  }
}
