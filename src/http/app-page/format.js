// What the /app page shows people instead of machine forms: UCUM units as a person
// writes them, counted nouns with their plural, severities as words. An ES module with
// no DOM, so the page imports it and the tests run it in Node.

const SUPERSCRIPT = { '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻' };
const superscript = (digits) => [...digits].map((c) => SUPERSCRIPT[c] ?? c).join('');

/** UCUM's `u` prefix is micro; only before the units it prefixes, so `u` alone (enzyme units written lower case) stays. */
const MICRO = /^u(?=(g|mol|L|l|m|IU|U|eq|kat|s)$)/;

/** One unit atom (no `/`), e.g. `ug`, `m2`, `10*9`, `mm[Hg]`, `{cells}`. */
function displayAtom(atom) {
  const annotation = /^\{(.*)\}$/.exec(atom);
  // An annotation is a label, not a unit: {1.73_m2} is "per 1.73 m² of body surface".
  if (annotation) return annotation[1].replace(/_/g, ' ').split(' ').map(displayAtomWithoutBraces).join(' ');
  return displayAtomWithoutBraces(atom);
}

function displayAtomWithoutBraces(atom) {
  const power = /^10[*^](-?\d+)$/.exec(atom);
  if (power) return `×10${superscript(power[1])}`;
  const text = atom
    .replace(/\{[^}]*\}/g, '') // an annotation attached to a unit ("mL{total}") says nothing a reader needs
    .replace(/\[([^\]]+)\]/g, '$1') // square brackets mark special units: mm[Hg] → mmHg, [IU] → IU
    .replace(MICRO, 'µ');
  // A trailing exponent on a unit: m2 → m², s-1 → s⁻¹ (not on numbers such as 1.73).
  return text.replace(/^([A-Za-zµ]+)(-?\d+)$/, (_, unit, exp) => `${unit}${superscript(exp)}`);
}

/** A UCUM unit as people write it: `mL/min/{1.73_m2}` → `mL/min/1.73 m²`, `10*9/L` → `×10⁹/L`, `ug/L` → `µg/L`. */
export function displayUnit(ucum) {
  if (ucum === null || ucum === undefined) return '';
  const text = String(ucum).trim();
  if (text === '' || text === '1') return '';
  // Split on `/` and `.` (UCUM's multiplication) outside braces: an annotation may hold either.
  const parts = text.match(/(\{[^}]*\}|[^/.{]+(?:\{[^}]*\})?|[/.])/g) ?? [text];
  return parts.map((part) => (part === '/' ? '/' : part === '.' ? '·' : displayAtom(part))).join('')
    .replace(/\/×/g, '/10'); // "per 10⁹" reads as /10⁹, not /×10⁹
}

/** A unit-like word inside a sentence (the alert summaries carry units as extracted). */
const UNIT_TOKEN = /(?<=^|[\s(])(?:[A-Za-z%[\]0-9*^]*(?:\{[^}\s]*\}|\/|10\*|\[[^\]\s]+\])[A-Za-z0-9%[\]{}_.*^/]*|u(?:g|mol|L)(?:\/[A-Za-z0-9[\]{}_.]+)?\.?)(?=$|[\s),;])/g;

/** The same sentence with its units as people write them: "eGFR 58 mL/min/{1.73_m2} is low" → "eGFR 58 mL/min/1.73 m² is low". */
export function displayUnitsIn(text) {
  // A full stop after a unit ends the sentence; it is not UCUM's multiplication dot.
  return String(text ?? '').replace(UNIT_TOKEN, (token) => {
    const stop = /\.+$/.exec(token)?.[0] ?? '';
    return displayUnit(token.slice(0, token.length - stop.length)) + stop;
  });
}

/** "1 document", "2 documents", "0 documents"; irregular plurals given. */
export function countOf(n, singular, plural = `${singular}s`) {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** The journey's record counts are keyed by table; each as a noun. */
const RECORD_NOUNS = {
  observations: ['result', 'results'],
  medications: ['medication', 'medications'],
  conditions: ['condition', 'conditions'],
  allergies: ['allergy', 'allergies'],
  immunizations: ['immunization', 'immunizations'],
  procedures: ['procedure', 'procedures'],
  encounters: ['visit', 'visits'],
  documents: ['document', 'documents'],
};

export function recordCount(table, n) {
  const [singular, plural] = RECORD_NOUNS[table] ?? [table.replace(/_/g, ' '), table.replace(/_/g, ' ')];
  return countOf(n, singular, plural);
}

export const SEVERITY_LABELS = { critical: 'Critical', warning: 'Warning', info: 'For information' };

export function severityLabel(severity) {
  return SEVERITY_LABELS[severity] ?? severity;
}
