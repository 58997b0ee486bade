/**
 * tesseract.js, fully offline: the English model comes from the npm registry
 * (@tesseract.js-data/eng, LSTM "best_int"), never downloaded at run time. One
 * worker per process, started on first use (~0.4 s); recognitions are serialised
 * through it, since a second worker would only compete for the same two cores.
 *
 * The worker is recycled (terminated; the next recognition starts a new one) to
 * keep the process's memory bounded. Its WebAssembly heap grows to fit the largest
 * image it has read and never shrinks: measured on Node 20, the process stays at
 * ~300 MB over 40 pages of 2–3.5 MP, but holds 1.2 GB after one 50 MP photo until
 * the worker ends, and then drops back to ~170 MB (the thread gives its heap back
 * within ~60 ms of terminate(), which does not wait for it). So the worker is ended
 * - right after an image over RECYCLE_ABOVE_PIXELS (the heap it grew is not kept
 *   for the everyday pages that follow),
 * - after a failed recognition (its state is unknown),
 * - every RECYCLE_EVERY recognitions (a bound on slow growth; none was seen).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Worker } from 'tesseract.js';
import { readImageSizes } from './image-limits.js';
import { sniffMediaType } from '../media-types.js';
import { serial } from './serial.js';

const require = createRequire(import.meta.url);
const langPath = path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');

/** A page drawn at scale 2 is ~2 MP, A3 4 MP: the worker that read one is kept for the next. */
export const RECYCLE_ABOVE_PIXELS = 4_200_000;
/** Worker start costs ~0.4 s, a page ~1 s: recycling this often costs under 0.2 %. */
export const RECYCLE_EVERY = 250;

let worker: Promise<Worker> | undefined;
let recognitions = 0;
let started = 0;
const oneAtATime = serial();

async function getWorker(): Promise<Worker> {
  worker ??= (async () => {
    const { createWorker, OEM } = await import('tesseract.js');
    started++;
    return createWorker('eng', OEM.LSTM_ONLY, {
      langPath,
      gzip: true,
      cacheMethod: 'none',
      logger: () => {},
      // Without a handler tesseract.js rethrows a failed job's error as an uncaught
      // exception (killing the process); the job's own promise rejects anyway.
      errorHandler: () => {},
    });
  })();
  return worker;
}

/** Pixels of the image, from its header; undefined when it cannot be told (then the worker is not kept). */
function pixelsOf(image: Uint8Array): number | undefined {
  const type = sniffMediaType(image);
  try {
    return type ? Math.max(...readImageSizes(image, type).map((s) => s.width * s.height)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads one image (PNG, JPEG, TIFF, WebP, BMP). Callers check its size first
 * (image-limits.ts): tesseract would try to hold whatever the header declares.
 */
export async function recognizeImage(image: Uint8Array): Promise<{ text: string; confidence: number }> {
  return oneAtATime(async () => {
    const pixels = pixelsOf(image);
    let recycle = pixels === undefined || pixels > RECYCLE_ABOVE_PIXELS || ++recognitions >= RECYCLE_EVERY;
    try {
      const w = await getWorker();
      const { data } = await w.recognize(Buffer.from(image.buffer, image.byteOffset, image.byteLength));
      return { text: data.text, confidence: Math.max(0, Math.min(1, data.confidence / 100)) };
    } catch (error) {
      recycle = true;
      throw error;
    } finally {
      // Inside the queue: the next recognition waits for the old worker to be gone.
      if (recycle) await terminateTesseract().catch(() => undefined);
    }
  });
}

export async function terminateTesseract(): Promise<void> {
  const w = worker;
  worker = undefined;
  recognitions = 0;
  if (w) await (await w).terminate();
}

/** Workers started in this process: lets tests see the recycling. */
export function tesseractWorkersStarted(): number {
  return started;
}

export const TESSERACT_VERSION: string = (require('tesseract.js/package.json') as { version: string }).version;
