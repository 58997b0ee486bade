/**
 * Conditions: items under a diagnoses heading ("Principal: Cellulitis", "Past
 * history: Asthma; Gout", "Problems: A; B", "Resolved during admission: X") and the
 * sentences of a letter ("The principal diagnosis was X.", "Background history
 * includes A, B and C.", "An acute kidney injury on admission resolved with fluids.").
 */
import { parseDate } from '../dates.js';
import type { Line } from '../lines.js';
import { lookup, SNOMED } from '../terminology.js';
import { isAdministrative, isSignature, provenance, splitList, titleName, type Rec } from './common.js';

type Status = Rec<'condition'>['clinicalStatus'];

const NONE = /^(nil|none|nil significant|no significant|not applicable|n\/a)\b/i;

function readCondition(line: Line, raw: string, status: Status): Rec<'condition'> | undefined {
  let text = raw.replace(/^[-•*\d.)\s]+/, '').trim();
  const resolved = status === 'resolved' || /\b(resolved|previous|past)\b/i.test(text) || /^history of\b/i.test(text);
  text = text.replace(/^(history of|previous|an?|the)\s+/i, '').split(/\s[-–(]|\s{2,}|—|\(|,\s*(?:diagnosed|since|onset)|\s+(?:on admission|resolved|which)\b/i)[0]!;
  const name = titleName(text);
  if (!/[a-zA-Z]{3,}/.test(name) || name.length > 60 || name.split(/\s+/).length > 8 || NONE.test(name) || isAdministrative(name) || isSignature(name)) return undefined;
  // A condition is words, not measurements: "Chloride 92 mmol/L" is a result.
  if (/\d+(\.\d+)?\s*(mg|g|mmol|umol|%|\/)/i.test(name)) return undefined;
  const code = lookup('conditions', name);
  return {
    kind: 'condition', name, coding: code ? { system: SNOMED, code } : null, clinicalStatus: resolved ? 'resolved' : 'active',
    onsetDate: /\b(since|onset|diagnosed)\b/i.test(raw) ? parseDate(raw) : null, provenance: provenance(line, code ? 0.9 : 0.7),
  };
}

/** A line under a diagnoses heading, its sub-label ("Principal:", "Resolved during admission:") read and dropped. */
export function conditionLine(line: Line): Rec<'condition'>[] {
  if (isAdministrative(line.text) || isSignature(line.text)) return [];
  let text = line.text;
  let status: Status = 'active';
  const label = /^([A-Za-z][A-Za-z ()-]{0,40}):\s*(.*)$/.exec(text);
  if (label) {
    if (/\bresolved\b/i.test(label[1]!)) status = 'resolved';
    text = label[2]!;
  }
  const parts = text.includes(';') ? text.split(/\s*;\s*/) : text.includes(',') && !/\b(and|with)\b/i.test(text) ? text.split(/\s*,\s*/) : [text];
  return parts.flatMap((p) => readCondition(line, p, status) ?? []);
}

const PROSE: [RegExp, Status, boolean][] = [
  [/\b(?:principal|primary|main|working|final|discharge)\s+diagnos[ie]s\s+(?:was|is|of)\s+(.+)$/i, 'active', false],
  [/\bdiagnosed with\s+(.+)$/i, 'active', false],
  [/\b(?:background|past medical|past|medical)\s+history\s+(?:includes|included|of|is notable for|significant for)\s*:?\s*(.+)$/i, 'active', true],
  [/\b(?:comorbidities|co-morbidities)\s+(?:include|included|are)\s*:?\s*(.+)$/i, 'active', true],
  [/^(?:an?|the|his|her|their)?\s*(.+?)\s+(?:on|during) admission\s+(?:resolved|settled)\b/i, 'resolved', false],
  [/^(?:an?|the|his|her|their)?\s*(.+?)\s+(?:has|had)\s+resolved\b/i, 'resolved', false],
];

/** Conditions stated in one sentence of a letter. */
export function conditionProse(line: Line, sentence: string): Rec<'condition'>[] {
  for (const [pattern, status, list] of PROSE) {
    const m = pattern.exec(sentence);
    if (!m) continue;
    const items = list ? splitList(m[1]!) : [m[1]!];
    return items.flatMap((item) => readCondition(line, item, status) ?? []);
  }
  return [];
}
