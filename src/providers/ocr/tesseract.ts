/**
 * tesseract.js, fully offline: the English model comes from the npm registry
 * (@tesseract.js-data/eng, LSTM "best_int"), never downloaded at run time. One
 * worker per process, started on first use (~0.4 s) and reused; recognitions are
 * serialised through it, since a second worker would only compete for the same
 * two cores.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Worker } from 'tesseract.js';

const require = createRequire(import.meta.url);
const langPath = path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');

let worker: Promise<Worker> | undefined;
let queue: Promise<unknown> = Promise.resolve();

async function getWorker(): Promise<Worker> {
  worker ??= (async () => {
    const { createWorker, OEM } = await import('tesseract.js');
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

export async function recognizeImage(png: Uint8Array): Promise<{ text: string; confidence: number }> {
  const run = queue.then(async () => {
    const w = await getWorker();
    const { data } = await w.recognize(Buffer.from(png));
    return { text: data.text, confidence: Math.max(0, Math.min(1, data.confidence / 100)) };
  });
  queue = run.catch(() => undefined);
  return run;
}

export async function terminateTesseract(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await (await w).terminate();
}

export const TESSERACT_VERSION: string = (require('tesseract.js/package.json') as { version: string }).version;
