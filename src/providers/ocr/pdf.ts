/**
 * PDF access for the offline OCR: a page's own text layer, rebuilt into lines, and
 * page rendering for pages that have none (scans). pdfjs-dist's legacy build runs
 * on Node 20 and draws through @napi-rs/canvas (unpdf's renderer draws blank pages
 * before Node 22; see DESIGN.md).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { PermanentJobError } from '../../events/queue/job.js';

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

export interface PdfHandle {
  pages: number;
  /** The page's text layer as lines (top to bottom, words left to right). */
  text(page: number): Promise<string>;
  /** The page drawn to PNG at `scale` (2 ≈ 150 dpi for A4). */
  render(page: number, scale?: number): Promise<Uint8Array>;
  close(): Promise<void>;
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
    }).promise;
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === 'PasswordException') throw new PermanentJobError('pdf_encrypted', 'the PDF is password-protected');
    throw new PermanentJobError('pdf_corrupt', `the PDF cannot be read (${name ?? 'unknown error'})`);
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
    async render(pageNumber, scale = 2) {
      const page = await doc.getPage(pageNumber);
      const viewport = page.getViewport({ scale });
      const { createCanvas } = await import('@napi-rs/canvas');
      const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
      const context = canvas.getContext('2d');
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      // The napi canvas context implements what pdfjs draws with; its types differ from the DOM's.
      await page.render({ canvasContext: context as unknown as RenderContext, viewport }).promise;
      page.cleanup();
      return new Uint8Array(await canvas.encode('png'));
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
