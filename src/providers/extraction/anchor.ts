/**
 * Re-anchors provenance on the OCR text. A model's character offsets are often off
 * by a few characters (it counts tokens, not characters); the quoted source text is
 * usually exact. When the span does not hold the quoted text, the quote is looked up
 * on its page and the span moved there; when it cannot be found the record keeps the
 * model's span and its confidence is halved, so a reader knows to check it.
 */
import type { ExtractedRecord } from './schema.js';

export function anchorProvenance(records: ExtractedRecord[], pages: { page: number; text: string }[]): ExtractedRecord[] {
  const byPage = new Map(pages.map((p) => [p.page, p.text]));
  return records.map((record) => {
    const p = record.provenance;
    const text = byPage.get(p.page);
    if (text === undefined || text.slice(p.start, p.end) === p.text) return record;
    const at = p.text === '' ? -1 : text.indexOf(p.text);
    if (at >= 0) return { ...record, provenance: { ...p, start: at, end: at + p.text.length } };
    return { ...record, provenance: { ...p, confidence: Math.round((p.confidence / 2) * 1000) / 1000 } };
  });
}
