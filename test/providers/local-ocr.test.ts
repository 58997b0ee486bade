import * as assert from 'uvu/assert';
import { PDFDocument } from 'pdf-lib';
import { suite } from 'uvu';
import { InputRejectedError } from '../../src/providers/provider-error.js';
import { LocalOcr } from '../../src/providers/ocr/local-ocr.js';
import { terminateTesseract } from '../../src/providers/ocr/tesseract.js';
import { sampleLabReport, toPdf, toPng } from '../fixtures/documents.js';

const test = suite('local OCR');
const ocr = new LocalOcr({ maxPages: 5 });
test.after(() => terminateTesseract());

test('a PDF with a text layer is read from it, exactly, page by page', async () => {
  const progress: [number, number][] = [];
  const result = await ocr.recognize({ bytes: await toPdf(sampleLabReport()), mediaType: 'application/pdf', onPage: (d, t) => void progress.push([d, t]) });
  assert.is(result.pages[0]?.source, 'text-layer');
  assert.is(result.pages[0]?.confidence, 1);
  assert.match(result.pages[0]!.text, /Glucose|Haemoglobin|Sodium|Cholesterol/i);
  assert.equal(progress, result.pages.map((p) => [p.page, result.pages.length]));
});

test('a scanned PDF (an image, no text layer) is rendered and read by tesseract', async () => {
  const doc = await PDFDocument.create();
  const png = await doc.embedPng(await toPng(sampleLabReport()));
  const page = doc.addPage([595, 842]);
  page.drawImage(png, { x: 0, y: 0, width: 595, height: 842 });
  const result = await ocr.recognize({ bytes: await doc.save(), mediaType: 'application/pdf' });
  assert.is(result.pages.length, 1);
  assert.is(result.pages[0]!.source, 'ocr');
  assert.ok(result.pages[0]!.confidence > 0.6, `confidence ${result.pages[0]!.confidence}`);
  assert.match(result.pages[0]!.text, /mmol\/L|g\/L|%/);
});

test('an image that cannot be decoded is refused with image_unreadable', async () => {
  const error = await ocr.recognize({ bytes: new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 1, 2]), mediaType: 'image/webp' }).catch((e: unknown) => e);
  assert.instance(error, InputRejectedError);
  assert.is((error as InputRejectedError).code, 'image_unreadable');
});

test.run();
