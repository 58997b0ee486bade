/**
 * Reading one document's bytes into sourced records: OCR, then extraction, then each
 * record anchored to the text it came from. The document pipeline and `npm run extract`
 * both read documents through here, so both refuse the same inputs: more pages than
 * allowed (too_many_pages), no text at all (no_text_found), and whatever the providers
 * refuse (src/providers/provider-error.ts).
 */
import { anchorProvenance } from '../../providers/extraction/anchor.js';
import type { ExtractionResult, Extractor } from '../../providers/extraction/schema.js';
import { InputRejectedError } from '../../providers/provider-error.js';
import type { OcrProvider, OcrResult } from '../../providers/ocr/types.js';

export interface ReadProviders {
  ocr: OcrProvider;
  extractor: Extractor;
}

export interface ReadInput {
  bytes: Uint8Array;
  mediaType: string;
  maxPages: number;
  signal?: AbortSignal;
  onPage?: (done: number, total: number) => void | Promise<void>;
}

export interface ReadResult {
  ocr: OcrResult;
  /** The extraction with every record's provenance anchored in its page's text. */
  extraction: ExtractionResult;
}

/** A page with fewer non-space characters than this has no text worth extracting. */
const MIN_TEXT_CHARS = 3;

export async function readDocument(providers: ReadProviders, input: ReadInput): Promise<ReadResult> {
  const { signal } = input;
  const ocr = await providers.ocr.recognize({
    bytes: input.bytes,
    mediaType: input.mediaType,
    ...(signal ? { signal } : {}),
    ...(input.onPage ? { onPage: input.onPage } : {}),
  });
  if (ocr.pages.length > input.maxPages) {
    throw new InputRejectedError('too_many_pages', `the document has ${ocr.pages.length} pages; the limit is ${input.maxPages}`);
  }
  if (ocr.pages.every((p) => p.text.replace(/\s/g, '').length < MIN_TEXT_CHARS)) {
    throw new InputRejectedError('no_text_found', 'no text was found in the document');
  }
  const extracted = await providers.extractor.extract(ocr.pages, signal ? { signal } : {});
  return { ocr, extraction: { ...extracted, records: anchorProvenance(extracted.records, ocr.pages) } };
}
