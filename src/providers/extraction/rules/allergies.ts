/**
 * Allergies: "Allergies: Penicillin (rash - mild); Peanut (anaphylaxis)", one per
 * line under an allergies heading ("Codeine – nausea"), or "allergic to X" anywhere.
 */
import type { Line } from '../lines.js';
import { allergenCategory } from '../terminology.js';
import { isAdministrative, isSignature, provenance, titleName, type Rec } from './common.js';

const NONE = /\b(nkda|nka|nil( known)?|none( known)?|no known)\b/i;

/** Split on ';' or ',' outside parentheses: "A (rash, hives), B" → ["A (rash, hives)", "B"]. */
function items(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  const separator = text.includes(';') ? ';' : ',';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === separator && depth === 0) (out.push(current), (current = ''));
    else current += ch;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter(Boolean);
}

function readAllergy(line: Line, item: string): Rec<'allergy'> | undefined {
  const text = item.replace(/^[-•*\s]+/, '').replace(/\.$/, '');
  if (NONE.test(text) && text.split(/\s+/).length <= 3) return undefined;
  const [substanceRaw, ...rest] = text.split(/\s*(?:\(|:|\s[-–—]\s|,\s*reaction)\s*/i);
  const substance = titleName(substanceRaw ?? '');
  if (!/[a-zA-Z]{3,}/.test(substance) || substance.length > 40 || substance.split(/\s+/).length > 5 || isAdministrative(substance) || isSignature(substance)) return undefined;
  const severity = /\bsevere|anaphyla/i.test(text) ? 'severe' : /\bmoderate\b/i.test(text) ? 'moderate' : /\bmild\b/i.test(text) ? 'mild' : null;
  const reaction = titleName(rest.join(' ').replace(/[()]/g, ' ').replace(/\b(mild|moderate|severe)\b/gi, '').replace(/\s[-–—]\s*$/, ''));
  return { kind: 'allergy', substance, coding: null, category: allergenCategory(substance), reaction: reaction === '' ? null : reaction, severity, provenance: provenance(line, 0.85) };
}

export function allergies(line: Line): Rec<'allergy'>[] {
  const explicit = /\b(?:allergic to|allergy to)\s+(.+?)(?:\.|$)/i.exec(line.text);
  if (line.section !== 'allergies' && !explicit) return [];
  if (line.section === 'allergies' && (isAdministrative(line.text) || isSignature(line.text))) return [];
  return items(explicit?.[1] ?? line.text).flatMap((item) => readAllergy(line, item) ?? []);
}
