import * as assert from 'uvu/assert';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  } finally {
    await standIn.close();
  }
});

test.run();
