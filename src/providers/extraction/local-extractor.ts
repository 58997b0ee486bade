/**
 * The offline extractor: no network, deterministic. Reads the OCR text line by line
 * (src/providers/extraction/lines.ts: sections from headings, wrapped prose joined),
 * applies the rule for the line's section (rules/), reads the sentences of prose
 * outside any section (letters state diagnoses, drugs and results in sentences), and
 * adds one encounter per document. Output passes the same schema as every extractor.
 */
import { parseDate } from './dates.js';
import { splitLines, type Line } from './lines.js';
import { allergies } from './rules/allergies.js';
import { isAdministrative, isSignature, sentences } from './rules/common.js';
import { conditionLine, conditionProse } from './rules/conditions.js';
import { encounter } from './rules/encounters.js';
import { immunization } from './rules/immunizations.js';
import { medicationLine, medicationProse, readMedication } from './rules/medications.js';
import { labList, labRow, vitals } from './rules/observations.js';
import { extractionSchema, type ExtractedRecord, type ExtractionResult, type Extractor } from './schema.js';

export const LOCAL_EXTRACTOR_VERSION = '2.0.0';

const COLLECTED = /\b(collected|collection date|specimen (date|collected)|date (of )?(test|collection)|sample date)\s*:?\s*/i;
const VISIT = /\b(seen|reviewed|admitted|presented|attended)\b.*?\bon\s+/i;
const DATED = /^(date|date of (visit|service|consultation)|visit date)\s*:\s*/i;
/** Lines about the document itself (its dates), never a record of their own. */
const META = /^(admitted|admission date|date of admission|discharged|discharge date|date of discharge|collected|collection date|reported|received|date)\b\s*:/i;
const BLOODS = /\b(?:bloods?|blood tests|results|investigations|pathology)\s+(?:showed|revealed|demonstrated|were notable for)\s+(.+)$/i;

function dateAfter(pattern: RegExp, lines: Line[]): string | null {
  for (const line of lines) {
    const m = pattern.exec(line.text);
    const date = m ? parseDate(line.text.slice(m.index + m[0].length)) : null;
    if (date) return date;
  }
  return null;
}

/** Records a sentence states by its wording ("was treated with …", "Background history includes …"). */
function fromSentence(line: Line, sentence: string, date: string | null): ExtractedRecord[] {
  const bloods = BLOODS.exec(sentence);
  return [...(bloods ? labList(line, bloods[1]!, date) : []), ...conditionProse(line, sentence), ...medicationProse(line, sentence)];
}

/** One sentence of a line as a line of its own (offsets narrowed to it where it can be found). */
function part(line: Line, sentence: string): Line {
  const at = line.text.indexOf(sentence);
  return at < 0 ? { ...line, text: sentence } : { ...line, text: sentence, start: line.start + at, end: Math.min(line.end, line.start + at + sentence.length) };
}

function bySection(line: Line, date: string | null): ExtractedRecord[] {
  switch (line.section) {
    case 'results': {
      const headingDate = line.heading ? parseDate(line.heading) : null;
      const list = labList(line, line.text, headingDate ?? date);
      if (list.length >= 2) return list;
      const row = labRow(line, headingDate ?? date);
      return row ? [row] : list;
    }
    case 'vitals':
      return vitals(line, date);
    case 'medications':
    case 'stopped_medications':
    case 'completed_medications':
      return medicationLine(line);
    case 'allergies':
      return allergies(line);
    case 'immunizations': {
      const found = immunization(line, date);
      return found ? [found] : [];
    }
    case 'diagnoses':
      return conditionLine(line);
    case 'none':
      break;
  }
  const vital = vitals(line, date);
  if (vital.length > 0) return vital;
  const one = labRow(line, date) ?? immunization(line, date) ?? readMedication(line, line.text, { status: 'active' }, true);
  return one ? [one] : allergies(line);
}

/**
 * Each sentence is read by its wording first: a letter's sentence says what it
 * lists, even under a heading it runs on from ("New medications: a, b. X will
 * continue c."). A sentence with no such wording is read by the line's section.
 */
function fromLine(line: Line, date: string | null): ExtractedRecord[] {
  const parts = sentences(line.text);
  if (parts.length <= 1) {
    const worded = fromSentence(line, line.text, date);
    return worded.length > 0 ? worded : bySection(line, date);
  }
  return parts.flatMap((sentence) => {
    const sub = part(line, sentence);
    const worded = fromSentence(sub, sentence, date);
    return worded.length > 0 ? worded : bySection(sub, date);
  });
}

export function extractFromLines(lines: Line[]): ExtractedRecord[] {
  const date = dateAfter(COLLECTED, lines) ?? dateAfter(VISIT, lines) ?? dateAfter(DATED, lines);
  const records: ExtractedRecord[] = [];
  for (const line of lines) {
    // Letterheads, patient identification, fax banners and sign-offs carry no record.
    if (META.test(line.text) || isAdministrative(line.text) || isSignature(line.text)) continue;
    records.push(...fromLine(line, date));
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
