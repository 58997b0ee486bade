/**
 * Hostile uploads through the real pipeline: `npm run worker`'s own entry point
 * (src/worker.ts, local OCR and extraction) in a child process, its memory read from
 * /proc. Each document must fail at once with its reason code, its job must not be
 * retried, good documents must still be read (one carries a 2 GB object-stream
 * bomb that nothing should inflate), and the process's peak RSS (VmHWM) must stay
 * under 1 GB.
 *
 * Unbounded, this set takes the worker past 4 GB (the 20000² PDF image alone can
 * reach 5.8 GB). So that a regression fails fast instead of taking
 * the shared machine's memory, the child is killed once its RSS passes 1.5 GB.
 */
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { LocalStorage } from '../../src/providers/storage/local-storage.js';
import { sha256Hex } from '../../src/providers/storage/verified-read.js';
import { sampleLabReport, toPdf } from '../fixtures/documents.js';
import { hostileSet, pdfWithObjectStreamBomb } from '../fixtures/hostile.js';
import { config } from '../helpers/database.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite, until } from '../helpers/suite.js';
import { startWatchedWorker, type WatchedWorker } from '../helpers/watched-worker.js';
import { JOB_TYPES } from '../../src/events/job-types.js';

const PEAK_RSS_LIMIT_MB = 1024;
const KILL_AT_MB = 1536;

const test = databaseSuite<{ worker?: WatchedWorker; storageDir: string }>('hostile documents in a worker process');

test.before(async (ctx) => {
  ctx.storageDir = await mkdtemp(path.join(tmpdir(), 'guardian-hostile-'));
});

test.after(async (ctx) => {
  await ctx.worker?.stop(1000);
  await rm(ctx.storageDir, { recursive: true, force: true });
});

test('bombs in PNG, TIFF, WebP, JPEG and PDF, and a giant page: a reason code each, no retries, peak RSS under 1 GB', async (ctx) => {
  const { pool } = ctx.db;
  const owner = await createUser(pool);
  const profile = await createProfile(pool, owner);
  const storage = new LocalStorage(ctx.storageDir);
  const upload = async (bytes: Uint8Array, fileName: string, mediaType: string) => {
    const id = randomUUID();
    const storagePath = `${profile}/${id}/${fileName}`;
    await storage.put({ profileId: profile, path: storagePath }, bytes, mediaType);
    await pool.query(
      `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, status, uploaded_by)
       values ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::bigint, $7::text, 'queued', $8::uuid)`,
      [id, profile, storagePath, fileName, mediaType, bytes.length, sha256Hex(bytes), owner],
    );
    const job = await enqueue(pool, JOB_TYPES.processDocument, { document_id: id });
    return { id, jobId: job.id };
  };

  const uploads: { code: string; name: string; id: string; jobId: string }[] = [];
  for (const file of await hostileSet()) uploads.push({ code: file.code, name: file.name, ...(await upload(file.bytes, file.name, file.mediaType)) });
  const good = await upload(await toPdf(sampleLabReport()), 'labs.pdf', 'application/pdf');
  // Read normally: the 2 GB object stream it carries is never inflated (pdf.js does not read it, nor may the image scan).
  const carrier = await upload(await pdfWithObjectStreamBomb(await toPdf(sampleLabReport())), 'labs-object-stream-bomb.pdf', 'application/pdf');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: ctx.db.url,
    STORAGE_DIR: ctx.storageDir,
    OCR_PROVIDER: 'local',
    EXTRACTION_PROVIDER: 'local',
    LOG_LEVEL: 'warn',
    JOB_POLL_INTERVAL_MS: '200',
    JOB_COMPLETED_RETENTION_HOURS: '24',
  };
  for (const key of ['SUPABASE_URL', 'SUPABASE_SERVICE_ROLE_KEY']) delete env[key];
  const worker = (ctx.worker = startWatchedWorker({ projectRoot: config.projectRoot, env, killAtMb: KILL_AT_MB }));

  const ids = [...uploads.map((u) => u.id), good.id, carrier.id];
  const jobIds = [...uploads.map((u) => u.jobId), good.jobId, carrier.jobId];
  const outcome = await until(async () => {
    // A dead worker ends the wait at once (until() would retry a thrown error).
    if (worker.exited()) return 'exited' as const;
    const docs = await pool.query(`select count(*)::int as n from public.documents where id = any($1::uuid[]) and status in ('processed', 'failed')`, [ids]);
    const jobs = await pool.query(`select count(*)::int as n from public.job_queue where id = any($1::uuid[]) and status in ('completed', 'failed')`, [jobIds]);
    return docs.rows[0].n === ids.length && jobs.rows[0].n === ids.length ? ('settled' as const) : undefined;
  }, 60_000);
  if (outcome === 'exited') {
    const why = worker.killedForMemory() ? `passed ${KILL_AT_MB} MB and was killed` : `exited (${worker.child.exitCode ?? worker.child.signalCode})`;
    assert.unreachable(`the worker ${why}; peak RSS ≥ ${Math.round(worker.peakMb())} MB`);
  }
  const peak = await worker.stop();

  for (const u of uploads) {
    const doc = (await pool.query('select status, error_code, error from public.documents where id = $1::uuid', [u.id])).rows[0];
    assert.equal({ status: doc.status, error_code: doc.error_code }, { status: 'failed', error_code: u.code }, u.name);
    assert.ok(!doc.error.includes(u.name), 'the message carries sizes, not the document');
    const job = (await pool.query('select status, retry_count from public.job_queue where id = $1::uuid', [u.jobId])).rows[0];
    assert.equal(job, { status: 'failed', retry_count: 1 }, `${u.name} is not retried`);
  }
  for (const { id } of [good, carrier]) {
    assert.is((await pool.query('select status from public.documents where id = $1::uuid', [id])).rows[0].status, 'processed');
  }
  assert.ok(peak > 0, 'the peak was read');
  assert.ok(peak <= PEAK_RSS_LIMIT_MB, `the worker's peak RSS was ${Math.round(peak)} MB; the bound is ${PEAK_RSS_LIMIT_MB} MB`);
});

test.run();
