/**
 * A page's text as lines with their character offsets, each tagged with the
 * document section it falls under (the last heading above it), which is what
 * decides how an ambiguous line is read ("Penicillin – rash" under Allergies is
 * an allergy, under Medications a drug).
 */
export type Section = 'results' | 'vitals' | 'medications' | 'stopped_medications' | 'allergies' | 'immunizations' | 'diagnoses' | 'none';

export interface Line {
  page: number;
  start: number;
  end: number;
  text: string;
  section: Section;
  /** The page's OCR confidence. */
  confidence: number;
}

const HEADINGS: [RegExp, Section][] = [
  [/^(ceased|stopped|discontinued)\s+(medications?|medicines?)\b/i, 'stopped_medications'],
  [/^(medications? (ceased|stopped)|changes? to medications?)\b/i, 'stopped_medications'],
  [/^((current|discharge|regular|new|prescribed)\s+)?(medications?|medicines?|prescriptions?|rx)\b/i, 'medications'],
  [/^(allerg(y|ies)|adverse (drug )?reactions?|alerts?)\b/i, 'allergies'],
  [/^(immuni[sz]ations?|vaccinations?|vaccines?( given)?|immuni[sz]ation (history|record))\b/i, 'immunizations'],
  [/^((principal |primary |secondary |discharge |final )?diagnos[ie]s|problems?( list)?|past (medical )?history|medical history|conditions?|assessment)\b/i, 'diagnoses'],
  [/^(vital signs?|vitals|observations|examination)\b/i, 'vitals'],
  [/^(results?|pathology|biochemistry|haematology|hematology|lipids?|full blood (count|examination)|test results|laboratory|lab results|investigations|liver function|thyroid function|iron studies|electrolytes)\b/i, 'results'],
];

/** A heading is a short line naming a section, optionally ending in ':'. */
export function headingOf(text: string): Section | undefined {
  const t = text.trim().replace(/^[#*=\-\s]+/, '');
  if (t.length > 48) return undefined;
  for (const [pattern, section] of HEADINGS) {
    if (pattern.test(t) && (/:\s*$/.test(t) || t.split(/\s+/).length <= 4)) return section;
  }
  return undefined;
}

export function splitLines(pages: { page: number; text: string; confidence: number }[]): Line[] {
  const lines: Line[] = [];
  let section: Section = 'none';
  for (const { page, text, confidence } of pages) {
    let offset = 0;
    for (const raw of text.split('\n')) {
      const start = offset;
      offset += raw.length + 1;
      const trimmed = raw.trim();
      if (trimmed === '') continue;
      const heading = headingOf(trimmed.split(':')[0] ?? trimmed);
      // "Allergies: penicillin (rash)" is a heading with content on the same line.
      if (heading) {
        section = heading;
        const rest = trimmed.includes(':') ? trimmed.slice(trimmed.indexOf(':') + 1).trim() : '';
        if (rest === '') continue;
        const restStart = start + raw.indexOf(rest);
        lines.push({ page, start: restStart, end: restStart + rest.length, text: rest, section, confidence });
        continue;
      }
      const lead = raw.length - raw.trimStart().length;
      lines.push({ page, start: start + lead, end: start + lead + trimmed.length, text: trimmed, section, confidence });
    }
  }
  return lines;
}
