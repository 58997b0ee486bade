/**
 * Every image a PDF holds, sized before pdf.js decodes any of them.
 *
 * pdf.js's own `maxImageSize` is not enough on its own (each gap measured on a
 * PDF made by test/fixtures/hostile.ts, pdfjs-dist 4.10):
 * - it drops an oversized image silently, so a scan made of one becomes a blank
 *   page and the document "no_text_found" instead of saying why;
 * - it looks at the image's dictionary only: a 10 × 10 image whose soft mask is
 *   20000 × 20000 took the process past 4 GB;
 * - a DCT (JPEG) image is decoded at the size in its own JPEG frame header: a
 *   100 × 100 image whose JPEG says 30000 × 30000 took 2.1 GB.
 * So every image XObject in the file (soft masks, masks, images inside forms,
 * patterns, fonts and annotations are all image XObjects) is checked by its
 * dictionary's size and, where its data is a JPEG or JPEG 2000 file as it stands,
 * by that file's header too. The whole file is scanned rather than what each page
 * draws: resources can be inherited and nested, and an unused giant image in an
 * upload is no loss to refuse.
 *
 * pdf-lib's parser reads the objects without decoding any image. It would decode
 * every object stream and cross-reference stream in full, where pdf.js decodes only
 * what it reads: a flate bomb in an object stream nothing refers to would then be
 * inflated by this scan alone. So the scan parses a private copy in which those two
 * type names are renamed (hideDecodedStreams): pdf-lib keeps them as plain streams.
 * Image XObjects are streams, and streams never live inside object streams, so no
 * image is hidden by this; only an indirect Width/Height stored in an object stream
 * goes unread (pdf.js's maxImageSize still applies to it). pdf-lib warns on stderr
 * when it skips an object it cannot parse (positions and object numbers, no content).
 */
import { PDFArray, PDFName, PDFNumber, PDFParser, PDFRawStream, type PDFDict } from 'pdf-lib';
import { checkImageSize, readImageSizes } from './image-limits.js';
import { InputRejectedError } from '../provider-error.js';

const SUBTYPE = PDFName.of('Subtype');
const IMAGE = PDFName.of('Image');
const FILTER = PDFName.of('Filter');
/** Filters whose output is decoded by a codec reading its own header. */
const CODEC_TYPES = new Map([
  ['DCTDecode', 'image/jpeg'],
  ['DCT', 'image/jpeg'],
  ['JPXDecode', 'image/jp2'],
]);
/** Objects parsed between yields to the event loop, so a large file does not hold up heartbeats. */
const OBJECTS_PER_TICK = 1000;

/** A PDF name token spelling `word`, each character as itself or as a #xx escape (as pdf-lib decodes them). */
const nameToken = (word: string) => `/${[...word].map((c) => `(?:${c}|#${c.charCodeAt(0).toString(16)})`).join('')}`;
// Case-insensitive: renaming a few names pdf-lib would not have taken for these types costs nothing.
const DECODED_STREAM_TYPES = new RegExp(`${nameToken('ObjStm')}|${nameToken('XRef')}`, 'gi');

/** A copy of the file where no name reads ObjStm or XRef (same length, so every offset stays). */
function hideDecodedStreams(bytes: Uint8Array): Uint8Array {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return Buffer.from(latin1.replace(DECODED_STREAM_TYPES, (name) => `/${'x'.repeat(name.length - 1)}`), 'latin1');
}

/** Throws `image_too_large` for the first image over the bounds; `pdf_corrupt` if the objects cannot be read. */
export async function checkPdfImages(bytes: Uint8Array): Promise<void> {
  let objects;
  try {
    const parser = PDFParser.forBytesWithOptions(hideDecodedStreams(bytes), OBJECTS_PER_TICK, false, false);
    objects = (await parser.parseDocument()).enumerateIndirectObjects();
  } catch (error) {
    // pdf.js opened it, but what it holds cannot be sized: refuse rather than decode blind.
    throw new InputRejectedError('pdf_corrupt', `the PDF's objects cannot be read (${(error as Error)?.name ?? 'unknown error'})`);
  }
  for (const [, object] of objects) {
    if (!(object instanceof PDFRawStream) || object.dict.lookup(SUBTYPE) !== IMAGE) continue;
    const { dict } = object;
    // pdf.js reads the abbreviations first, as in inline images.
    const width = number(dict, 'W') ?? number(dict, 'Width');
    const height = number(dict, 'H') ?? number(dict, 'Height');
    if (width !== undefined && height !== undefined) {
      checkImageSize({ width: Math.abs(width), height: Math.abs(height) }, 'an image in the PDF');
    }
    const codec = codecOf(dict);
    if (codec) {
      let sizes;
      try {
        sizes = readImageSizes(object.contents, codec);
      } catch {
        // Encrypted or damaged data: pdf.js cannot decode it either, and nothing is allocated for it.
        continue;
      }
      for (const size of sizes) checkImageSize(size, 'an image in the PDF');
    }
  }
}

function number(dict: PDFDict, key: string): number | undefined {
  const value = dict.lookup(PDFName.of(key));
  return value instanceof PDFNumber ? value.asNumber() : undefined;
}

/** The codec's media type when the stream's only filter is DCT or JPX (its bytes are then that file). */
function codecOf(dict: PDFDict): string | undefined {
  let filter = dict.lookup(FILTER);
  if (filter instanceof PDFArray) filter = filter.size() === 1 ? dict.context.lookup(filter.get(0)) : undefined;
  return filter instanceof PDFName ? CODEC_TYPES.get(filter.decodeText()) : undefined;
}
