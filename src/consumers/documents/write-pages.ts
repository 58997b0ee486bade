/**
 * Writes a document's page text as OCR read it (public.document_pages, what quick search
 * searches), replacing an earlier run's, inside the caller's transaction: one statement
 * for every page.
 */
import type { Queryable } from '../../events/queue/job.js';
import type { OcrPage } from '../../providers/ocr/types.js';

export async function replaceDocumentPages(db: Queryable, document: { id: string; profileId: string }, pages: readonly OcrPage[]): Promise<void> {
  await db.query('delete from public.document_pages where document_id = $1::uuid', [document.id]);
  // Postgres text cannot hold NUL, which a PDF's text layer may carry.
  const kept = pages.filter((p) => p.text.trim() !== '');
  if (kept.length === 0) return;
  await db.query(
    `insert into public.document_pages (document_id, profile_id, page, body)
     select $1::uuid, $2::uuid, p, b from unnest($3::int[], $4::text[]) as t(p, b)`,
    [document.id, document.profileId, kept.map((p) => p.page), kept.map((p) => p.text.replaceAll('\u0000', ''))],
  );
}
