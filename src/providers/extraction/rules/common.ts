/**
 * What every rule shares: provenance from a line, tidying a printed name, the lines
 * that never carry a record (letterheads, patient identification, fax banners,
 * sign-offs), and splitting a printed list ("A, B and C"; "A; B").
 */
import type { Line } from '../lines.js';
import type { ExtractedRecord, Provenance } from '../schema.js';

export type Rec<K extends ExtractedRecord['kind']> = Extract<ExtractedRecord, { kind: K }>;

export function provenance(line: Line, weight: number): Provenance {
  return { page: line.page, start: line.start, end: line.end, text: line.text, confidence: Math.round(line.confidence * weight * 1000) / 1000 };
}

/** Trailing punctuation and doubled spaces off a printed name. */
export function titleName(raw: string): string {
  return raw.replace(/^[\s\-–•*:,;.]+/, '').replace(/[\s:\-–.,;*]+$/, '').replace(/\s+/g, ' ').trim();
}

/**
 * Administrative lines: patient identification, letterhead contact details, fax
 * banners, page furniture, requesters and signatures. Nothing clinical is read from them.
 */
const ADMIN = [
  /^(patient|name|dob|date of birth|mrn|ur\s?no|urn|medicare|address|sex|gender|age)\s*:/i,
  /\b(d\.?[o0]\.?b\.?|date of birth|mrn|ur no\.?|medicare no)\s*:?\s*\S/i,
  /^(page \d+|p\.\d+|fax|tel|phone|ph\b|ref(erring)?\b|requested by|referred by|signature|signed|printed|reported|received|specimen|collected|lab(oratory)? no|prescriber|qty|quantity|repeats)/i,
  /\b(from|to):?\s*\+?\d[\d\s()]{6,}/i, // fax banner "FROM: +61 2 9555 0387 TO: 07 3555 0188"
  /\bP\.\d{3}\/\d{3}\b/, // fax page counter
  /\b(ph|tel|phone|fax)\b\.?:?\s*\(?\d{2}\)?\s?\d{3,4}\s?\d{3,4}/i, // a telephone number: letterhead
  /\b(st|rd|road|street|ave|avenue|hwy|highway|lane|drive|dr)\b,?\s+[A-Z][a-z]+.*\b(NSW|VIC|QLD|SA|WA|TAS|NT|ACT)\s+\d{4}\b/, // a street address
  /^(yours (sincerely|faithfully)|kind regards|regards|dear\b|to:|cc:|confidential)/i,
  /\b(MBBS|FRACGP|FRACP|FRCP|MD|MRCGP)\b/, // a practitioner's name with qualifications
];

export function isAdministrative(text: string): boolean {
  return ADMIN.some((re) => re.test(text));
}

/** A practitioner's name standing alone ("Dr Aiko Tanaka", "Medical Registrar"). */
export function isSignature(text: string): boolean {
  return /^(dr\.?|prof(essor)?\.?|doctor)\s+[A-Z][a-z'-]+(\s+[A-Z][a-z'-]+){0,3}\.?$/i.test(text)
    || /^((medical|surgical|emergency|senior|junior|resident|admitting)\s+)?(registrar|consultant|resident|intern|physician|nurse|pharmacist|practitioner)\b[\w\s,]*$/i.test(text);
}

/** "A, B and C" / "A; B; C" / "A, B, and C" → ["A", "B", "C"]. */
export function splitList(text: string): string[] {
  const parts = text.includes(';') ? text.split(/\s*;\s*/) : text.split(/\s*,\s*(?:and\s+)?|\s+and\s+/);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Sentences of a prose line; a full stop inside a number or after a title is not an end. */
export function sentences(text: string): string[] {
  return text.split(/(?<!\b(?:Dr|Mr|Mrs|Ms|Prof|St|No|approx|e\.g|i\.e))\.\s+(?=[A-Z])/).map((s) => s.replace(/\.\s*$/, '').trim()).filter(Boolean);
}
