import * as assert from 'uvu/assert';
import { mkdtemp, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { suite } from 'uvu';
import { LocalStorage, TEMPORARY_FILE_MAX_AGE_MS } from '../../src/providers/storage/local-storage.js';
import { checkedObject, documentObjectPath, type ObjectRef } from '../../src/providers/storage/object-path.js';
import type { StorageError } from '../../src/providers/storage/storage-error.js';
import { SupabaseStorage } from '../../src/providers/storage/supabase-storage.js';
import { readVerified, sha256Hex } from '../../src/providers/storage/verified-read.js';
import { startStandIn, type StandIn } from '../helpers/stand-in-server.js';

const test = suite('file storage');
const bytes = new TextEncoder().encode('%PDF-1.7 synthetic report');
const profileId = 'a0000000-0000-4000-8000-00000000000f';
const otherProfile = '10000000-0000-4000-8000-000000000009';
const objectPath = `${profileId}/20000000-0000-4000-8000-000000000002/report.pdf`;
const object: ObjectRef = { profileId, path: objectPath };
const at = (path: string): ObjectRef => ({ profileId, path });

/**
 * Paths a document row could name (users insert rows through supabase-js) that must never
 * reach a file: traversal out of the profile's folder, other profiles, non-canonical forms.
 */
const HOSTILE_PATHS = [
  `${profileId}/../${otherProfile}/20000000-0000-4000-8000-000000000002/report.pdf`,
  `${profileId}/20000000-0000-4000-8000-000000000002/../../${otherProfile}/x/report.pdf`,
  `${otherProfile}/20000000-0000-4000-8000-000000000002/report.pdf`,
  `${profileId}/./20000000-0000-4000-8000-000000000002/report.pdf`,
  `${profileId}//report.pdf`,
  `${profileId}/20000000-0000-4000-8000-000000000002/..`,
  `${profileId}/20000000-0000-4000-8000-000000000002/.hidden.pdf`,
  `${profileId}/20000000-0000-4000-8000-000000000002/a/b.pdf`,
  `${profileId}/20000000-0000-4000-8000-000000000002/..%2f..%2fx.pdf`,
  `${profileId}/20000000-0000-4000-8000-000000000002/a\\..\\b.pdf`,
  `/${profileId}/20000000-0000-4000-8000-000000000002/report.pdf`,
  `${profileId.toUpperCase()}/20000000-0000-4000-8000-000000000002/report.pdf`,
  `${profileId}/not-a-uuid/report.pdf`,
  `${profileId}/20000000-0000-4000-8000-000000000002/report.pdf\u0000.png`,
  `${profileId}/20000000-0000-4000-8000-000000000002/`,
  '../../etc/passwd',
];

const code = async (work: Promise<unknown>) => work.then(() => 'ok', (e: StorageError) => e.code);

test('local storage writes, reads back and removes, and never leaves its root', async () => {
  const storage = new LocalStorage(await mkdtemp(path.join(tmpdir(), 'guardian-storage-')));
  await storage.put(object, bytes, 'application/pdf');
  assert.equal(await storage.get(object), bytes);
  assert.equal(await readVerified(storage, object, sha256Hex(bytes)), bytes);
  assert.is(await code(readVerified(storage, object, 'f'.repeat(64))), 'storage_checksum_mismatch');
  await storage.remove(object);
  assert.is(await code(storage.get(object)), 'storage_not_found');
  assert.is(await code(storage.put(at('../../etc/passwd'), bytes, 'text/plain')), 'storage_bad_path');
});

test('object paths: only <profile>/<document>/<safe name> inside the given profile\'s folder is accepted', () => {
  assert.equal(checkedObject(object), object);
  assert.equal(documentObjectPath(profileId.toUpperCase(), '20000000-0000-4000-8000-00000000000A', 'Blood test (2).pdf'), {
    profileId,
    path: `${profileId}/20000000-0000-4000-8000-00000000000a/Blood test (2).pdf`,
  });
  for (const hostile of HOSTILE_PATHS) {
    assert.throws(() => checkedObject(at(hostile)), (error: StorageError) => error.code === 'storage_bad_path', hostile);
  }
  assert.throws(() => documentObjectPath(profileId, '20000000-0000-4000-8000-000000000002', '../x.pdf'), /not <profile id>/);
});

test('local storage refuses every hostile path before touching the disk: another family\'s file is never read, written or removed', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'guardian-storage-'));
  const storage = new LocalStorage(root);
  // The other family's file, where a traversal from our profile's folder would land.
  const theirs: ObjectRef = { profileId: otherProfile, path: `${otherProfile}/20000000-0000-4000-8000-000000000002/report.pdf` };
  await storage.put(theirs, bytes, 'application/pdf');
  for (const hostile of HOSTILE_PATHS) {
    assert.is(await code(storage.get(at(hostile))), 'storage_bad_path', hostile);
    assert.is(await code(storage.remove(at(hostile))), 'storage_bad_path', hostile);
    assert.is(await code(storage.put(at(hostile), bytes, 'application/pdf')), 'storage_bad_path', hostile);
  }
  assert.equal(await storage.get(theirs), bytes);
  assert.equal(await filesUnder(root), [theirs.path]);
});

test('temporary upload files a crashed api left behind are swept once no upload can still be writing them', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'guardian-storage-'));
  const storage = new LocalStorage(root);
  await storage.put(object, bytes, 'application/pdf');
  const folder = path.dirname(path.join(root, objectPath));
  const stale = path.join(folder, '.3f1c2a9e-7d4b-4c1e-9a7f-2b8e6d5c4a31.part');
  const live = path.join(folder, '.9a7f2b8e-6d5c-4a31-3f1c-2a9e7d4b4c1e.part');
  const lookalike = path.join(folder, 'report.part');
  for (const file of [stale, live, lookalike]) await writeFile(file, 'partial');
  const old = new Date(Date.now() - TEMPORARY_FILE_MAX_AGE_MS - 60_000);
  await utimes(stale, old, old);
  await utimes(lookalike, old, old);
  assert.is(await storage.sweepTemporaryFiles(), 1);
  assert.equal((await filesUnder(root)).sort(), [objectPath, path.relative(root, live), path.relative(root, lookalike)].sort());
  // A storage folder that does not exist yet has nothing to sweep.
  assert.is(await new LocalStorage(path.join(root, 'missing')).sweepTemporaryFiles(), 0);
});

/** Every file under a folder, temporary ones included. */
const filesUnder = async (root: string) =>
  (await readdir(root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));

test('local putStream writes through a temporary file: the final name appears only when complete, 0600', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'guardian-storage-'));
  const storage = new LocalStorage(root);
  const body = new PassThrough();
  const done = storage.putStream(object, body, 'application/pdf');
  body.write(bytes.subarray(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const during = await filesUnder(root);
  assert.is(during.length, 1);
  assert.match(during[0]!, /\/\.[0-9a-f-]{36}\.part$/);
  assert.is(await code(storage.get(object)), 'storage_not_found');
  body.end(bytes.subarray(10));
  await done;
  assert.equal(await storage.get(object), bytes);
  assert.equal(await filesUnder(root), [objectPath]);
  assert.is((await stat(path.join(root, objectPath))).mode & 0o777, 0o600);
  assert.is((await stat(path.dirname(path.join(root, objectPath)))).mode & 0o777, 0o700);
  assert.is(await code(storage.putStream(at('../x'), Readable.from([bytes]), 'text/plain')), 'storage_bad_path');
});

test('local putStream: a body that fails mid-way rejects with its error and leaves no file, temporary or final', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'guardian-storage-'));
  const storage = new LocalStorage(root);
  const body = new PassThrough();
  const done = storage.putStream(object, body, 'application/pdf');
  body.write(bytes);
  await new Promise((resolve) => setTimeout(resolve, 20));
  body.destroy(new Error('client went away'));
  await done.then(() => assert.unreachable('should reject'), (error: Error) => assert.is(error.message, 'client went away'));
  assert.equal(await filesUnder(root), []);
  // Destroyed before the temporary file was even opened.
  const early = new PassThrough();
  const rejected = storage.putStream(object, early, 'application/pdf');
  early.destroy(new Error('gone at once'));
  await rejected.then(() => assert.unreachable('should reject'), () => undefined);
  assert.equal(await filesUnder(root), []);
});

test('Supabase storage goes through supabase-js to the documents bucket with the service role key', async () => {
  const stored = new Map<string, string>();
  const standIn: StandIn = await startStandIn((request) => {
    const key = decodeURIComponent(request.path.replace(/^\/storage\/v1\/object\/(authenticated\/)?/, ''));
    if (request.method === 'POST' || request.method === 'PUT') {
      stored.set(key, request.body);
      return { body: { Key: key, Id: 'x' } };
    }
    if (request.method === 'GET') {
      const body = stored.get(key);
      return body === undefined ? { status: 404, body: { statusCode: '404', error: 'not_found', message: 'Object not found' } } : { headers: { 'content-type': 'application/pdf' }, body };
    }
    if (request.method === 'DELETE') {
      for (const k of request.json<{ prefixes: string[] }>().prefixes) stored.delete(`documents/${k}`);
      return { body: [] };
    }
    return { status: 400, body: {} };
  });
  try {
    const storage = new SupabaseStorage({ url: standIn.url, key: 'service-role-key-for-tests' });
    await storage.put(object, bytes, 'application/pdf');
    const upload = standIn.requests[0]!;
    assert.is(upload.method, 'POST');
    assert.is(upload.path, `/storage/v1/object/documents/${objectPath}`);
    assert.is(upload.headers.authorization, 'Bearer service-role-key-for-tests');
    assert.equal(await storage.get(object), bytes);
    await storage.remove(object);
    assert.is(await code(storage.get(object)), 'storage_not_found');

    // putStream sends the Node stream as a chunked body (no Content-Length: nothing buffered
    // to measure it), with the sniffed type.
    const streamedPath = objectPath.replace('report.pdf', 'streamed.pdf');
    const body = new PassThrough();
    const streamed = storage.putStream(at(streamedPath), body, 'image/png');
    body.write(bytes.subarray(0, 8));
    setTimeout(() => body.end(bytes.subarray(8)), 20);
    await streamed;
    const streamUpload = standIn.requests.at(-1)!;
    assert.is(streamUpload.method, 'POST');
    assert.is(streamUpload.path, `/storage/v1/object/documents/${streamedPath}`);
    assert.is(streamUpload.headers['content-type'], 'image/png');
    assert.is(streamUpload.headers['transfer-encoding'], 'chunked');
    assert.is(streamUpload.headers['content-length'], undefined);
    assert.is(streamUpload.headers.authorization, 'Bearer service-role-key-for-tests');
    assert.equal(await storage.get(at(streamedPath)), bytes);

    // A body that fails mid-way aborts the request: Storage never sees a complete upload.
    const failing = new PassThrough();
    const count = standIn.requests.length;
    const rejected = storage.putStream(object, failing, 'application/pdf');
    failing.write(bytes.subarray(0, 8));
    setTimeout(() => failing.destroy(new Error('client went away')), 20);
    await rejected.then(() => assert.unreachable('should reject'), (error: Error) => assert.is(error.message, 'client went away'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.is(standIn.requests.length, count, 'the stand-in never received a complete request');
    assert.is(await code(storage.get(object)), 'storage_not_found');
  } finally {
    await standIn.close();
  }
});

test.run();
