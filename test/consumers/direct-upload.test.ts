/**
 * A client that uploads straight to Storage and inserts its document row itself (both
 * allowed by the policies for a profile it manages) gets its document queued at once,
 * whichever half arrives second, not minutes later by the stranded-upload sweep.
 * Storage inserts the object row as the signed-in user, as here.
 */
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { JOB_TYPES } from '../../src/events/job-types.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('direct uploads to Storage');

const insertRow = (c: pg.PoolClient, id: string, profile: string) =>
  c.query(
    `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256)
     values ($1::uuid, $2::uuid, $2::text || '/' || $1::text || '/report.pdf', 'report.pdf', 'application/pdf', 1234, repeat('a', 64))`,
    [id, profile],
  );

const insertObject = (c: pg.PoolClient, id: string, profile: string) =>
  c.query(`insert into storage.objects (bucket_id, name, owner_id) values ('documents', $2::text || '/' || $1::text || '/report.pdf', auth.uid()::text)`, [id, profile]);

async function state(db: { pool: pg.Pool }, id: string) {
  const { rows: [doc] } = await db.pool.query<{ status: string }>('select status from public.documents where id = $1::uuid', [id]);
  const { rows: jobs } = await db.pool.query<{ type: string; status: string }>(
    `select type, status from public.job_queue where payload ->> 'document_id' = $1::text`,
    [id],
  );
  return { status: doc?.status, jobs };
}

test('the row first, then the file: the file queues it, in the same transaction', async ({ db }) => {
  const owner = await createUser(db.pool);
  const profile = await createProfile(db.pool, owner);
  const id = randomUUID();
  await db.asUser(owner, (c) => insertRow(c, id, profile));
  assert.equal(await state(db, id), { status: 'uploaded', jobs: [] });
  await db.asUser(owner, (c) => insertObject(c, id, profile));
  assert.equal(await state(db, id), { status: 'queued', jobs: [{ type: JOB_TYPES.processDocument, status: 'pending' }] });
});

test('the file first, then the row: the row queues it', async ({ db }) => {
  const owner = await createUser(db.pool);
  const profile = await createProfile(db.pool, owner);
  const id = randomUUID();
  await db.asUser(owner, (c) => insertObject(c, id, profile));
  await db.asUser(owner, (c) => insertRow(c, id, profile));
  assert.equal(await state(db, id), { status: 'queued', jobs: [{ type: JOB_TYPES.processDocument, status: 'pending' }] });
});

test('a row without its file, or a file without its row, queues nothing; nor does a file in another bucket', async ({ db }) => {
  const owner = await createUser(db.pool);
  const profile = await createProfile(db.pool, owner);
  const rowOnly = randomUUID();
  await db.asUser(owner, (c) => insertRow(c, rowOnly, profile));
  const fileOnly = randomUUID();
  await db.asUser(owner, (c) => insertObject(c, fileOnly, profile));
  await db.pool.query(`insert into storage.buckets (id, name) values ('other', 'other') on conflict do nothing`);
  await db.pool.query(`insert into storage.objects (bucket_id, name) values ('other', $1::text)`, [`${profile}/${rowOnly}/report.pdf`]);
  assert.equal(await state(db, rowOnly), { status: 'uploaded', jobs: [] });
  assert.equal((await state(db, fileOnly)).jobs, []);
});

test('a user cannot call the queueing functions: only the service and the triggers do', async ({ db }) => {
  const owner = await createUser(db.pool);
  const profile = await createProfile(db.pool, owner);
  const id = randomUUID();
  await db.asUser(owner, (c) => insertRow(c, id, profile));
  for (const fn of ['queue_upload', 'enqueue_processing']) {
    const error = await db.asUser(owner, (c) => c.query(`select private.${fn}($1::uuid)`, [id])).then(() => undefined, (e: { code?: string }) => e.code);
    assert.ok(error === '42501', `${fn}: ${error}`); // insufficient_privilege (schema or function)
  }
  assert.equal(await state(db, id), { status: 'uploaded', jobs: [] });
});

test.run();
