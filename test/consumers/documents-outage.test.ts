import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processDocumentConsumer } from '../../src/consumers/documents/process-document.js';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { Worker } from '../../src/events/worker.js';
import { createLogger } from '../../src/log.js';
import { OpenAiExtractor } from '../../src/providers/extraction/openai-extractor.js';
import { LocalOcr } from '../../src/providers/ocr/local-ocr.js';
import { LocalStorage } from '../../src/providers/storage/local-storage.js';
import { sha256Hex } from '../../src/providers/storage/verified-read.js';
import { sampleLabReport, toPdf } from '../fixtures/documents.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { testSettings } from '../helpers/jobs.js';
import { inSequence, startStandIn } from '../helpers/stand-in-server.js';
import { databaseSuite, until } from '../helpers/suite.js';
import { JOB_TYPES } from '../../src/events/job-types.js';

const test = databaseSuite('process_document during a provider outage');
const completion = JSON.parse(readFileSync(new URL('../providers/recorded/openai-chat-completion.json', import.meta.url), 'utf8'));

test('an OpenAI outage is retried with backoff: the document waits as queued, then is processed', async ({ db }) => {
  // Two 503s, then the recorded answer; the client itself does not retry (maxRetries 0),
  // so each 503 fails a job attempt and the queue's backoff brings it back.
  const openai = await startStandIn(inSequence({ status: 503, body: { error: { message: 'overloaded' } } }, { status: 503, body: { error: { message: 'overloaded' } } }, { body: completion }));
  const storage = new LocalStorage(await mkdtemp(path.join(tmpdir(), 'guardian-storage-')));
  const owner = await createUser(db.pool);
  const profile = await createProfile(db.pool, owner);
  const worker = new Worker({
    pool: db.pool,
    databaseUrl: db.url,
    consumers: [
      processDocumentConsumer({
        pool: db.pool,
        storage,
        ocr: new LocalOcr({ maxPages: 5 }),
        extractor: new OpenAiExtractor({ apiKey: 'sk-test', model: 'gpt-4o-2024-08-06', baseURL: `${openai.url}/v1`, timeoutMs: 5000, maxRetries: 0 }),
        settings: { maxBytes: 5 * 1024 * 1024, maxPages: 5 },
      }),
    ],
    settings: testSettings({ completedRetentionHours: 24, pollIntervalMs: 200 }),
    log: createLogger('silent'),
  });
  try {
    const bytes = await toPdf(sampleLabReport());
    const id = randomUUID();
    const storagePath = `${profile}/${id}/labs.pdf`;
    await storage.put({ profileId: profile, path: storagePath }, bytes, 'application/pdf');
    await db.pool.query(
      `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, status)
       values ($1::uuid, $2::uuid, $3::text, 'labs.pdf', 'application/pdf', $4::bigint, $5::text, 'queued')`,
      [id, profile, storagePath, bytes.length, sha256Hex(bytes)],
    );
    const job = await enqueue(db.pool, JOB_TYPES.processDocument, { document_id: id }, { maxRetries: 3 });
    await worker.start();
    // After the first failed attempt the document is back to queued, not failed.
    await until(async () => (await db.pool.query('select retry_count from public.job_queue where id = $1::uuid', [job.id])).rows[0]?.retry_count === 1);
    assert.is((await db.pool.query('select status from public.documents where id = $1::uuid', [id])).rows[0].status, 'queued');
    const done = await until(async () => {
      const row = (await db.pool.query('select status, error_code from public.documents where id = $1::uuid', [id])).rows[0];
      return row?.status === 'processed' ? row : undefined;
    }, 20_000);
    assert.equal(done, { status: 'processed', error_code: null });
    assert.is(openai.requests.length, 3);
    // The document is marked processed by the handler; the job row is completed just after,
    // in the worker's own statement, so wait for it rather than read it once.
    const finished = await until(async () => {
      const row = (await db.pool.query('select status, retry_count from public.job_queue where id = $1::uuid', [job.id])).rows[0];
      return row?.status === 'processing' ? undefined : row;
    });
    assert.equal(finished, { status: 'completed', retry_count: 2 });
    const records = (await db.pool.query(`select count(*)::int as n from public.observations where source_document_id = $1::uuid and extractor = 'openai'`, [id])).rows[0].n;
    assert.ok(records > 0);
  } finally {
    await worker.stop(1000);
    await openai.close();
  }
});

test.run();
