import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { suite } from 'uvu';
import { SUPPORTED_MEDIA_TYPES } from '../../src/providers/media-types.js';
import { fileNames, receiveUpload, type ReceivedUpload } from '../../src/http/documents/receive-upload.js';
import { HttpProblem } from '../../src/http/problem.js';
import { documentObjectPath } from '../../src/providers/storage/object-path.js';
import { LocalStorage } from '../../src/providers/storage/local-storage.js';

interface Context {
  root: string;
  url: URL;
  server: http.Server;
  maxBytes: number;
  /** What the last receiveUpload call ended with. */
  last: Promise<ReceivedUpload | HttpProblem | Error>;
}

const test = suite<Context>('receive upload', {} as Context);
const profileId = '10000000-0000-4000-8000-000000000001';
const documentId = '20000000-0000-4000-8000-000000000002';
const BOUNDARY = '----guardian-test-boundary-7f3a';

const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(200, 1)]);

test.before(async (context) => {
  context.root = await mkdtemp(path.join(tmpdir(), 'guardian-upload-'));
  context.maxBytes = 25 * 1024 * 1024;
  const storage = new LocalStorage(context.root);
  context.server = http.createServer((req, res) => {
    const work = receiveUpload(req, {
      maxBytes: context.maxBytes,
      storage,
      allowedTypes: SUPPORTED_MEDIA_TYPES,
      objectFor: (fileName) => documentObjectPath(profileId, documentId, fileName),
    });
    context.last = work.catch((error: HttpProblem | Error) => error);
    work.then(
      (upload) => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify(upload));
      },
      (error: unknown) => {
        const status = error instanceof HttpProblem ? error.status : 500;
        const code = error instanceof HttpProblem ? error.code : 'internal_error';
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code, ...(error instanceof HttpProblem ? error.extra : {}) }));
      },
    );
  });
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve));
  context.url = new URL(`http://127.0.0.1:${(context.server.address() as AddressInfo).port}/upload`);
});

test.after.each(async (context) => {
  context.maxBytes = 25 * 1024 * 1024;
  await rm(context.root, { recursive: true, force: true });
});

test.after(async (context) => {
  context.server.closeAllConnections();
  await new Promise<void>((resolve) => context.server.close(() => resolve()));
  await rm(context.root, { recursive: true, force: true });
});

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

function multipart(parts: Part[], { close = true } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const type = part.contentType ? `\r\nContent-Type: ${part.contentType}` : '';
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`));
    chunks.push(Buffer.from(part.data));
    chunks.push(Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

function post(url: URL, body: Buffer, headers: Record<string, string> = {}, { chunked = false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        ...(chunked ? {} : { 'content-length': String(body.length) }),
        ...headers,
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every file under the storage root, temporary `.part` files included. */
async function storedFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

// A forced GC for the memory test without a --expose-gc flag on the shared test runner.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('a PDF is stored under its sanitised name with its sha256 and size (other form fields are accepted and not kept)', async ({ url, root }) => {
  const reply = await post(url, multipart([
    { name: 'title', data: 'Blood panel' },
    { name: 'file', filename: 'report.pdf', contentType: 'application/octet-stream', data: pdf },
    { name: 'kind', data: 'lab_report' },
  ]));
  assert.is(reply.status, 201);
  const upload = reply.body as unknown as ReceivedUpload;
  assert.equal(upload, {
    fileName: 'report.pdf',
    originalFileName: 'report.pdf',
    mediaType: 'application/pdf',
    sizeBytes: pdf.length,
    sha256: sha256(pdf),
    object: { profileId, path: `${profileId}/${documentId}/report.pdf` },
  });
  assert.equal(await readFile(path.join(root, upload.object.path)), pdf);
  assert.equal(await storedFiles(root), [path.join(root, upload.object.path)]);
});

test('the type comes from the bytes: a PNG named x.pdf and sent as application/pdf is image/png', async ({ url, root }) => {
  const reply = await post(url, multipart([{ name: 'file', filename: 'x.pdf', contentType: 'application/pdf', data: png }]));
  assert.is(reply.status, 201);
  assert.is(reply.body.mediaType, 'image/png');
  assert.is(reply.body.fileName, 'x.pdf');
  assert.is(reply.body.sha256, sha256(png));
  assert.equal(await readFile(path.join(root, String((reply.body.object as { path: string }).path))), png);
});

test('an executable or a text file is refused with 415 and nothing is stored', async ({ url, root }) => {
  for (const [filename, data] of [['scan.pdf', exe], ['notes.pdf', Buffer.from('just some text, long enough to sniff')]] as const) {
    const reply = await post(url, multipart([{ name: 'file', filename, contentType: 'application/pdf', data }]));
    assert.is(reply.status, 415);
    assert.is(reply.body.code, 'unsupported_media_type');
    assert.equal(await storedFiles(root), []);
  }
});

test('a file shorter than 12 bytes is sniffed once it ends: "%PDF-" alone is stored, 3 bytes of text are not', async ({ url, root }) => {
  const short = await post(url, multipart([{ name: 'file', filename: 'tiny.pdf', data: '%PDF-' }]));
  assert.is(short.status, 201);
  assert.is(short.body.sizeBytes, 5);
  assert.is((await storedFiles(root)).length, 1);
  const text = await post(url, multipart([{ name: 'file', filename: 'a.txt', data: 'abc' }]));
  assert.is(text.status, 415);
});

test('over the limit: 413 with max_bytes, from busboy on a chunked body and up front from Content-Length; nothing stored', async (context) => {
  context.maxBytes = 100 * 1024;
  const big = Buffer.concat([pdf, Buffer.alloc(300 * 1024, 0x41)]);
  const body = multipart([{ name: 'file', filename: 'big.pdf', data: big }]);

  const streamed = await post(context.url, body, {}, { chunked: true });
  assert.is(streamed.status, 413);
  assert.equal(streamed.body, { code: 'payload_too_large', max_bytes: 100 * 1024 });
  assert.equal(await storedFiles(context.root), []);

  const declared = await post(context.url, body);
  assert.is(declared.status, 413);
  assert.is(declared.body.code, 'payload_too_large');
  assert.equal(await storedFiles(context.root), []);

  // Exactly at the limit is fine.
  const exact = Buffer.concat([pdf, Buffer.alloc(100 * 1024 - pdf.length, 0x41)]);
  const ok = await post(context.url, multipart([{ name: 'file', filename: 'exact.pdf', data: exact }]), {}, { chunked: true });
  assert.is(ok.status, 201);
  assert.is(ok.body.sizeBytes, 100 * 1024);
});

test('no file part → 400 file_missing; an empty file → 400 file_empty; nothing stored', async ({ url, root }) => {
  const none = await post(url, multipart([{ name: 'title', data: 'x' }]));
  assert.equal([none.status, none.body.code], [400, 'file_missing']);
  const empty = await post(url, multipart([{ name: 'file', filename: 'empty.pdf', data: '' }]));
  assert.equal([empty.status, empty.body.code], [400, 'file_empty']);
  assert.equal(await storedFiles(root), []);
});

test('two files → 400 too_many_files, and the first one, already stored, is removed', async ({ url, root }) => {
  const reply = await post(url, multipart([
    { name: 'file', filename: 'a.pdf', data: pdf },
    { name: 'title', data: 'between' },
    { name: 'file', filename: 'b.png', data: png },
  ]));
  assert.equal([reply.status, reply.body.code], [400, 'too_many_files']);
  assert.equal(await storedFiles(root), []);
});

test('not multipart → 415 multipart_required; malformed or truncated multipart → 400 upload_malformed', async ({ url, root }) => {
  const json = await post(url, Buffer.from('{"file":"x"}'), { 'content-type': 'application/json' });
  assert.equal([json.status, json.body.code], [415, 'multipart_required']);
  const noBoundary = await post(url, multipart([{ name: 'file', filename: 'a.pdf', data: pdf }]), { 'content-type': 'multipart/form-data' });
  assert.equal([noBoundary.status, noBoundary.body.code], [400, 'upload_malformed']);
  const truncated = await post(url, multipart([{ name: 'file', filename: 'a.pdf', data: Buffer.concat([pdf, Buffer.alloc(50_000, 0x41)]) }], { close: false }));
  assert.equal([truncated.status, truncated.body.code], [400, 'upload_malformed']);
  assert.equal(await storedFiles(root), []);
});

test('oversized or too many fields are refused', async ({ url }) => {
  const long = await post(url, multipart([{ name: 'title', data: 'x'.repeat(2000) }, { name: 'file', filename: 'a.pdf', data: pdf }]));
  assert.equal([long.status, long.body.code], [400, 'field_too_large']);
  const many = await post(url, multipart([...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: 'v' })), { name: 'file', filename: 'a.pdf', data: pdf }]));
  assert.is(many.status, 400);
  assert.is(many.body.code, 'too_many_fields');
});

test('a client that goes away mid-upload leaves nothing in storage', async (context) => {
  const head = multipart([{ name: 'file', filename: 'a.pdf', data: Buffer.concat([pdf, Buffer.alloc(256 * 1024, 0x41)]) }]).subarray(0, 200 * 1024);
  const req = http.request(context.url, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(1024 * 1024) },
  });
  req.on('error', () => undefined);
  req.write(head);
  // Let the server receive the first part and start storing it, then vanish.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok((await storedFiles(context.root)).some((file) => file.endsWith('.part')), 'a temporary file while the upload runs');
  req.destroy();
  const outcome = await context.last;
  assert.instance(outcome, HttpProblem);
  assert.is((outcome as HttpProblem).code, 'upload_malformed');
  assert.equal(await storedFiles(context.root), []);
});

test('a 20 MB upload streams: heap and buffer growth stay far below the file size', async ({ url, root }) => {
  const size = 20 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const prefix = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
  const suffix = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const expected = createHash('sha256');

  // Two views: the raw peak (garbage included: chunks already hashed and written but not
  // yet collected), and what is still live after a forced GC every 25 ms, which is what
  // buffering the file would grow. Buffer bytes live outside the JS heap (arrayBuffers).
  gc();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let liveHeap = before.heapUsed;
  let liveBuffers = before.arrayBuffers;
  const rawSampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 2);
  const liveSampler = setInterval(() => {
    gc();
    const now = process.memoryUsage();
    liveHeap = Math.max(liveHeap, now.heapUsed);
    liveBuffers = Math.max(liveBuffers, now.arrayBuffers);
  }, 25);

  const reply = await new Promise<Reply>((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(prefix.length + size + suffix.length) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    // The client writes with backpressure from the same process, reusing one 64 KiB chunk.
    let sent = 0;
    const first = Buffer.concat([pdf, chunk.subarray(pdf.length)]);
    const write = () => {
      req.write(prefix);
      while (sent < size) {
        const piece = sent === 0 ? first : chunk;
        expected.update(piece);
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', write2);
          return;
        }
      }
      req.end(suffix);
    };
    const write2 = () => {
      while (sent < size) {
        expected.update(chunk);
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', write2);
          return;
        }
      }
      req.end(suffix);
    };
    write();
  });
  clearInterval(rawSampler);
  clearInterval(liveSampler);

  assert.is(reply.status, 201);
  assert.is(reply.body.sizeBytes, size);
  assert.is(reply.body.sha256, expected.digest('hex'));
  assert.equal(await storedFiles(root), [path.join(root, String((reply.body.object as { path: string }).path))]);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `  20 MB upload: heapUsed peak +${mb(peakHeap - before.heapUsed)} MB (live +${mb(liveHeap - before.heapUsed)} MB), ` +
      `arrayBuffers live +${mb(liveBuffers - before.arrayBuffers)} MB`,
  );
  assert.ok(peakHeap - before.heapUsed < 8 * 1024 * 1024, `heap peak grew ${mb(peakHeap - before.heapUsed)} MB`);
  // Seen 0.4–6.6 MB over 13 runs (ArrayBuffer stores are freed lazily after a GC);
  // buffering the file would show ≥ 20 MB.
  assert.ok(liveBuffers - before.arrayBuffers < 10 * 1024 * 1024, `live buffers grew ${mb(liveBuffers - before.arrayBuffers)} MB`);
});

test('file names: basename only, no control characters, ASCII for the storage key, 200 characters, fallback by type', () => {
  assert.equal(fileNames('../../etc/passwd', 'application/pdf'), { fileName: 'passwd', originalFileName: 'passwd' });
  assert.equal(fileNames('C:\\Users\\ann\\Befund Müller.pdf', 'application/pdf'), { fileName: 'Befund Muller.pdf', originalFileName: 'Befund Müller.pdf' });
  assert.equal(fileNames('..', 'image/png'), { fileName: 'upload.png', originalFileName: 'upload.png' });
  assert.equal(fileNames(undefined, 'image/jpeg'), { fileName: 'upload.jpg', originalFileName: 'upload.jpg' });
  assert.equal(fileNames('a\u0000b\u202e\nc.pdf', 'application/pdf'), { fileName: 'abc.pdf', originalFileName: 'abc.pdf' });
  assert.equal(fileNames('血液検査.pdf', 'application/pdf'), { fileName: 'upload.pdf', originalFileName: '血液検査.pdf' });
  const long = fileNames(`${'a'.repeat(300)}.pdf`, 'application/pdf');
  assert.is(long.fileName.length, 200);
  assert.ok(long.fileName.endsWith('.pdf'));
});

test.run();
