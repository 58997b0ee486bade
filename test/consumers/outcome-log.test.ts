import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decisionSupportConsumer } from '../../src/consumers/decision-support/consumer.js';
import { processDocumentConsumer } from '../../src/consumers/documents/process-document.js';
import type { Consumer } from '../../src/events/consumer.js';
import type { Job } from '../../src/events/queue/job.js';
import { createLogger } from '../../src/log.js';
import { LocalExtractor } from '../../src/providers/extraction/local-extractor.js';
import { LocalOcr } from '../../src/providers/ocr/local-ocr.js';
import { LocalStorage } from '../../src/providers/storage/local-storage.js';
import { sha256Hex } from '../../src/providers/storage/verified-read.js';
import { sampleLabReport, toPdf } from '../fixtures/documents.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('consumers: an info line per outcome, ids and counts only');

function capture() {
  const records: Record<string, unknown>[] = [];
  const log = createLogger('info', 'guardian-test', { stream: { write: (text: string) => void records.push(JSON.parse(text) as Record<string, unknown>) } });
  return { records, log };
}

/** The handler as the worker calls it; only the fields the handlers read are real. */
function run(consumer: Consumer, payload: Record<string, string>, log: ReturnType<typeof capture>['log']) {
  // A stand-in job: the handlers read payload and the retry counts, nothing else.
  const job = { id: randomUUID(), type: consumer.type, payload, retryCount: 0, maxRetries: 3 } as unknown as Job<unknown>;
  return consumer.handle(job, { signal: new AbortController().signal, log: log.child({ job_id: job.id, type: job.type }) });
}

test('a processed document and a duplicate are an info line each; alerts opening is one', async ({ db }) => {
  const owner = await createUser(db.pool);
  const profile = await createProfile(db.pool, owner);
  const storage = new LocalStorage(await mkdtemp(path.join(tmpdir(), 'guardian-storage-')));
  const documents = processDocumentConsumer({
    pool: db.pool,
    storage,
    ocr: new LocalOcr({ maxPages: 3 }),
    extractor: new LocalExtractor(),
    settings: { maxBytes: 2 * 1024 * 1024, maxPages: 3 },
  });
  const bytes = await toPdf(sampleLabReport());
  const { records, log } = capture();
  const ids: string[] = [];
  for (const name of ['labs.pdf', 'labs-again.pdf']) {
    const id = randomUUID();
    const storagePath = `${profile}/${id}/${name}`;
    await storage.put({ profileId: profile, path: storagePath }, bytes, 'application/pdf');
    await db.pool.query(
      `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, status, uploaded_by)
       values ($1::uuid, $2::uuid, $3::text, $4::text, 'application/pdf', $5::bigint, $6::text, 'queued', $7::uuid)`,
      [id, profile, storagePath, name, bytes.length, sha256Hex(bytes), owner],
    );
    await run(documents, { document_id: id }, log);
    ids.push(id);
  }
  const [processed, duplicate] = records;
  assert.equal(Object.keys(processed!).filter((k) => !['level', 'time', 'service', 'name'].includes(k)).sort(), ['document_id', 'job_id', 'msg', 'pages', 'records', 'type']);
  assert.equal([processed!.msg, processed!.document_id, processed!.pages], ['document processed', ids[0], 1]);
  assert.ok(Object.values(processed!.records as Record<string, number>).every((n) => typeof n === 'number'), 'record counts, not records');
  assert.equal([duplicate!.msg, duplicate!.document_id, duplicate!.duplicate_of], ['document is a duplicate', ids[1], ids[0]]);

  const rules = capture();
  await run(decisionSupportConsumer({ pool: db.pool }), { profile_id: profile }, rules.log);
  const opened = rules.records.find((r) => r.msg === 'alerts opened');
  assert.ok(opened, 'the lab report opens alerts');
  assert.equal(Object.keys(opened!).filter((k) => !['level', 'time', 'service', 'name'].includes(k)).sort(), ['job_id', 'msg', 'opened', 'profile_id', 'resolved', 'type']);
  assert.ok((opened!.opened as number) > 0);

  // Evaluated again with nothing new: nothing opens, so no line.
  const again = capture();
  await run(decisionSupportConsumer({ pool: db.pool }), { profile_id: profile }, again.log);
  assert.equal(again.records.filter((r) => r.msg === 'alerts opened'), []);
});

test.run();
