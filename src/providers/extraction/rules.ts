/**
 * The offline extractor's rules: one function per record kind, each reading one
 * line (with its section) and returning the records it states. Deterministic and
 * conservative: a line that fits no rule gives nothing rather than a guess.
 */
import { parseDate, DATE_PATTERN } from './dates.js';
import type { Line } from './lines.js';
import type { ExtractedRecord, Provenance } from './schema.js';
import { allergenCategory, CVX, LOINC, lookup, normaliseKey, RXNORM, SNOMED } from './terminology.js';
import { toUcum, UNIT_PATTERN } from './units.js';

type Rec<K extends ExtractedRecord['kind']> = Extract<ExtractedRecord, { kind: K }>;

const NUMBER = String.raw`[<>]?\d+(?:[.,]\d+)?`;
const RANGE = new RegExp(String.raw`[(\[]?\s*(\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(\d+(?:\.\d+)?)\s*[)\]]?`);
const NOISE = /^(page \d+|fax|tel|phone|patient|name|dob|d\.o\.b|date of birth|mrn|medicare|address|ref(erring)?|requested by|dr\b|doctor|signed|report(ed)?|lab(oratory)? no|specimen|collected|received|printed|urn|sex|gender|age)\b/i;

function provenance(line: Line, weight: number): Provenance {
  return { page: line.page, start: line.start, end: line.end, text: line.text, confidence: Math.round(line.confidence * weight * 1000) / 1000 };
}

function titleName(raw: string): string {
  return raw.replace(/[:\-–.,;*]+$/, '').replace(/\s+/g, ' ').trim();
}

// ---- observations ------------------------------------------------------------------

const BP = /\b(?:bp|blood pressure)\s*:?\s*(\d{2,3})\s*\/\s*(\d{2,3})\s*(mm\s?hg)?/i;
const VITAL = /\b(heart rate|pulse rate|pulse|hr|temperature|temp|weight|wt|height|ht|bmi|spo2|sao2|oxygen saturation|o2 saturation|respiratory rate|resp(?:iratory)? rate|rr)\s*:?\s*(\d+(?:\.\d+)?)\s*([^\s,;]+)?/gi;

export function vitals(line: Line, date: string | null): Rec<'observation'>[] {
  const out: Rec<'observation'>[] = [];
  const base = (name: string, value: number, unit: string | null, code?: string): Rec<'observation'> => ({
    kind: 'observation', category: 'vital-signs', name, coding: code ? { system: LOINC, code } : null, value, valueText: null, unit,
    referenceLow: null, referenceHigh: null, interpretation: null, effectiveDate: date, provenance: provenance(line, 0.9),
  });
  const bp = BP.exec(line.text);
  if (bp) {
    out.push(base('Systolic blood pressure', Number(bp[1]), 'mm[Hg]', '8480-6'));
    out.push(base('Diastolic blood pressure', Number(bp[2]), 'mm[Hg]', '8462-4'));
  }
  for (const m of line.text.matchAll(VITAL)) {
    const name = m[1]!;
    const key = normaliseKey(name);
    const rawUnit = m[3] && UNIT_PATTERN.test(m[3]) ? m[3] : null;
    const unit = toUcum(rawUnit) ?? defaultVitalUnit(key);
    out.push(base(titleName(name.charAt(0).toUpperCase() + name.slice(1)), Number(m[2]), unit, lookup('vitals', name)));
  }
  return out;
}

function defaultVitalUnit(key: string): string | null {
  if (/heart|pulse|hr|resp|rr/.test(key)) return '/min';
  if (/temp/.test(key)) return 'Cel';
  if (/weight|wt/.test(key)) return 'kg';
  if (/height|ht/.test(key)) return 'cm';
  if (/spo2|sao2|saturation/.test(key)) return '%';
  if (/bmi/.test(key)) return 'kg/m2';
  return null;
}

/** "Glucose (fasting)   6.8   mmol/L   3.0 - 5.5   H" in any column order after the name. */
export function labResult(line: Line, date: string | null, inResults: boolean): Rec<'observation'> | undefined {
  const text = line.text.replace(/\|/g, ' ').replace(/\s+/g, ' ').trim();
  if (NOISE.test(text) || DATE_PATTERN.test(text.slice(0, 12))) return undefined;
  const first = new RegExp(String.raw`(^|\s)(${NUMBER})(?=\s|$|[a-zA-Z%/])`).exec(text);
  if (!first || first.index === 0) return undefined;
  const name = titleName(text.slice(0, first.index));
  if (!/[a-zA-Z]{2,}/.test(name) || name.length > 48) return undefined;
  const code = lookup('analytes', name);
  if (!code && !inResults) return undefined;
  const rest = text.slice(first.index + first[0].length);
  const unitMatch = UNIT_PATTERN.exec(rest);
  const range = RANGE.exec(rest);
  const flag = /(?:^|\s)(HH|LL|H|L|\*|high|low|abnormal)(?:\s|$)/i.exec(rest.replace(RANGE, ' '));
  const rawValue = first[2]!.replace(',', '.');
  const value = Number(rawValue.replace(/^[<>]/, ''));
  if (!Number.isFinite(value)) return undefined;
  const low = range ? Number(range[1]) : null;
  const high = range ? Number(range[2]) : null;
  let interpretation: Rec<'observation'>['interpretation'] = null;
  const f = flag?.[1]?.toUpperCase();
  if (f === 'HH' || f === 'LL' || f === 'H' || f === 'L') interpretation = f;
  else if (f === 'HIGH') interpretation = 'H';
  else if (f === 'LOW') interpretation = 'L';
  else if (f === '*' || f === 'ABNORMAL') interpretation = 'A';
  else if (low !== null && high !== null) interpretation = value > high ? 'H' : value < low ? 'L' : 'N';
  return {
    kind: 'observation', category: 'laboratory', name, coding: code ? { system: LOINC, code } : null,
    value: /^[<>]/.test(rawValue) ? null : value, valueText: /^[<>]/.test(rawValue) ? rawValue : null,
    unit: toUcum(unitMatch?.[0]), referenceLow: low, referenceHigh: high, interpretation, effectiveDate: date,
    provenance: provenance(line, code ? 0.95 : 0.8),
  };
}

// ---- medications -------------------------------------------------------------------

const DOSE = /(\d+(?:\.\d+)?)\s*(mg|mcg|µg|ug|g|ml|units?|iu|puffs?|tablets?|tabs?|capsules?|caps?)\b/i;
const ROUTES: [RegExp, string][] = [
  [/\b(orally|oral|po|by mouth)\b/i, 'oral'], [/\b(iv|intravenous(ly)?)\b/i, 'intravenous'], [/\b(sc|subcut(aneous(ly)?)?|s\/c)\b/i, 'subcutaneous'],
  [/\b(im|intramuscular(ly)?)\b/i, 'intramuscular'], [/\b(inhaled|inh|via inhaler|inhaler)\b/i, 'inhaled'], [/\b(topical(ly)?|apply)\b/i, 'topical'],
  [/\b(sublingual(ly)?|sl)\b/i, 'sublingual'], [/\b(pr|rectal(ly)?)\b/i, 'rectal'],
];
const FREQUENCIES: [RegExp, string][] = [
  [/\b(as needed|as required|prn|when required)\b/i, 'PRN'], [/\b(twice (a |per )?da(y|ily)|bd|bid|b\.d\.|two times (a |per )?day)\b/i, 'BID'],
  [/\b(three times (a |per )?da(y|ily)|tds|tid|t\.d\.s\.)\b/i, 'TID'], [/\b(four times (a |per )?da(y|ily)|qid|qds)\b/i, 'QID'],
  [/\b(at night|nocte|at bedtime|qhs|before bed)\b/i, 'QHS'], [/\b(weekly|once a week|every week)\b/i, 'WEEKLY'],
  [/\bevery 4 hours|q4h\b/i, 'Q4H'], [/\bevery 6 hours|q6h\b/i, 'Q6H'], [/\bevery 8 hours|q8h\b/i, 'Q8H'],
  [/\b(once (a |per )?da(y|ily)|daily|od|qd|mane|each morning|every morning|in the morning)\b/i, 'QD'],
];

export function medication(line: Line): Rec<'medication'> | undefined {
  const text = line.text.replace(/^[-•*\d.)\s]+/, '');
  const dose = DOSE.exec(text);
  const inSection = line.section === 'medications' || line.section === 'stopped_medications';
  const head = (dose ? text.slice(0, dose.index) : text.split(/[,(–-]/)[0] ?? '').trim();
  const code = lookup('medicines', head);
  if (!dose && !(inSection && code)) return undefined;
  if (!inSection && !code) return undefined;
  const name = titleName(head.replace(/\b(tablets?|capsules?|tabs?|caps?|oral|cream|inhaler|injection)\b/gi, '').replace(/\s+/g, ' '));
  if (!/[a-zA-Z]{3,}/.test(name) || NOISE.test(name)) return undefined;
  const stopped = line.section === 'stopped_medications' || /\b(ceased|stopped|discontinued|cease)\b/i.test(text);
  return {
    kind: 'medication', name, coding: code ? { system: RXNORM, code } : null,
    doseValue: dose ? Number(dose[1]) : null, doseUnit: dose ? (toUcum(dose[2]!.toLowerCase()) ?? dose[2]!) : null,
    doseText: dose ? titleName(text.slice(dose.index)) : null,
    route: ROUTES.find(([re]) => re.test(text))?.[1] ?? null,
    frequency: FREQUENCIES.find(([re]) => re.test(text))?.[1] ?? null,
    startDate: /\b(started|commenced|from|since)\b/i.test(text) ? parseDate(text) : null,
    endDate: stopped ? parseDate(text) : null,
    status: stopped ? 'stopped' : 'active',
    provenance: provenance(line, code ? 0.9 : 0.75),
  };
}

// ---- allergies, immunizations, conditions ----------------------------------------------

export function allergy(line: Line): Rec<'allergy'> | undefined {
  const explicit = /\b(?:allergic to|allergy to|allergy:)\s*(.+)$/i.exec(line.text);
  if (line.section !== 'allergies' && !explicit) return undefined;
  const text = (explicit?.[1] ?? line.text).replace(/^[-•*\s]+/, '');
  if (/\b(nkda|nil known|no known)\b/i.test(text)) return undefined;
  const [substanceRaw, ...reactionParts] = text.split(/\s*(?:[(:–—]|\s-\s|;|,\s*reaction)\s*/);
  const substance = titleName(substanceRaw ?? '');
  if (!/[a-zA-Z]{3,}/.test(substance) || substance.length > 40) return undefined;
  const reaction = reactionParts.join(' ').replace(/[)]/g, '').replace(/\b(mild|moderate|severe)\b/gi, '').replace(/\s+/g, ' ').trim();
  const severity = /\bsevere|anaphyla/i.test(text) ? 'severe' : /\bmoderate\b/i.test(text) ? 'moderate' : /\bmild\b/i.test(text) ? 'mild' : null;
  return {
    kind: 'allergy', substance, coding: null, category: allergenCategory(substance), reaction: reaction === '' ? null : titleName(reaction),
    severity, provenance: provenance(line, 0.85),
  };
}

export function immunization(line: Line): Rec<'immunization'> | undefined {
  const date = parseDate(line.text);
  const head = line.text.replace(/^[-•*\s]+/, '').split(/\s{2,}|\s[-–|]\s|,|\||\bdose\b|\bbatch\b|\blot\b/i)[0]!.replace(DATE_PATTERN, '').trim();
  const code = lookup('vaccines', head);
  if (!code && !(line.section === 'immunizations' && date && /[a-zA-Z]{3,}/.test(head))) return undefined;
  if (!date && line.section !== 'immunizations') return undefined;
  const dose = /\bdose\s*(\d+)|\b(\d)(?:st|nd|rd|th)\s+dose/i.exec(line.text);
  const lot = /\b(?:lot|batch)(?:\s*(?:no\.?|number|#))?\s*:?\s*([A-Z0-9-]{3,})/i.exec(line.text);
  return {
    kind: 'immunization', vaccine: titleName(head), coding: code ? { system: CVX, code } : null, date,
    doseNumber: dose ? Number(dose[1] ?? dose[2]) : null, lotNumber: lot?.[1] ?? null, provenance: provenance(line, code ? 0.9 : 0.75),
  };
}

export function condition(line: Line): Rec<'condition'> | undefined {
  const explicit = /\b(?:diagnos(?:is|ed with)|impression)\s*:?\s*(.+)$/i.exec(line.text);
  if (line.section !== 'diagnoses' && !explicit) return undefined;
  let text = (explicit?.[1] ?? line.text).replace(/^[-•*\d.)\s]+/, '');
  const resolved = /\b(resolved|history of|previous|past)\b/i.test(text);
  text = text.replace(/\b(history of|previous)\b/gi, '').split(/\s[-–(]|\s{2,}|;|—|\(|,\s*(?:diagnosed|since|onset)/i)[0]!;
  const name = titleName(text);
  if (!/[a-zA-Z]{3,}/.test(name) || name.length > 60 || NOISE.test(name)) return undefined;
  const code = lookup('conditions', name);
  return {
    kind: 'condition', name, coding: code ? { system: SNOMED, code } : null, clinicalStatus: resolved ? 'resolved' : 'active',
    onsetDate: /\b(since|onset|diagnosed)\b/i.test(line.text) ? parseDate(line.text) : null, provenance: provenance(line, code ? 0.9 : 0.7),
  };
}
