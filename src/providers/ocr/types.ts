/**
 * OCR: turns a document's bytes into text, page by page, keeping confidence.
 * Implementations: Google Cloud Vision (production) and the offline local OCR
 * (the PDF's own text layer, else tesseract.js on rendered pages).
 */

export interface OcrPage {
  /** 1-based page number. */
  page: number;
  text: string;
  /** 0..1: the engine's confidence for the page (1 for a PDF's own text layer). */
  confidence: number;
  /** How the text was obtained. */
  source: 'text-layer' | 'ocr';
}

export interface OcrResult {
  pages: OcrPage[];
  engine: { name: string; version: string };
}

export interface OcrInput {
  bytes: Uint8Array;
  /** application/pdf, image/png, image/jpeg, image/tiff, image/webp */
  mediaType: string;
  /** Called after each page so long documents can report progress. */
  onPage?: (done: number, total: number) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface OcrProvider {
  readonly name: string;
  recognize(input: OcrInput): Promise<OcrResult>;
}
