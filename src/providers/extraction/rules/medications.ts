/**
 * Medications: list items under a medications heading ("- Metformin 500 mg orally
 * bd", "1. Rosuvastatin 10mg tablets, take 1 tablet PO mane", "Rx: …"), and the
 * sentences of a letter that start, continue, stop or give a drug ("treated with
 * ceftriaxone 1 g IV daily from 3/5 to 8/5", "New medications: a, b (commenced …)",
 * "will continue x and y", "Perindopril 2.5 mg daily was ceased").
 */
import { DATE_PATTERN, parseDate } from '../dates.js';
import type { Line } from '../lines.js';
import { lookup, MEDICINE_NAMES, normaliseKey, RXNORM } from '../terminology.js';
import { toUcum } from '../units.js';
import { isAdministrative, provenance, titleName, type Rec } from './common.js';

type Status = Rec<'medication'>['status'];

const UNIT = String.raw`(?:mg|mcg|µg|ug|g|ml|units?|iu|puffs?|micrograms?|milligrams?)`;
const DOSE = new RegExp(String.raw`(\d+(?:\.\d+)?)\s*(${UNIT})\b`, 'i');
/** A list item that starts a new drug: a name of one to four words, then a dose. */
const DRUG_START = new RegExp(String.raw`^[A-Za-z][A-Za-z-]*(?:\s+[A-Za-z][A-Za-z-]*){0,3}\s+\d+(?:\.\d+)?\s*${UNIT}\b`, 'i');
const FORMS = /\b(tablets?|capsules?|tabs?|caps?|oral|cream|ointment|inhaler|injection|solution|syrup|suspension|modified release|slow release|sr|cr|xr)\b/gi;

const ROUTES: [RegExp, string][] = [
  [/\b(orally|oral|po|p\.o\.|by mouth)\b/i, 'oral'], [/\b(iv|i\.v\.|intravenous(ly)?)\b/i, 'intravenous'], [/\b(sc|s\/c|subcut(aneous(ly)?)?)\b/i, 'subcutaneous'],
  [/\b(im|intramuscular(ly)?)\b/i, 'intramuscular'], [/\b(inhaled|via inhaler|inhaler|puffs?)\b/i, 'inhaled'], [/\b(topical(ly)?|apply)\b/i, 'topical'],
  [/\b(sublingual(ly)?|sl)\b/i, 'sublingual'], [/\b(pr|rectal(ly)?)\b/i, 'rectal'],
];
const FREQUENCIES: [RegExp, string][] = [
  [/\b(as needed|as required|prn|when required)\b/i, 'PRN'], [/\b(twice (a |per )?da(y|ily)|bd|bid|b\.d\.|two times (a |per )?day)\b/i, 'BID'],
  [/\b(three times (a |per )?da(y|ily)|tds|tid|t\.d\.s\.)\b/i, 'TID'], [/\b(four times (a |per )?da(y|ily)|qid|qds)\b/i, 'QID'],
  [/\b(at night|nocte|at bedtime|qhs|before bed)\b/i, 'QHS'], [/\b(weekly|once a week|every week)\b/i, 'WEEKLY'],
  [/\b(every 4 hours|q4h)\b/i, 'Q4H'], [/\b(every 6 hours|q6h)\b/i, 'Q6H'], [/\b(every 8 hours|q8h)\b/i, 'Q8H'],
  [/\b(once (a |per )?da(y|ily)|daily|od|qd|mane|each morning|every morning|in the morning)\b/i, 'QD'],
];

const D = DATE_PATTERN.source.slice(3, -3); // the date alternatives without the outer \b( )\b
const FROM_TO = new RegExp(String.raw`\bfrom\s+(${D})\s+(?:to|until|-)\s+(${D})`, 'i');
const STARTED = new RegExp(String.raw`\b(?:commenced|started|starting|from|since)\s+(?:on\s+)?(${D})`, 'i');
const ENDED = new RegExp(String.raw`\b(?:ceased|stopped|until|discontinued)\s+(?:on\s+)?(${D})`, 'i');
/** Where the dose phrase ends: a date clause or "was ceased". */
const DOSE_END = new RegExp(String.raw`\s*[(,]?\s*\b(?:commenced|started|starting|from|since|until|ceased|stopped)\b.*$|\s+(?:was|were|has been|have been)\s+\w+.*$`, 'i');

export interface MedContext { status: Status; startDate?: string | null; endDate?: string | null }

/** One drug phrase → a medication; undefined when no drug name and dose (or known drug) is there. */
export function readMedication(line: Line, raw: string, context: MedContext, needKnown: boolean): Rec<'medication'> | undefined {
  const text = raw.replace(/^\s*(?:[-•*]|\d+[.)]|rx:?)\s*/i, '').trim();
  const dose = DOSE.exec(text);
  const head = (dose ? text.slice(0, dose.index) : (text.split(/[,(–-]|\s{2,}/)[0] ?? '')).trim();
  const name = titleName(head.replace(FORMS, ' '));
  const code = lookup('medicines', name);
  const known = code !== undefined || MEDICINE_NAMES.has(normaliseKey(name));
  if (!/[a-zA-Z]{3,}/.test(name) || name.split(/\s+/).length > 4 || isAdministrative(name)) return undefined;
  if ((needKnown || !dose) && !known) return undefined;
  const fromTo = FROM_TO.exec(text);
  const start = fromTo ? parseDate(fromTo[1]!) : STARTED.exec(text) ? parseDate(STARTED.exec(text)![1]!) : null;
  const end = fromTo ? parseDate(fromTo[2]!) : ENDED.exec(text) ? parseDate(ENDED.exec(text)![1]!) : null;
  const doseText = dose ? titleName(text.slice(dose.index).replace(DOSE_END, '')) : null;
  const stopped = /\b(ceased|stopped|discontinued|cease)\b/i.test(text);
  return {
    kind: 'medication', name, coding: code ? { system: RXNORM, code } : null,
    doseValue: dose ? Number(dose[1]) : null, doseUnit: dose ? (toUcum(dose[2]!.toLowerCase()) ?? dose[2]!) : null,
    doseText: doseText === '' ? null : doseText,
    route: ROUTES.find(([re]) => re.test(text))?.[1] ?? null,
    frequency: FREQUENCIES.find(([re]) => re.test(text))?.[1] ?? null,
    startDate: start ?? context.startDate ?? null,
    endDate: end ?? context.endDate ?? null,
    status: stopped ? 'stopped' : context.status,
    provenance: provenance(line, code ? 0.9 : 0.75),
  };
}

/** "a 5 mg daily, b 10 mg bd and c 2 mg" → one phrase per drug (commas inside a phrase stay). */
export function splitDrugs(text: string): string[] {
  const parts = text.split(/\s*,\s*(?:and\s+)?|\s+and\s+/);
  const out: string[] = [];
  for (const part of parts) {
    if (out.length === 0 || DRUG_START.test(part)) out.push(part);
    else out[out.length - 1] += `, ${part}`;
  }
  return out;
}

/** A list's shared date: "New medications: a, b (commenced 3 May 2024)" → the date applies to every item. */
function sharedStart(text: string): { text: string; start: string | null } {
  const m = new RegExp(String.raw`\s*\((?:commenced|started|from|since)\s+(${D})\)\s*\.?$`, 'i').exec(text);
  return m ? { text: text.slice(0, m.index), start: parseDate(m[1]!) } : { text, start: null };
}

/** A line under a medications heading (the heading's "ceased", "completed" or "commenced <date>" applies). */
export function medicationLine(line: Line): Rec<'medication'>[] {
  if (isAdministrative(line.text)) return [];
  const status: Status = line.section === 'stopped_medications' ? 'stopped' : line.section === 'completed_medications' ? 'completed' : 'active';
  const headingDate = line.heading && /\b(commenced|started|from|since)\b/i.test(line.heading) ? parseDate(line.heading) : null;
  const { text, start } = sharedStart(line.text);
  return splitDrugs(text).flatMap((item) => readMedication(line, item, { status, startDate: start ?? headingDate }, false) ?? []);
}

const PROSE: [RegExp, Status][] = [
  [/\b(?:was|were)\s+treated\s+with\s+(.+)$/i, 'completed'],
  [/\b(?:new medications?|medications? (?:started|commenced)|(?:was|were) (?:started|commenced) on)\s*:?\s*(.+)$/i, 'active'],
  [/\b(?:will|to|should)\s+continue(?:\s+(?:on|taking))?\s+(.+)$/i, 'active'],
  [/^(.+?)\s+(?:was|were|has been|have been)\s+(?:ceased|stopped|discontinued|withheld)\b/i, 'stopped'],
];

/** Medications stated in the sentences of a letter. */
export function medicationProse(line: Line, sentence: string): Rec<'medication'>[] {
  for (const [pattern, status] of PROSE) {
    const m = pattern.exec(sentence);
    if (!m) continue;
    const { text, start } = sharedStart(m[1]!);
    const items = splitDrugs(text).flatMap((item) => readMedication(line, item, { status, startDate: start }, false) ?? []);
    // Inpatient treatment is completed only when it was given an end.
    return items.map((r) => (status === 'completed' && !r.endDate ? { ...r, status: 'active' } : r));
  }
  return [];
}
