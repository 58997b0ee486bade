/**
 * OCR with Google Cloud Vision (DOCUMENT_TEXT_DETECTION) through the official
 * @google-cloud/vision client, over its REST transport (google-gax "fallback"):
 * plain HTTPS/JSON, so errors carry HTTP statuses and the local stand-in in the
 * tests speaks the same protocol as production.
 *
 * Images go to images:annotate (one page). PDFs and TIFFs go to the synchronous
 * files:annotate, which reads at most 5 pages per request: the pages are asked for
 * in groups of 5, in order, and onPage is called for each page as its group lands.
 *
 * Retries (408, 429, 5xx, no answer) and the per-request timeout are the HTTP
 * transport's own (gaxios, under google-auth-library): Vision calls are idempotent.
 * gax's gRPC-code retries do not see REST failures and are switched off per call.
 *
 * Error messages carry statuses and codes only, never Vision's text or the document's.
 */
import vision, { type protos } from '@google-cloud/vision';
import { checkImageFile } from './image-limits.js';
import { openPdf } from './pdf.js';
import type { OcrInput, OcrPage, OcrProvider, OcrResult } from './types.js';
import { DOCUMENT_MEDIA_TYPES, isImageType, isSupportedMediaType } from '../media-types.js';
import { InputRejectedError, ProviderFailedError } from '../provider-error.js';

type VisionClient = InstanceType<typeof vision.ImageAnnotatorClient>;
type ImageResponse = protos.google.cloud.vision.v1.IAnnotateImageResponse;

export interface GoogleVisionOcrOptions {
  /** A service account key (the JSON key file's fields). Neither this nor keyFilename: Application Default Credentials. */
  credentials?: { client_email: string; private_key: string; project_id?: string; private_key_id?: string };
  /** Path to a service account JSON key file. */
  keyFilename?: string;
  /** Host of the API: vision.googleapis.com, eu-vision.googleapis.com, or a stand-in. */
  apiEndpoint?: string;
  /** Defaults to 443. */
  port?: number;
  /** 'http' only for a local stand-in. Defaults to 'https'. */
  protocol?: 'https' | 'http';
  /** Per HTTP attempt, in ms. Default 120 000. */
  timeoutMs?: number;
  /** Retries after the first attempt (408, 429, 5xx, no answer). Default 3. */
  maxRetries?: number;
  /** Refuse longer documents (too_many_pages), as the local OCR does. */
  maxPages?: number;
  /** BCP-47 hints, e.g. ['en', 'de']; empty lets Vision detect the language. */
  languageHints?: string[];
}

/** The sync files:annotate limit. */
const PAGES_PER_REQUEST = 5;
const FEATURES = [{ type: 'DOCUMENT_TEXT_DETECTION' as const }];
/** Vision answers these per page for input it cannot read (google.rpc.Code INVALID_ARGUMENT). */
const INVALID_ARGUMENT = 3;

export class GoogleVisionOcr implements OcrProvider {
  readonly name = 'google-vision';
  private readonly client: VisionClient;
  private readonly engine = { name: 'google-vision', version: 'v1' };

  constructor(private readonly options: GoogleVisionOcrOptions = {}) {
    const maxRetries = options.maxRetries ?? 3;
    this.client = new vision.ImageAnnotatorClient({
      fallback: true, // REST, not gRPC
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
      // For the auth client google-auth-library builds (key, key file or ADC): its
      // HTTP transport makes the API requests too.
      clientOptions: {
        transporterOptions: {
          timeout: options.timeoutMs ?? 120_000,
          retryConfig: {
            retry: maxRetries,
            noResponseRetries: maxRetries,
            httpMethodsToRetry: ['POST'],
            statusCodesToRetry: [
              [408, 408],
              [429, 429],
              [500, 599],
            ],
          },
        },
      },
    });
  }

  async recognize(input: OcrInput): Promise<OcrResult> {
    input.signal?.throwIfAborted();
    // The local OCR's pixel bounds, before anything is sent: a document gets the same
    // answer from either provider (a PDF's images are checked by openPdf).
    if (!isSupportedMediaType(input.mediaType)) throw new InputRejectedError('unsupported_media_type', `${input.mediaType} is not a supported document type`);
    if (isImageType(input.mediaType)) checkImageFile(input.bytes, input.mediaType);
    // Paged files (PDF, TIFF) go to files:annotate, single images to images:annotate.
    if (DOCUMENT_MEDIA_TYPES[input.mediaType].paged) return { pages: await this.file(input), engine: this.engine };
    return { pages: [await this.image(input)], engine: this.engine };
  }

  /** Releases the client's connections. */
  close(): Promise<void> {
    return this.client.close();
  }

  private async image(input: OcrInput): Promise<OcrPage> {
    const [batch] = await this.call(
      () =>
        this.client.batchAnnotateImages(
          { requests: [{ image: { content: toBuffer(input.bytes) }, features: FEATURES, imageContext: this.imageContext() }] },
          { retry: null },
        ),
      input.signal,
    );
    const page = toPage(1, batch.responses?.[0]);
    await input.onPage?.(1, 1);
    return page;
  }

  private async file(input: OcrInput): Promise<OcrPage[]> {
    const content = toBuffer(input.bytes);
    // A PDF's page count is read locally (and a corrupt or encrypted one refused
    // before any request); a TIFF's comes with Vision's first answer.
    let total = input.mediaType === 'application/pdf' ? await pdfPageCount(input.bytes) : undefined;
    this.checkPageCount(total);
    const pages: OcrPage[] = [];
    for (let first = 1; total === undefined || first <= total; first += PAGES_PER_REQUEST) {
      input.signal?.throwIfAborted();
      // Without a known total, an empty list asks for the first 5 pages.
      const wanted = total === undefined ? [] : range(first, Math.min(first + PAGES_PER_REQUEST - 1, total));
      const [batch] = await this.call(
        () =>
          this.client.batchAnnotateFiles(
            {
              requests: [
                {
                  inputConfig: { content, mimeType: input.mediaType },
                  features: FEATURES,
                  imageContext: this.imageContext(),
                  pages: wanted,
                },
              ],
            },
            { retry: null },
          ),
        input.signal,
      );
      const file = batch.responses?.[0];
      if (!file) throw new ProviderFailedError('ocr_failed', 'Google Vision answered without a file response');
      failOnStatus(file.error, wanted.length > 0 ? `pages ${wanted[0]}-${wanted.at(-1)}` : 'the file');
      if (total === undefined) {
        total = file.totalPages || (file.responses?.length ?? 0);
        this.checkPageCount(total);
      }
      const responses = file.responses ?? [];
      const expected = wanted.length > 0 ? wanted : range(first, Math.min(first + PAGES_PER_REQUEST - 1, total));
      const batchPages = responses.map((response, i) => toPage(response.context?.pageNumber || expected[i] || first + i, response));
      batchPages.sort((a, b) => a.page - b.page);
      if (batchPages.map((p) => p.page).join() !== expected.join()) {
        throw new ProviderFailedError('ocr_failed', `Google Vision answered ${batchPages.length} of pages ${expected[0]}-${expected.at(-1)}`);
      }
      for (const page of batchPages) {
        pages.push(page);
        await input.onPage?.(pages.length, total);
      }
    }
    return pages;
  }

  private imageContext(): protos.google.cloud.vision.v1.IImageContext | undefined {
    return this.options.languageHints?.length ? { languageHints: this.options.languageHints } : undefined;
  }

  private checkPageCount(total: number | undefined): void {
    const { maxPages } = this.options;
    if (total !== undefined && maxPages !== undefined && total > maxPages) {
      throw new InputRejectedError('too_many_pages', `the document has ${total} pages; the limit is ${maxPages}`);
    }
  }

  /**
   * Runs one API call, sorting its failure for the job queue. The call's promise
   * cannot be cancelled through the generated client, so an abort rejects at once
   * and the request itself ends at its timeout.
   */
  private async call<T>(run: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    signal?.throwIfAborted();
    const request = run().catch((error: unknown) => {
      throw visionError(error, this.options.timeoutMs ?? 120_000);
    });
    if (!signal) return request;
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    request.catch(() => {}); // rejected after an abort: nobody waits for it any more
    try {
      return await Promise.race([request, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * The page's text and confidence: Vision's page confidence where it gives one,
 * else the mean of its blocks' confidences; 0 for a page without text.
 */
function toPage(page: number, response: ImageResponse | undefined): OcrPage {
  failOnStatus(response?.error, `page ${page}`);
  const annotation = response?.fullTextAnnotation;
  const scores = (annotation?.pages ?? []).map((p) => {
    if (p.confidence) return p.confidence;
    const blocks = (p.blocks ?? []).map((b) => b.confidence ?? 0);
    return blocks.length > 0 ? mean(blocks) : 0;
  });
  const text = annotation?.text ?? '';
  return { page, text, confidence: text.trim() === '' || scores.length === 0 ? 0 : mean(scores), source: 'ocr' };
}

/** A google.rpc.Status in a response: INVALID_ARGUMENT is input Vision cannot read. */
function failOnStatus(status: protos.google.rpc.IStatus | null | undefined, where: string): void {
  if (!status?.code) return;
  if (status.code === INVALID_ARGUMENT) throw new InputRejectedError('image_unreadable', `Google Vision cannot read ${where}`);
  throw new ProviderFailedError('ocr_failed', `Google Vision failed on ${where} (code ${status.code})`);
}

/** What is left after the transport's retries: 4xx other than 408/429 are permanent. */
function visionError(error: unknown, timeoutMs: number): Error {
  if (error instanceof InputRejectedError || error instanceof ProviderFailedError) return error;
  const status = httpStatus(error);
  if (status === undefined) {
    const timedOut = /abort|timeout/i.test(`${(error as Error)?.name} ${(error as Error)?.message} ${(error as { code?: unknown })?.code}`);
    return timedOut
      ? new ProviderFailedError('ocr_timeout', `Google Vision did not answer within ${timeoutMs} ms`)
      : new ProviderFailedError('ocr_unavailable', 'Google Vision cannot be reached');
  }
  if (status === 408 || status === 429 || status >= 500) return new ProviderFailedError('ocr_unavailable', `Google Vision answered ${status}`);
  return new InputRejectedError('ocr_rejected', `Google Vision answered ${status}`);
}

/** The HTTP status of a failed REST call (a GaxiosError), if it got an answer. */
function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { response, status } = error as { response?: { status?: unknown }; status?: unknown };
  const value = response?.status ?? status;
  return typeof value === 'number' && value >= 100 && value < 600 ? value : undefined;
}

async function pdfPageCount(bytes: Uint8Array): Promise<number> {
  const pdf = await openPdf(bytes);
  try {
    return pdf.pages;
  } finally {
    await pdf.close();
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
