import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { InputRejectedError } from '../../src/providers/provider-error.js';
import { checkImageFile, MAX_IMAGE_PIXELS, readImageSizes } from '../../src/providers/ocr/image-limits.js';
import { bmpBomb, jpegBomb, pngBomb, pngHeader, tiffBomb, tiffPagesHeader, webpBomb } from '../fixtures/hostile.js';

const test = suite('image limits (headers only)');

function refusal(run: () => unknown): InputRejectedError {
  try {
    run();
  } catch (error) {
    assert.instance(error, InputRejectedError);
    return error as InputRejectedError;
  }
  assert.unreachable('expected a InputRejectedError');
  throw new Error('unreachable');
}

test('decompression bombs are sized from their headers and refused as image_too_large, without decoding', () => {
  const cases: [Uint8Array, string, number, number][] = [
    [pngBomb(), 'image/png', 30_000, 30_000],
    [tiffBomb(), 'image/tiff', 30_000, 30_000],
    [webpBomb(), 'image/webp', 16_384, 16_384],
    [jpegBomb(), 'image/jpeg', 30_000, 30_000],
    [bmpBomb(), 'image/bmp', 30_000, 30_000],
  ];
  for (const [bytes, type, width, height] of cases) {
    const started = performance.now();
    assert.equal(readImageSizes(bytes, type), [{ width, height }], type);
    const error = refusal(() => checkImageFile(bytes, type));
    assert.is(error.code, 'image_too_large', type);
    assert.match(error.message, `${width} × ${height} px`);
    assert.ok(performance.now() - started < 1000, `${type} took ${Math.round(performance.now() - started)} ms`);
  }
});

test('phone photos up to 50 MP and 600-dpi A4 scans pass, in every format', () => {
  const sizes: [number, number][] = [[4032, 3024], [8160, 6120], [8192, 6144], [4961, 7016]];
  for (const [width, height] of sizes) {
    for (const [bytes, type] of [
      [pngHeader(width, height), 'image/png'],
      [jpegBomb(width, height), 'image/jpeg'],
      [tiffPagesHeader([[width, height]]), 'image/tiff'],
      [bmpBomb(width, height), 'image/bmp'],
    ] as const) {
      assert.equal(checkImageFile(bytes, type), [{ width, height }], `${type} ${width}×${height}`);
    }
  }
  // VP8L holds at most 16384 a side; 8160 × 6120 fits.
  assert.equal(checkImageFile(webpBomb(8160, 6120), 'image/webp'), [{ width: 8160, height: 6120 }]);
  assert.ok(8192 * 6144 <= MAX_IMAGE_PIXELS);
});

test('just over the bounds is refused: 52 MP and a 32768-pixel side', () => {
  assert.is(refusal(() => checkImageFile(pngHeader(8000, 6501), 'image/png')).code, 'image_too_large');
  assert.is(refusal(() => checkImageFile(pngHeader(32_768, 100), 'image/png')).code, 'image_too_large');
  assert.equal(checkImageFile(pngHeader(32_767, 100), 'image/png'), [{ width: 32_767, height: 100 }]);
});

test('every page of a TIFF counts: a huge second page is refused, naming it', () => {
  const bytes = tiffPagesHeader([[2480, 3508], [40_000, 40_000]]);
  assert.equal(readImageSizes(bytes, 'image/tiff'), [{ width: 2480, height: 3508 }, { width: 40_000, height: 40_000 }]);
  const error = refusal(() => checkImageFile(bytes, 'image/tiff'));
  assert.is(error.code, 'image_too_large');
  assert.match(error.message, 'page 2');
});

test('headers that cannot be read are image_unreadable: truncated, looping, mislabelled, or no size at all', () => {
  const png = pngHeader(100, 100);
  const jpegWithoutFrame = new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0, 4, 0, 0, 0xff, 0xd9]);
  const cases: [Uint8Array, string][] = [
    [png.subarray(0, 12), 'image/png'],
    [png, 'image/jpeg'],
    [jpegWithoutFrame, 'image/jpeg'],
    [tiffPagesHeader([[100, 100]]).subarray(0, 20), 'image/tiff'],
    [tiffPagesHeader([[100, 100], [200, 200]], { loop: true }), 'image/tiff'],
    [pngHeader(0, 100), 'image/png'],
    [new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 1, 2]), 'image/webp'],
  ];
  cases.forEach(([bytes, type], i) => assert.is(refusal(() => checkImageFile(bytes, type)).code, 'image_unreadable', `case ${i} (${type})`));
});

test.run();
