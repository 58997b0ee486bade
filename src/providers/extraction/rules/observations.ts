/**
 * Observations: laboratory results, from table rows (any column order, pipes or
 * spaces, the flag column optional or glued to the result) and from inline lists
 * ("Chloride 92 mmol/l (L), MCV 93 fL"), and vital signs, blood pressure split into
 * its systolic and diastolic parts.
 */
import type { Line } from '../lines.js';
import { correctSpelling, LOINC, lookup, normaliseKey } from '../terminology.js';
import { readUnit, toUcum, UNIT_PATTERN } from '../units.js';
import { isAdministrative, provenance, splitList, titleName, type Rec } from './common.js';

type Interpretation = Rec<'observation'>['interpretation'];

const NUM = String.raw`\d+(?:[.,]\d+)?`;
const RANGE_TOKEN = new RegExp(String.raw`^[(\[]?(${NUM})[-–](${NUM})[)\]]?$`);
const COMPARATOR = new RegExp(String.raw`^[(\[]?([<>≤≥])=?\s?(${NUM})[)\]]?$`);
const VALUE = new RegExp(String.raw`^(${NUM})(HH|LL|H|L)?\*?$`);
const FLAG = /^[(\[]?(HH|LL|H|L|\*|high|low|abnormal)[)\]]?$/i;

const num = (s: string) => Number(s.replace(',', '.'));

interface Cells { name: string; value: number | null; valueText: string | null; unit: string | null; low: number | null; high: number | null; flag: Interpretation }

/**
 * "Glucose (fasting) 6.7 H mmol/L 3.0-6.0": the name is everything before the first
 * number, unit or range; the rest is typed token by token, so the column order does
 * not matter. `rangeFirst` (from the table header) settles ">60 … >90": which is the range.
 */
export function readLabText(text: string, rangeFirst = false): Cells | undefined {
  const cells = text.includes('|') ? text.split('|').map((c) => c.trim()).filter(Boolean) : [text];
  // A range printed with spaces ("3.5 - 5.2") is one token.
  const tokens = cells.flatMap((c, i) => (i === 0 && cells.length > 1 ? [c] : c.replace(new RegExp(String.raw`(${NUM})\s*[-–]\s*(${NUM})`, 'g'), '$1-$2').split(/\s+/)));
  // The name ends at the first number, range or unit; a token of digits and dots OCR garbled ("3.55.2") ends it too.
  const split = cells.length > 1 ? 1 : tokens.findIndex((t, i) => i > 0 && (/^[<>]?[\d.,:]+[HL]?$/.test(t) || RANGE_TOKEN.test(t) || COMPARATOR.test(t) || readUnit(t) !== null));
  if (split <= 0) return undefined;
  // A number OCR garbled ("3.55.2", "1:3") leaves the row unreadable: better no record than a wrong value.
  if (tokens.slice(split).some((t) => /^[\d.,:]+$/.test(t) && !VALUE.test(t) && !RANGE_TOKEN.test(t))) return undefined;
  const name = titleName(tokens.slice(0, split).join(' '));
  const out: Cells = { name, value: null, valueText: null, unit: null, low: null, high: null, flag: null };
  const comparators: RegExpExecArray[] = [];
  let ranged = false;
  for (const token of tokens.slice(split)) {
    let m: RegExpExecArray | null;
    if ((m = RANGE_TOKEN.exec(token)) && !ranged) (out.low = num(m[1]!)), (out.high = num(m[2]!)), (ranged = true);
    else if ((m = COMPARATOR.exec(token))) comparators.push(m);
    else if ((m = VALUE.exec(token)) && out.value === null) (out.value = num(m[1]!)), (out.flag = (m[2] as Interpretation) ?? out.flag);
    else if ((m = FLAG.exec(token))) out.flag = flagOf(m[1]!);
    else if (out.unit === null && readUnit(token)) out.unit = readUnit(token);
  }
  // A bare "<35" beside a number is the range; two of them, the header decides; one alone beside a range is a capped result.
  let rangeToken: RegExpExecArray | undefined;
  if (out.value !== null) rangeToken = comparators[0];
  else if (comparators.length >= 2) (rangeToken = comparators[rangeFirst ? 0 : 1]), (out.valueText = capped(comparators[rangeFirst ? 1 : 0]!));
  else if (comparators.length === 1) out.valueText = capped(comparators[0]!);
  if (rangeToken && !ranged) {
    if (rangeToken[1] === '<' || rangeToken[1] === '≤') out.high = num(rangeToken[2]!);
    else out.low = num(rangeToken[2]!);
  }
  if (out.value === null && out.valueText === null) return undefined;
  if (out.flag === null && out.value !== null) out.flag = out.high !== null && out.value > out.high ? 'H' : out.low !== null && out.value < out.low ? 'L' : null;
  return out;
}

const capped = (m: RegExpExecArray) => `${m[1]}${m[2]}`;

function flagOf(raw: string): Interpretation {
  const f = raw.toUpperCase();
  if (f === 'HIGH') return 'H';
  if (f === 'LOW') return 'L';
  if (f === '*' || f === 'ABNORMAL') return 'A';
  return f as Interpretation;
}

/** OCR misreads in analyte names ("HbAlc"): the known spelling when only l/1, O/0 differ. */
function knownSpelling(name: string): string {
  const spelled = correctSpelling('analytes', name);
  if (lookup('analytes', spelled)) return spelled;
  const fixed = name.replace(/(?<=[A-Za-z])l(?=c\b)/g, '1').replace(/(?<=[A-Za-z])O(?=\d)/g, '0');
  return lookup('analytes', fixed) ? fixed : spelled;
}

function observation(line: Line, cells: Cells, date: string | null, weight: number): Rec<'observation'> {
  const name = knownSpelling(cells.name);
  const code = lookup('analytes', name);
  return {
    kind: 'observation', category: 'laboratory', name, coding: code ? { system: LOINC, code } : null,
    value: cells.value, valueText: cells.value === null ? cells.valueText : null, unit: cells.unit,
    referenceLow: cells.low, referenceHigh: cells.high, interpretation: cells.flag, effectiveDate: date,
    provenance: provenance(line, code ? weight : weight * 0.85),
  };
}

const NOT_ANALYTE = /^(qty|quantity|repeats?|page|date|dose|lot|batch|no|number|fasting|specimen|age|tel|ph)\b|\d{4}|:/i;

/** A results-table row; outside a results section only a known analyte with a unit or range counts. */
export function labRow(line: Line, date: string | null): Rec<'observation'> | undefined {
  if (isAdministrative(line.text)) return undefined;
  const header = line.heading ?? '';
  const rangeFirst = /range|reference/i.test(header) && header.search(/range|reference/i) < header.search(/result/i);
  const cells = readLabText(line.text, rangeFirst);
  if (!cells || !/[a-zA-Z]{2,}/.test(cells.name) || cells.name.length > 48 || NOT_ANALYTE.test(cells.name)) return undefined;
  const known = lookup('analytes', knownSpelling(cells.name)) !== undefined;
  const inResults = line.section === 'results';
  if (!inResults && !(known && (cells.unit || cells.low !== null || cells.high !== null))) return undefined;
  if (inResults && !known && !cells.unit && cells.low === null && cells.high === null) return undefined;
  return observation(line, cells, date, 0.95);
}

/** "Chloride 92 mmol/l (L), MCV 93 fL and Potassium 4.1 mmol/l": results listed in a sentence. */
export function labList(line: Line, text: string, date: string | null): Rec<'observation'>[] {
  const out: Rec<'observation'>[] = [];
  for (const item of splitList(text)) {
    const cells = readLabText(item.replace(/^(and|with)\s+/i, ''));
    if (!cells || !cells.unit || cells.value === null || !/^[A-Za-z][\w ()/-]{1,40}$/.test(cells.name) || NOT_ANALYTE.test(cells.name)) continue;
    out.push(observation(line, { ...cells, low: null, high: null }, date, 0.85));
  }
  return out;
}

// ---- vital signs ----------------------------------------------------------------------

const BP = /\b(?:bp|blood pressure)\s*:?\s*(\d{2,3})\s*\/\s*(\d{2,3})\s*(mm\s?hg)?/i;
const VITAL = /\b(heart rate|pulse rate|pulse|hr|temperature|temp|weight|wt|height|ht|bmi|spo2|sp02|sao2|oxygen saturation|o2 saturation|o2 sats|respiratory rate|resp(?:iratory)? rate|rr)\s*:?\s*(\d+(?:\.\d+)?)\s*([^\s,;]+)?/gi;
const VITAL_CODES: Record<string, string> = { '8480-6': 'Systolic blood pressure', '8462-4': 'Diastolic blood pressure' };

export function vitals(line: Line, date: string | null): Rec<'observation'>[] {
  const out: Rec<'observation'>[] = [];
  const base = (name: string, value: number, unit: string | null, code?: string): Rec<'observation'> => ({
    kind: 'observation', category: 'vital-signs', name, coding: code ? { system: LOINC, code } : null, value, valueText: null, unit,
    referenceLow: null, referenceHigh: null, interpretation: null, effectiveDate: date, provenance: provenance(line, 0.9),
  });
  const bp = BP.exec(line.text);
  if (bp) for (const [code, name] of Object.entries(VITAL_CODES)) out.push(base(name, Number(bp[code === '8480-6' ? 1 : 2]), 'mm[Hg]', code));
  for (const m of line.text.matchAll(VITAL)) {
    const name = m[1]!;
    const printed = m[3]?.replace(/[.,;:)]+$/, '') ?? '';
    const unit = (printed && UNIT_PATTERN.test(printed) ? toUcum(printed.replace(/^\*c$/i, '°c')) : null) ?? defaultVitalUnit(normaliseKey(name));
    out.push(base(titleName(name.charAt(0).toUpperCase() + name.slice(1)), Number(m[2]), unit, lookup('vitals', name)));
  }
  return out;
}

function defaultVitalUnit(key: string): string | null {
  if (/heart|pulse|hr|resp|rr/.test(key)) return '/min';
  if (/temp/.test(key)) return 'Cel';
  if (/weight|wt/.test(key)) return 'kg';
  if (/height|ht/.test(key)) return 'cm';
  if (/sp[o0]2|sao2|saturation|sats/.test(key)) return '%';
  if (/bmi/.test(key)) return 'kg/m2';
  return null;
}
