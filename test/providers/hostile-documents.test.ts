/**
 * The local OCR on hostile uploads: each is refused with its reason code, as a
 * InputRejectedError (the pipeline fails the job, never retried), before anything decodes the pixels it declares.
 * (Memory, measured in a worker process: test/consumers/documents-hostile.test.ts.)
 */
import * as assert from 'uvu/assert';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { suite } from 'uvu';
import { InputRejectedError } from '../../src/providers/provider-error.js';
import { readImageSizes } from '../../src/providers/ocr/image-limits.js';
import { LocalOcr } from '../../src/providers/ocr/local-ocr.js';
import { MAX_RENDER_PIXELS, openPdf, renderScale } from '../../src/providers/ocr/pdf.js';
import { terminateTesseract } from '../../src/providers/ocr/tesseract.js';
import { jpegBomb, pdfGiantPage, pdfImageBomb, pdfJpegSizeMismatch, pdfSoftMaskBomb, pngBomb, tiffBomb, webpBomb } from '../fixtures/hostile.js';
import { rejection } from '../helpers/suite.js';

const test = suite('local OCR on hostile documents');
const ocr = new LocalOcr({ maxPages: 5 });
test.after(() => terminateTesseract());

async function refusedWith(code: string, bytes: Uint8Array, mediaType: string) {
  const started = performance.now();
  const error = await rejection(ocr.recognize({ bytes, mediaType }));
  assert.instance(error, InputRejectedError, `${mediaType}: ${error.message}`);
  assert.is((error as InputRejectedError).code, code, `${mediaType}: ${error.message}`);
  return { error: error as InputRejectedError, ms: performance.now() - started };
}

test('image decompression bombs (PNG, TIFF, WebP, JPEG) are image_too_large before tesseract sees them', async () => {
  for (const [bytes, type] of [[pngBomb(), 'image/png'], [tiffBomb(), 'image/tiff'], [webpBomb(), 'image/webp'], [jpegBomb(), 'image/jpeg']] as const) {
    const { ms } = await refusedWith('image_too_large', bytes, type);
    // Today's tesseract took 5-23 s over each (and 1-1.8 GB) before answering.
    assert.ok(ms < 1000, `${type} took ${Math.round(ms)} ms`);
  }
});

test('a 390 KB PDF whose page draws a 20000 × 20000 image is image_too_large, not a blank page', async () => {
  const bytes = await pdfImageBomb();
  assert.ok(bytes.length < 400_000, `${bytes.length} bytes`);
  const { error } = await refusedWith('image_too_large', bytes, 'application/pdf');
  assert.match(error.message, '20000 × 20000 px');
});

test('what pdf.js maxImageSize misses: a 20000² soft mask behind a 10 × 10 image, a JPEG larger than its dictionary says', async () => {
  await refusedWith('image_too_large', await pdfSoftMaskBomb(), 'application/pdf');
  const { error } = await refusedWith('image_too_large', await pdfJpegSizeMismatch(), 'application/pdf');
  assert.match(error.message, '30000 × 30000 px');
});

test('a 14400 × 14400 pt blank page is page_too_large (it was a retried canvas failure)', async () => {
  const { error } = await refusedWith('page_too_large', await pdfGiantPage(), 'application/pdf');
  assert.match(error.message, '14400 × 14400 pt');
});

test('render scale: 2 for ordinary pages, smaller for large ones down to 1 px/pt, then none', () => {
  assert.is(renderScale(595, 842), 2);
  assert.is(renderScale(842, 1191), 2); // A3
  const a0 = renderScale(2384, 3370)!;
  assert.ok(a0 > 1.4 && a0 < 1.42, `A0 at ${a0}`);
  assert.ok(Math.ceil(2384 * a0) * Math.ceil(3370 * a0) <= MAX_RENDER_PIXELS);
  assert.is(renderScale(4000, 4001), undefined);
  assert.is(renderScale(14_400, 14_400), undefined);
  assert.is(renderScale(40_000, 10), undefined); // few pixels, but a side tesseract cannot take
});

test('a large page (A0) is drawn smaller to fit the canvas bound, not refused', async () => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([2384, 3370]); // A0
  page.drawText('Haemoglobin 135 g/L', { x: 100, y: 3100, size: 96, font });
  const pdf = await openPdf(await doc.save());
  try {
    const png = await pdf.render(1);
    const [size] = readImageSizes(png, 'image/png');
    assert.ok(size!.width * size!.height <= MAX_RENDER_PIXELS, `${size!.width} × ${size!.height}`);
    assert.ok(size!.width >= 2384, 'at least one pixel per point');
  } finally {
    await pdf.close();
  }
});

test.run();
