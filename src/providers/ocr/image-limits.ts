/**
 * How many pixels Guardian lets a decoder hold, and image sizes read from headers
 * only, so an image over the bound is refused before anything allocates its pixels
 * (a 30000 × 30000 PNG of zeros is under 1 MB on disk and 900 MB decoded).
 *
 * The bound, measured with tesseract.js 7 on Node 20 (worker process RSS, one
 * image): a 2 MP page ≈ 250 MB, 8.7 MP (A4 at 300 dpi) ≈ 390 MB, 35 MP (A4 at
 * 600 dpi) ≈ 900 MB, 50 MP ≈ 1.2 GB: the engine costs ~20 bytes a pixel. Phone
 * photos are 12 MP by default and 50 MP at most in their high-resolution modes
 * (8160 × 6120 = 49.9 MP, 8192 × 6144 = 50.3 MP), so 52 MP keeps every one of them
 * and caps a single image at ~1.25 GB of engine memory, which tesseract.ts hands
 * back right after. A 200 MP photo or a 600-dpi A3 scan (70 MP) is refused: taken
 * again at the camera's default or scanned at 300 dpi, it reads as well.
 *
 * The same bounds hold with Google Vision, so a document gets the same answer from
 * either provider.
 */
import { imageSize } from 'image-size';
import { tiffPageSizes, type PageSize } from './tiff-pages.js';
import { InputRejectedError } from '../provider-error.js';

/** Decoded pixels one image may have (see above). */
export const MAX_IMAGE_PIXELS = 52_000_000;
/** Tesseract keeps coordinates in 16 bits: a longer side cannot be read at all. */
export const MAX_IMAGE_SIDE = 32_767;

export type ImageSize = PageSize;

/** image-size's name for each media type we accept; JPEG 2000 only inside PDFs. */
const HEADER_TYPES: Record<string, readonly string[]> = {
  'image/png': ['png'],
  'image/jpeg': ['jpg'],
  'image/webp': ['webp'],
  'image/bmp': ['bmp'],
  'image/gif': ['gif'],
  'image/jp2': ['jp2', 'j2c'],
};

/**
 * The size of every image in the file (each page of a TIFF), from its header alone.
 * A header that cannot be read is `image_unreadable`: no decoder could size it either.
 */
export function readImageSizes(bytes: Uint8Array, mediaType: string): ImageSize[] {
  const unreadable = () => new InputRejectedError('image_unreadable', `the ${mediaType} image has no readable size in its header`);
  let sizes: ImageSize[];
  try {
    if (mediaType === 'image/tiff') {
      sizes = tiffPageSizes(bytes);
    } else {
      const types = HEADER_TYPES[mediaType];
      // A Buffer view, not a copy: image-size's JPEG reader slices its input per segment.
      const result = imageSize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (!types?.includes(result.type ?? '')) throw unreadable();
      sizes = [{ width: result.width ?? 0, height: result.height ?? 0 }];
    }
  } catch {
    // image-size throws TypeErrors (and RangeErrors on truncated input); none carries anything we need.
    throw unreadable();
  }
  if (!sizes.every((s) => Number.isSafeInteger(s.width) && Number.isSafeInteger(s.height) && s.width > 0 && s.height > 0)) {
    throw unreadable();
  }
  return sizes;
}

/** Refuses an image the bounds do not allow: `image_too_large`, never retried. */
export function checkImageSize(size: ImageSize, what = 'the image'): void {
  const pixels = size.width * size.height;
  if (pixels > MAX_IMAGE_PIXELS || size.width > MAX_IMAGE_SIDE || size.height > MAX_IMAGE_SIDE) {
    throw new InputRejectedError(
      'image_too_large',
      `${what} is ${size.width} × ${size.height} px (${megapixels(pixels)} MP); the limit is ${megapixels(MAX_IMAGE_PIXELS)} MP and ${MAX_IMAGE_SIDE} px a side`,
    );
  }
}

/** Reads and checks an uploaded image (every page of a TIFF); returns its sizes. */
export function checkImageFile(bytes: Uint8Array, mediaType: string): ImageSize[] {
  const sizes = readImageSizes(bytes, mediaType);
  sizes.forEach((size, i) => checkImageSize(size, sizes.length > 1 ? `page ${i + 1} of the image` : 'the image'));
  return sizes;
}

function megapixels(pixels: number): string {
  return (pixels / 1e6).toFixed(1).replace(/\.0$/, '');
}
