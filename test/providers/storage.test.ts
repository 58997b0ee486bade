import * as assert from 'uvu/assert';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { suite } from 'uvu';
import { LocalStorage, StorageError } from '../../src/providers/storage/local-storage.js';
import { SupabaseStorage } from '../../src/providers/storage/supabase-storage.js';
import { readVerified, sha256Hex } from '../../src/providers/storage/verified-read.js';
import { startStandIn, type StandIn } from '../helpers/stand-in-server.js';

const test = suite('file storage');
const bytes = new TextEncoder().encode('%PDF-1.7 synthetic report');
const objectPath = '10000000-0000-4000-8000-000000000001/20000000-0000-4000-8000-000000000002/report.pdf';

const code = async (work: Promise<unknown>) => work.then(() => 'ok', (e: StorageError) => e.code);

test('local storage writes, reads back and removes, and never leaves its root', async () => {
  const storage = new LocalStorage(await mkdtemp(path.join(tmpdir(), 'guardian-storage-')));
  await storage.put(objectPath, bytes, 'application/pdf');
  assert.equal(await storage.get(objectPath), bytes);
  assert.equal(await readVerified(storage, objectPath, sha256Hex(bytes)), bytes);
  assert.is(await code(readVerified(storage, objectPath, 'f'.repeat(64))), 'storage_checksum_mismatch');
  await storage.remove(objectPath);
  assert.is(await code(storage.get(objectPath)), 'storage_not_found');
  assert.is(await code(storage.put('../../etc/passwd', bytes, 'text/plain')), 'storage_bad_path');
});

/** Every file under a folder, temporary ones included. */
const filesUnder = async (root: string) =>
  (await readdir(root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => path.relative(root, path.join(entry.path, entry.name)));

test('local putStream writes through a temporary file: the final name appears only when complete, 0600', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'guardian-storage-'));
  const storage = new LocalStorage(root);
  const body = new PassThrough();
  const done = storage.putStream(objectPath, body, 'application/pdf');
  body.write(bytes.subarray(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const during = await filesUnder(root);
  assert.is(during.length, 1);
  assert.match(during[0]!, /\/\.[0-9a-f-]{36}\.part$/);
  assert.is(await code(storage.get(objectPath)), 'storage_not_found');
  body.end(bytes.subarray(10));
  await done;
  assert.equal(await storage.get(objectPath), bytes);
  assert.equal(await filesUnder(root), [objectPath]);
  assert.is((await stat(path.join(root, objectPath))).mode & 0o777, 0o600);
  assert.is((await stat(path.dirname(path.join(root, objectPath)))).mode & 0o777, 0o700);
  assert.is(await code(storage.putStream('../x', Readable.from([bytes]), 'text/plain')), 'storage_bad_path');
});

test('local putStream: a body that fails mid-way rejects with its error and leaves no file, temporary or final', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'guardian-storage-'));
  const storage = new LocalStorage(root);
  const body = new PassThrough();
  const done = storage.putStream(objectPath, body, 'application/pdf');
  body.write(bytes);
  await new Promise((resolve) => setTimeout(resolve, 20));
  body.destroy(new Error('client went away'));
  await done.then(() => assert.unreachable('should reject'), (error: Error) => assert.is(error.message, 'client went away'));
  assert.equal(await filesUnder(root), []);
  // Destroyed before the temporary file was even opened.
  const early = new PassThrough();
  const rejected = storage.putStream(objectPath, early, 'application/pdf');
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
    const storage = new SupabaseStorage({ url: standIn.url, serviceRoleKey: 'service-role-key-for-tests' });
    await storage.put(objectPath, bytes, 'application/pdf');
    const upload = standIn.requests[0]!;
    assert.is(upload.method, 'POST');
    assert.is(upload.path, `/storage/v1/object/documents/${objectPath}`);
    assert.is(upload.headers.authorization, 'Bearer service-role-key-for-tests');
    assert.equal(await storage.get(objectPath), bytes);
    await storage.remove(objectPath);
    assert.is(await code(storage.get(objectPath)), 'storage_not_found');

    // putStream sends the Node stream as a chunked body (no Content-Length: nothing buffered
    // to measure it), with the sniffed type.
    const streamedPath = objectPath.replace('report.pdf', 'streamed.pdf');
    const body = new PassThrough();
    const streamed = storage.putStream(streamedPath, body, 'image/png');
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
    assert.equal(await storage.get(streamedPath), bytes);

    // A body that fails mid-way aborts the request: Storage never sees a complete upload.
    const failing = new PassThrough();
    const count = standIn.requests.length;
    const rejected = storage.putStream(objectPath, failing, 'application/pdf');
    failing.write(bytes.subarray(0, 8));
    setTimeout(() => failing.destroy(new Error('client went away')), 20);
    await rejected.then(() => assert.unreachable('should reject'), (error: Error) => assert.is(error.message, 'client went away'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.is(standIn.requests.length, count, 'the stand-in never received a complete request');
    assert.is(await code(storage.get(objectPath)), 'storage_not_found');
  } finally {
    await standIn.close();
  }
});

test.run();
