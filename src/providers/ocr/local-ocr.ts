/**
 * The offline OCR: a PDF page's own text layer where it has one (exact, instant),
 * else the page rendered and read by tesseract; images go to tesseract directly,
 * once their header shows they are within the pixel bounds (image-limits.ts).
 */
import { checkImageFile } from './image-limits.js';
import { isImageType, sniffMediaType } from '../media-types.js';
import { openPdf } from './pdf.js';
import { recognizeImage, TESSERACT_VERSION } from './tesseract.js';
import type { OcrInput, OcrPage, OcrProvider, OcrResult } from './types.js';
import { InputRejectedError } from '../provider-error.js';

/** A page with fewer visible characters than this is treated as a scan. */
const MIN_TEXT_LAYER_CHARS = 20;


export class LocalOcr implements OcrProvider {
  readonly name = 'local';

  constructor(private readonly options: { maxPages: number }) {}

  async recognize(input: OcrInput): Promise<OcrResult> {
    const engine = { name: 'local', version: `pdfjs+tesseract.js ${TESSERACT_VERSION}` };
    if (input.mediaType === 'application/pdf') return { pages: await this.pdf(input), engine };
    if (isImageType(input.mediaType)) {
      // tesseract.js decodes the image itself, in WebAssembly: a malformed upload is an
      // error there, not a crash of the process (a native decoder segfaulted on a
      // truncated WebP in our tests).
      if (sniffMediaType(input.bytes) !== input.mediaType) {
        throw new InputRejectedError('image_unreadable', `the file is not a readable ${input.mediaType} image`);
      }
      // Before tesseract sees it: it would try to hold every pixel the header declares.
      checkImageFile(input.bytes, input.mediaType);
      const { text, confidence } = await recognizeImage(input.bytes).catch(() => {
        throw new InputRejectedError('image_unreadable', `the ${input.mediaType} image cannot be decoded`);
      });
      await input.onPage?.(1, 1);
      return { pages: [{ page: 1, text, confidence, source: 'ocr' }], engine };
    }
    throw new InputRejectedError('unsupported_media_type', `${input.mediaType} is not a supported document type`);
  }

  private async pdf(input: OcrInput): Promise<OcrPage[]> {
    const pdf = await openPdf(input.bytes);
    try {
      if (pdf.pages > this.options.maxPages) {
        throw new InputRejectedError('too_many_pages', `the PDF has ${pdf.pages} pages; the limit is ${this.options.maxPages}`);
      }
      const pages: OcrPage[] = [];
      for (let page = 1; page <= pdf.pages; page++) {
        input.signal?.throwIfAborted();
        const layer = await pdf.text(page);
        if (layer.replace(/\s/g, '').length >= MIN_TEXT_LAYER_CHARS) {
          pages.push({ page, text: layer, confidence: 1, source: 'text-layer' });
        } else {
          const { text, confidence } = await recognizeImage(await pdf.render(page));
          pages.push({ page, text, confidence, source: 'ocr' });
        }
        await input.onPage?.(page, pdf.pages);
      }
      return pages;
    } finally {
      await pdf.close();
    }
  }
}
