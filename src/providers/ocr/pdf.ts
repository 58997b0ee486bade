/**
 * PDF access for the offline OCR: a page's own text layer, rebuilt into lines, and
 * page rendering for pages that have none (scans). pdfjs-dist's legacy build runs
 * on Node 20 and draws through @napi-rs/canvas (unpdf's renderer draws blank pages
 * before Node 22; see DESIGN.md).
 *
 * Memory is bounded before anything is decoded: every image in the file is sized
 * first (pdf-images.ts), pdf.js is told the same bound, and a page is drawn at a
 * scale that keeps its canvas under MAX_RENDER_PIXELS, one page at a time in the
 * whole process.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from './image-limits.js';
import { checkPdfImages } from './pdf-images.js';
import { serial } from './serial.js';
import { InputRejectedError } from '../provider-error.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;
type PdfPage = Awaited<ReturnType<PdfDocument['getPage']>>;
type RenderContext = Parameters<PdfPage['render']>[0]['canvasContext'];

const require = createRequire(import.meta.url);
const pdfjsRoot = path.dirname(require.resolve('pdfjs-dist/package.json'));
// pdfjs reads these with fs on Node; a trailing slash is required.
const standardFontDataUrl = `${path.join(pdfjsRoot, 'standard_fonts')}/`;

let pdfjs: Promise<PdfJs> | undefined;
const loadPdfJs = () => (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));

/** Pixels per point when a page is drawn for OCR: ≈ 150 dpi, where tesseract reads ordinary print well. */
export const RENDER_SCALE = 2;
/**
 * The smallest scale a large page may be drawn at: below one pixel per point
 * (72 dpi) 10-point print is ~5 px high and no longer legible to tesseract, so
 * such a page is refused (`page_too_large`) rather than read as noise.
 */
export const MIN_RENDER_SCALE = 1;
/**
 * The most pixels a page's canvas may have: 16 MP is 64 MB of RGBA, and ~600 MB
 * of process memory once tesseract has read it (see image-limits.ts). A4, Letter
 * and A3 draw at RENDER_SCALE (2–4 MP); A0 at 1.4; a page over 16 M pt² (say
 * 4000 × 4000 pt, 1.4 m square) would need less than MIN_RENDER_SCALE.
 */
export const MAX_RENDER_PIXELS = 16_000_000;

/** Pages are drawn one at a time in the whole process: two documents never hold two canvases. */
const renderOne = serial();

export interface PdfHandle {
  pages: number;
  /** The page's text layer as lines (top to bottom, words left to right). */
  text(page: number): Promise<string>;
  /**
   * The page drawn to PNG at RENDER_SCALE, or smaller to stay within
   * MAX_RENDER_PIXELS; `page_too_large` below MIN_RENDER_SCALE.
   */
  render(page: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * The scale a page of `width` × `height` points is drawn at, or undefined when
 * even MIN_RENDER_SCALE would exceed the canvas bounds.
 */
export function renderScale(width: number, height: number): number | undefined {
  // A point more each way: the canvas rounds each side up, and at a scale ≥ 1 that adds less than one scaled point.
  const scale = Math.min(RENDER_SCALE, Math.sqrt(MAX_RENDER_PIXELS / ((width + 1) * (height + 1))), MAX_IMAGE_SIDE / (Math.max(width, height) + 1));
  return scale >= MIN_RENDER_SCALE ? scale : undefined;
}

export async function openPdf(bytes: Uint8Array): Promise<PdfHandle> {
  const lib = await loadPdfJs();
  let doc: PdfDocument;
  try {
    doc = await lib.getDocument({
      // pdfjs transfers (detaches) the buffer it is given: pass a copy.
      data: new Uint8Array(bytes),
      standardFontDataUrl,
      isEvalSupported: false,
      useSystemFonts: false,
      verbosity: 0,
      // No image above the bound is decoded, whatever the scan below missed (inline
      // images live in content streams, which it does not read).
      maxImageSize: MAX_IMAGE_PIXELS,
      // Node has neither: say so, rather than leave pdf.js to guess. Without an
      // OffscreenCanvas pdf.js never resizes images itself, so canvasMaxAreaInBytes
      // (which sizes that resizing) only matters if this changes; it is set to the
      // canvas bound all the same.
      isOffscreenCanvasSupported: false,
      isImageDecoderSupported: false,
      canvasMaxAreaInBytes: MAX_RENDER_PIXELS * 4,
    }).promise;
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === 'PasswordException') throw new InputRejectedError('pdf_encrypted', 'the PDF is password-protected');
    throw new InputRejectedError('pdf_corrupt', `the PDF cannot be read (${name ?? 'unknown error'})`);
  }
  try {
    await checkPdfImages(bytes);
  } catch (error) {
    await doc.destroy();
    throw error;
  }
  return {
    pages: doc.numPages,
    async text(pageNumber) {
      const page = await doc.getPage(pageNumber);
      const content = await page.getTextContent();
      const items: { x: number; y: number; width: number; str: string }[] = [];
      for (const item of content.items) {
        if (!('str' in item) || item.str.trim() === '') continue;
        items.push({ x: item.transform[4] as number, y: item.transform[5] as number, width: item.width, str: item.str });
      }
      page.cleanup();
      return joinLines(items);
    },
    async render(pageNumber) {
      const page = await doc.getPage(pageNumber);
      try {
        // Scale 1 includes the page's UserUnit: these are its real points.
        const { width, height } = page.getViewport({ scale: 1 });
        const scale = renderScale(width, height);
        if (scale === undefined) {
          throw new InputRejectedError(
            'page_too_large',
            `page ${pageNumber} is ${Math.round(width)} × ${Math.round(height)} pt; at ${MIN_RENDER_SCALE} px/pt it would exceed ${MAX_RENDER_PIXELS / 1e6} MP`,
          );
        }
        return await renderOne(async () => {
          const viewport = page.getViewport({ scale });
          const { createCanvas } = await import('@napi-rs/canvas');
          const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
          try {
            const context = canvas.getContext('2d');
            context.fillStyle = '#ffffff';
            context.fillRect(0, 0, canvas.width, canvas.height);
            // The napi canvas context implements what pdfjs draws with; its types differ from the DOM's.
            await page.render({ canvasContext: context as unknown as RenderContext, viewport }).promise;
            return new Uint8Array(await canvas.encode('png'));
          } finally {
            // Shrinking the canvas frees its pixels now; the garbage collector would only do it later.
            canvas.width = 1;
            canvas.height = 1;
          }
        });
      } finally {
        // Decoded images and fonts of the page go with it.
        page.cleanup();
      }
    },
    close: () => doc.destroy(),
  };
}

/**
 * Groups text items into lines by baseline (within 2 pt), orders words left to
 * right, and keeps wide gaps as runs of spaces so table columns stay apart.
 */
export function joinLines(items: { x: number; y: number; width: number; str: string }[]): string {
  const sorted = [...items].sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: (typeof items)[] = [];
  for (const item of sorted) {
    const line = lines.at(-1);
    if (line && Math.abs(line[0]!.y - item.y) <= 2) line.push(item);
    else lines.push([item]);
  }
  return lines
    .map((line) => {
      line.sort((a, b) => a.x - b.x);
      let text = '';
      let end: number | undefined;
      for (const item of line) {
        if (end !== undefined) {
          const gap = item.x - end;
          if (!/\s$/.test(text)) text += gap > 12 ? '   ' : gap > 1.5 ? ' ' : '';
        }
        text += item.str;
        end = item.x + item.width;
      }
      return text.replace(/[ \t]+$/g, '');
    })
    .join('\n');
}
