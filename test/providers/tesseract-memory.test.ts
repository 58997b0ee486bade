/**
 * tesseract.js's WebAssembly heap grows to fit the largest image it has read and
 * never shrinks; the engine is recycled so the process's memory comes back.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { readImageSizes } from '../../src/providers/ocr/image-limits.js';
import { RECYCLE_ABOVE_PIXELS, recognizeImage, terminateTesseract, tesseractWorkersStarted } from '../../src/providers/ocr/tesseract.js';
import { sampleLabReport, toPng } from '../fixtures/documents.js';
import { until } from '../helpers/suite.js';

const test = suite('tesseract memory');
test.after(() => terminateTesseract());

const rssMb = () => process.memoryUsage().rss / 1048576;

test('the engine is kept for ordinary pages, recycled after a large image, and the process memory returns', async () => {
  const page = await toPng(sampleLabReport()); // 150 dpi, 1.8 MP
  const photo = await toPng(sampleLabReport(), 1, { dpi: 400 }); // 15.5 MP
  const [size] = readImageSizes(photo, 'image/png');
  assert.ok(size!.width * size!.height > RECYCLE_ABOVE_PIXELS);

  await recognizeImage(page);
  const started = tesseractWorkersStarted();
  await recognizeImage(page);
  assert.is(tesseractWorkersStarted(), started, 'kept between ordinary pages');

  const before = rssMb();
  const read = await recognizeImage(photo);
  assert.match(read.text, /mmol\/L|g\/L/);
  // Kept, the engine would hold ~200 MB more for this image. The ended worker thread
  // gives its heap back within ~60 ms (tesseract.js does not wait for its exit).
  let after = rssMb();
  await until(() => (after = rssMb()) - before < 100, 5000).catch(() => {
    assert.unreachable(`process memory ${Math.round(before)} MB before the large image, still ${Math.round(after)} MB after`);
  });

  await recognizeImage(page);
  assert.is(tesseractWorkersStarted(), started + 1, 'a new engine for the next page');
});

test.run();
