/**
 * A page's text as lines with their character offsets, each tagged with the
 * document section it falls under (the last heading above it), which is what
 * decides how an ambiguous line is read ("Penicillin – rash" under Allergies is
 * an allergy, under Medications a drug).
 *
 * Prose wrapped over several printed lines ("…was admitted to X on 3 May 2024 with
 * fever and / productive cough…") is joined back into one line, because the facts a
 * letter states (a drug and its dates, a list of diagnoses) often straddle a break.
 */
import { DATE_PATTERN } from './dates.js';

export type Section = 'results' | 'vitals' | 'medications' | 'stopped_medications' | 'completed_medications' | 'allergies' | 'immunizations' | 'diagnoses' | 'none';

export interface Line {
  page: number;
  start: number;
  end: number;
  text: string;
  section: Section;
  /** The heading that opened the section, as printed ("Medications started (commenced 3/5/2024)"). */
  heading: string | null;
  /** The page's OCR confidence. */
  confidence: number;
}

const HEADINGS: [RegExp, Section][] = [
  [/^(ceased|stopped|discontinued)\s+(medications?|medicines?)\b/i, 'stopped_medications'],
  [/^(medications?|medicines?)\s+(ceased|stopped|discontinued|withheld)\b/i, 'stopped_medications'],
  [/^(completed in hospital|inpatient (medications?|treatment)|medications? (given|completed) in hospital)\b/i, 'completed_medications'],
  [/^((current|discharge|regular|new|prescribed|usual)\s+)?(medications?|medicines?|prescriptions?|rx)\b/i, 'medications'],
  [/^(allerg(y|ies)|adverse (drug )?reactions?|alerts?)\b/i, 'allergies'],
  [/^(immuni[sz]ations?|vaccinations?|vaccines?( given)?|immuni[sz]ation (history|record))\b/i, 'immunizations'],
  [/^((principal |primary |secondary |discharge |final |active )?diagnos[ie]s|problems?( list)?|past (medical )?history|medical history|conditions?|comorbidities|background( history)?|assessment)\b/i, 'diagnoses'],
  [/^(vital signs?|vitals|observations|examination|on examination)\b/i, 'vitals'],
  [/^(results?|pathology|biochemistry|haematology|hematology|lipids?|lipid (studies|profile)|full blood (count|examination)|test results|laboratory|lab results|investigations|liver function( tests)?|thyroid function( tests)?|iron studies|electrolytes|urea,? electrolytes( and creatinine)?|general chemistry|diabetes monitoring|chemistry|(admission )?bloods|blood (tests|results))\b/i, 'results'],
];

/** Labels that close whatever section was open: what follows them is not a list of records. */
const CLOSERS = /^(follow[- ]?up|plan|comments?|reason for (visit|referral|admission)|presenting complaint|history of presenting|signature|signed|yours (sincerely|faithfully)|kind regards|regards|printed by|dear|confidential)\b|^(to|cc):/i;

/** A heading is a short line naming a section, optionally ending in ':'. */
export function headingOf(text: string): Section | undefined {
  const t = text.trim().replace(/^[#*=\-\s]+/, '');
  // Headings are capitalised and are not sentences ("diabetes mellitus." ends one).
  // A parenthesis ("Medications started (commenced 1 May 2024):") qualifies the heading; it is not its length.
  const core = t.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  if (core.length > 48 || !/^[A-Z]/.test(t) || /\.$/.test(t)) return undefined;
  for (const [pattern, section] of HEADINGS) {
    if (pattern.test(t) && (/:\s*$/.test(t) || core.split(/\s+/).length <= 4)) return section;
  }
  return undefined;
}

/** A table header ("Test | Result | Units | Ref. range") opens a results section. */
const TABLE_HEADER = /^(test|analyte|investigation|parameter|component)\b.*\bresults?\b/i;
/** So does a vaccination table's header ("Date | Vaccine | Dose | Batch") for immunizations. */
const VACCINE_HEADER = /^date\b.*\bvaccines?\b/i;

const WORD = /^[a-z][a-z'-]*[,.;:]?$/;
const STRUCTURAL = /^([-•*]|\d{1,2}[.)]\s|page \d)/i;
/** "Reason for visit:" opens a labelled line; "medications:" after a break is the sentence going on. */
const LABEL = /^[A-Z][\w /().,-]{0,60}:/;

/** Sentences are carried by lower-case words; headers, table rows and ID lines have few or none. */
function isProse(text: string): boolean {
  return text.split(/\s+/).filter((t) => WORD.test(t)).length >= 3;
}

/** Should `next` continue the sentence `previous` leaves open? */
function continues(previous: string, next: string): boolean {
  if (previous.length < 55 || /[.:;]$/.test(previous) || STRUCTURAL.test(next) || LABEL.test(next) || headingOf(next.split(':')[0] ?? next)) return false;
  // A line opening with a date starts a new entry (a dated list), unless the sentence above was cut at "from … to".
  if (DATE_PATTERN.exec(next)?.index === 0 && !/\b(to|on|from|until|and|since|commenced|started)$/i.test(previous)) return false;
  // A listed result cut after its name ("…, Vitamin" / "B12 472 pmol/L, …") goes on too.
  const tail = previous.slice(Math.max(previous.lastIndexOf(','), previous.lastIndexOf(' and ')) + 1);
  const cut = !/(^|\s)[<>]?\d+(\.\d+)?(\s|$)/.test(tail) || /\s\d+(\.\d+)?$/.test(tail);
  if (previous.includes(',') && cut && /^(\S+\s+){0,2}\d|^[^\s,]*\/[^\s,]*/.test(next)) return true;
  return /^[a-z(]/.test(next) || (isProse(previous) && /^[\dA-Z]/.test(next));
}

interface Raw { page: number; start: number; end: number; text: string; confidence: number }

function rawLines(pages: { page: number; text: string; confidence: number }[]): Raw[][] {
  return pages.map(({ page, text, confidence }) => {
    const out: Raw[] = [];
    let offset = 0;
    for (const raw of text.split('\n')) {
      const start = offset;
      offset += raw.length + 1;
      const trimmed = raw.trim();
      if (trimmed === '') continue;
      const lead = raw.length - raw.trimStart().length;
      const previous = out.at(-1);
      if (previous && continues(previous.text, trimmed)) {
        previous.text = `${previous.text} ${trimmed}`;
        previous.end = start + lead + trimmed.length;
        continue;
      }
      out.push({ page, start: start + lead, end: start + lead + trimmed.length, text: trimmed, confidence });
    }
    return out;
  });
}

export function splitLines(pages: { page: number; text: string; confidence: number }[]): Line[] {
  const lines: Line[] = [];
  let section: Section = 'none';
  let heading: string | null = null;
  for (const raw of rawLines(pages).flat()) {
    const label = raw.text.split(':')[0] ?? raw.text;
    const found = headingOf(raw.text.includes(':') ? `${label}:` : label);
    // "Allergies: penicillin (rash)" is a heading with content on the same line.
    if (found) {
      section = found;
      heading = label.trim();
      const rest = raw.text.includes(':') ? raw.text.slice(raw.text.indexOf(':') + 1).trim() : '';
      if (rest === '') continue;
      const offset = raw.text.indexOf(rest);
      lines.push({ ...raw, start: raw.start + offset, text: rest, section, heading });
      continue;
    }
    if (TABLE_HEADER.test(raw.text) || VACCINE_HEADER.test(raw.text)) {
      section = TABLE_HEADER.test(raw.text) ? 'results' : 'immunizations';
      heading = raw.text;
      continue;
    }
    if (CLOSERS.test(raw.text)) (section = 'none'), (heading = null);
    lines.push({ ...raw, section, heading });
  }
  return lines;
}
