/**
 * `npm run bench:documents`: the document pipeline with the offline providers, on
 * real Postgres (DATABASE_URL or the embedded one, in a throwaway database).
 *
 *   text   one-page text-layer PDF lab reports, job claim → records committed
 *   image  one-page photo-like PNG of the same reports (tesseract)
 *   load   100 documents enqueued at once, processed by one worker; peak RSS
 *   hostile  the hostile set (decompression bombs in PNG, TIFF, WebP, JPEG, PDF; a
 *          14400 pt page) processed by `npm run worker`'s entry point in a child
 *          process: its peak RSS (VmHWM, goal ≤ 1,024 MB) and how many failed with
 *          their reason code
 *   direct  a direct upload to Storage (the row, then the object as Storage inserts it):
 *          upload complete → job queued (goal p99 ≤ 1,000 ms)
 *
 * Last line: {"text_p50_ms", "image_p50_ms", "peak_rss_mb", …, "hostile_peak_rss_mb", "direct_upload_to_job_ms"}. Not part of `npm test`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { processDocument, processDocumentConsumer, type DocumentPipeline } from '../src/consumers/documents/process-document.js';
import { enqueue } from '../src/events/queue/enqueue.js';
import { Worker } from '../src/events/worker.js';
import { asUser, withCaller } from '../src/db/as-caller.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/log.js';
import { LocalExtractor } from '../src/providers/extraction/local-extractor.js';
import { LocalOcr } from '../src/providers/ocr/local-ocr.js';
import { terminateTesseract } from '../src/providers/ocr/tesseract.js';
import { LocalStorage } from '../src/providers/storage/local-storage.js';
import { sha256Hex } from '../src/providers/storage/verified-read.js';
import { labelledSet, toPdf, toPng } from '../test/fixtures/documents.js';
import { hostileSet } from '../test/fixtures/hostile.js';
import { startWatchedWorker } from '../test/helpers/watched-worker.js';
import { percentile, round, table, waitFor } from './stats.js';
import { throwawayDatabase } from './throwaway-database.js';
import { JOB_TYPES } from '../src/events/job-types.js';

const SAMPLES = Number(process.argv[2] ?? 20);
const LOAD = 100;
/** The hostile worker is killed past this, so a regression cannot take the machine's memory. */
const HOSTILE_KILL_AT_MB = 3072;

const config = loadConfig();
// Errors only: dropping the throwaway database at the end ends its connections on purpose.
const log = createLogger('error', 'bench');
const database = await throwawayDatabase(config, log);
const url = database.url;
const pool = createPool(url, 10, log);
const storageDir = await mkdtemp(path.join(tmpdir(), 'guardian-bench-storage-'));

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

// Printed last, after clean-up, so nothing can follow it.
let summary: string | undefined;
try {
  const owner = (await pool.query<{ id: string }>(`insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', 'bench@example.test') returning id`)).rows[0]!.id;
  const profile = (await pool.query<{ id: string }>(`insert into public.profiles (owner_id, display_name, relationship) values ($1::uuid, 'Bench', 'self') returning id`, [owner])).rows[0]!.id;
  const deps: DocumentPipeline = {
    pool,
    storage: new LocalStorage(storageDir),
    ocr: new LocalOcr({ maxPages: config.documents.maxPages }),
    extractor: new LocalExtractor(),
    settings: config.documents,
  };
  const docs = labelledSet(60, 11).filter((d) => d.lines.length === 1);

  const upload = async (bytes: Uint8Array, mediaType: string, name: string) => {
    const id = randomUUID();
    const storagePath = `${profile}/${id}/${name}`;
    await deps.storage.put({ profileId: profile, path: storagePath }, bytes, mediaType);
    await pool.query(
      `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, status)
       values ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::bigint, $7::text, 'queued')`,
      [id, profile, storagePath, name, mediaType, bytes.length, sha256Hex(bytes)],
    );
    return id;
  };

  // Claim → committed: time the consumer's handler as the worker runs it.
  const timed = async (files: { bytes: Uint8Array; type: string; name: string }[]) => {
    const durations: number[] = [];
    const consumer = processDocumentConsumer(deps);
    const worker = new Worker({
      pool,
      databaseUrl: url,
      consumers: [{
        ...consumer,
        concurrency: 1,
        handle: async (job, context) => {
          const started = performance.now();
          const result = await consumer.handle(job, context);
          durations.push(performance.now() - started);
          return result;
        },
      }],
      settings: { ...config.jobs, pollIntervalMs: 200 },
      log,
    });
    await worker.start();
    for (const f of files) {
      const id = await upload(f.bytes, f.type, f.name);
      const before = durations.length;
      await enqueue(pool, JOB_TYPES.processDocument, { document_id: id });
      await waitFor(() => durations.length > before, 5);
    }
    await worker.stop(1000);
    return durations.sort((a, b) => a - b);
  };

  // Warm up pdfjs and tesseract once, outside the measurements.
  await processDocument(deps, { payload: { document_id: await upload(await toPdf(docs[0]!), 'application/pdf', 'warm.pdf') } });
  await processDocument(deps, { payload: { document_id: await upload(await toPng(docs[0]!), 'image/png', 'warm.png') } });

  const sample = docs.slice(0, SAMPLES);
  const text = await timed(await Promise.all(sample.map(async (d, i) => ({ bytes: await toPdf(d), type: 'application/pdf', name: `t${i}.pdf` }))));
  const image = await timed(await Promise.all(sample.slice(0, Math.min(10, SAMPLES)).map(async (d, i) => ({ bytes: await toPng(d), type: 'image/png', name: `i${i}.png` }))));

  // Load: 100 documents (90 text PDFs, 10 images) enqueued at once.
  peakRss = process.memoryUsage().rss;
  const loadIds: string[] = [];
  for (let i = 0; i < LOAD; i++) {
    const d = docs[i % docs.length]!;
    const image = i % 10 === 9;
    // A distinct first line keeps each file unique (no duplicate short-cut).
    const unique = { ...d, lines: [[`Ref ${i}-${randomUUID()}`, ...d.lines[0]!]] };
    loadIds.push(await upload(image ? await toPng(unique) : await toPdf(unique), image ? 'image/png' : 'application/pdf', `l${i}`));
  }
  const worker = new Worker({ pool, databaseUrl: url, consumers: [processDocumentConsumer(deps, { concurrency: 4 })], settings: config.jobs, log });
  const loadStarted = performance.now();
  await worker.start();
  for (const id of loadIds) await enqueue(pool, JOB_TYPES.processDocument, { document_id: id });
  await waitFor(async () => (await pool.query(`select 1 from public.documents where id = any($1::uuid[]) and status not in ('processed', 'failed')`, [loadIds])).rowCount === 0, 50);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const failed = (await pool.query(`select count(*)::int as n from public.documents where id = any($1::uuid[]) and status = 'failed'`, [loadIds])).rows[0].n as number;
  await worker.stop(1000);

  // Hostile set: its own worker process (the production entry point), so its peak
  // RSS is that of the process that processed these files and nothing else.
  const hostile = await hostileSet();
  const hostileIds: { id: string; code: string }[] = [];
  for (const f of hostile) hostileIds.push({ id: await upload(f.bytes, f.mediaType, f.name), code: f.code });
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, STORAGE_DIR: storageDir, OCR_PROVIDER: 'local', EXTRACTION_PROVIDER: 'local', LOG_LEVEL: 'error' };
  for (const key of ['SUPABASE_URL', 'SUPABASE_SERVICE_ROLE_KEY']) delete env[key];
  const hostileWorker = startWatchedWorker({ projectRoot: config.projectRoot, env, killAtMb: HOSTILE_KILL_AT_MB });
  const hostileStarted = performance.now();
  for (const { id } of hostileIds) await enqueue(pool, JOB_TYPES.processDocument, { document_id: id });
  const hostileDone = async () =>
    (await pool.query(`select 1 from public.documents where id = any($1::uuid[]) and status not in ('processed', 'failed')`, [hostileIds.map((h) => h.id)])).rowCount === 0;
  await waitFor(async () => hostileWorker.exited() || (await hostileDone()), 50);
  const hostileSeconds = (performance.now() - hostileStarted) / 1000;
  const hostileKilled = hostileWorker.killedForMemory();
  const hostilePeak = await hostileWorker.stop();
  const codes = (await pool.query<{ id: string; error_code: string | null }>(`select id, error_code from public.documents where id = any($1::uuid[])`, [hostileIds.map((h) => h.id)])).rows;
  const refused = hostileIds.filter((h) => codes.find((c) => c.id === h.id)?.error_code === h.code).length;

  // A direct upload to Storage: the client inserts its document row, then Storage
  // inserts the object's row (as the user) once the bytes are in. Timed from that
  // commit, the upload complete, to the document's job being there for a worker.
  const directToJob: number[] = [];
  for (let i = 0; i < 50; i++) {
    const id = randomUUID();
    const objectPath = `${profile}/${id}/direct-${i}.pdf`;
    await withCaller(pool, asUser(owner), (c) => c.query(
      `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256)
       values ($1::uuid, $2::uuid, $3::text, $4::text, 'application/pdf', 1000, repeat('0', 64))`,
      [id, profile, objectPath, `direct-${i}.pdf`],
    ));
    const uploaded = performance.now();
    await withCaller(pool, asUser(owner), (c) => c.query(`insert into storage.objects (bucket_id, name, owner_id) values ('documents', $1::text, $2::text)`, [objectPath, owner]));
    await waitFor(async () => ((await pool.query(`select 1 from public.job_queue where type = 'process_document' and dedupe_key = $1::text`, [id])).rowCount ?? 0) > 0, 1);
    directToJob.push(performance.now() - uploaded);
  }
  directToJob.sort((a, b) => a - b);

  table(
    ['offline providers', 'p50 ms', 'p95 ms', 'n'],
    [
      ['one-page text PDF, claim → committed', round(percentile(text, 50)), round(percentile(text, 95)), text.length],
      ['one-page image (OCR), claim → committed', round(percentile(image, 50)), round(percentile(image, 95)), image.length],
    ],
  );
  table(['direct upload to Storage (row, then object)', 'p50 ms', 'p99 ms', 'n'], [
    ['upload complete → job queued', round(percentile(directToJob, 50), 1), round(percentile(directToJob, 99), 1), directToJob.length],
  ]);
  console.log(`\n${LOAD} documents at once: ${round(loadSeconds, 1)} s, ${failed} failed, peak RSS ${round(peakRss / 1048576)} MB`);
  console.log(
    `hostile set, ${hostile.length} files in a worker process: ${round(hostileSeconds, 1)} s, ${refused} refused with their reason code, ` +
      `peak RSS ${round(hostilePeak)} MB${hostileKilled ? ` (killed past ${HOSTILE_KILL_AT_MB} MB)` : ''}`,
  );
  summary = JSON.stringify({
      text_p50_ms: round(percentile(text, 50)),
      text_p95_ms: round(percentile(text, 95)),
      image_p50_ms: round(percentile(image, 50)),
      image_p95_ms: round(percentile(image, 95)),
      peak_rss_mb: round(peakRss / 1048576),
      load_documents: LOAD,
      load_seconds: round(loadSeconds, 1),
      load_failed: failed,
      hostile_documents: hostile.length,
      hostile_refused: refused,
      hostile_peak_rss_mb: round(hostilePeak),
      direct_upload_to_job_ms: round(percentile(directToJob, 99), 1),
    });
} finally {
  clearInterval(sampler);
  await terminateTesseract();
  await pool.end();
  await database.drop();
  await rm(storageDir, { recursive: true, force: true });
  if (summary) console.log(summary);
}
