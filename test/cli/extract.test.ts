import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import { config } from '../helpers/database.js';
import { encryptedPdf } from '../helpers/bad-files.js';
import { sampleLabReport, toPdf } from '../fixtures/documents.js';

const run = promisify(execFile);
const test = suite('npm run extract');

async function extract(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // No DATABASE_URL: the command needs no database.
    const env = { ...process.env, DATABASE_URL: '' };
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'src', 'cli', 'extract.ts'), ...args], { cwd: config.projectRoot, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('--json prints the documented shape: file, media type, engines, pages and validated records', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-extract-'));
  const file = path.join(dir, 'report.bin'); // content decides the type, not the name
  await writeFile(file, await toPdf(sampleLabReport()));
  const { code, stdout } = await extract(file, '--json');
  assert.is(code, 0);
  const out = JSON.parse(stdout);
  assert.equal(Object.keys(out), ['file', 'media_type', 'ocr', 'extractor', 'pages', 'records']);
  assert.is(out.file, 'report.bin');
  assert.is(out.media_type, 'application/pdf');
  assert.equal(out.extractor.name, 'local');
  assert.equal(out.pages[0].source, 'text-layer');
  const glucose = out.records.find((r: { kind: string; name?: string }) => r.kind === 'observation');
  assert.ok(glucose, 'at least one observation');
  assert.ok(glucose.provenance.page === 1 && typeof glucose.provenance.text === 'string');
});

test('the plain form prints one line per record; bad files exit 1 with a reason code', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-extract-'));
  const pdf = path.join(dir, 'labs.pdf');
  await writeFile(pdf, await toPdf(sampleLabReport()));
  const plain = await extract(pdf);
  assert.is(plain.code, 0);
  assert.match(plain.stdout, /^labs\.pdf: 1 page\(s\) via local, \d+ record\(s\) via local/);
  assert.match(plain.stdout, /\n {2}observation/);

  const locked = path.join(dir, 'locked.pdf');
  await writeFile(locked, encryptedPdf());
  const refused = await extract(locked);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /^pdf_encrypted: /);

  const text = path.join(dir, 'notes.txt');
  await writeFile(text, 'not a document');
  assert.match((await extract(text)).stderr, /^unsupported_media_type: /);
  const empty = path.join(dir, 'empty.pdf');
  await writeFile(empty, '');
  assert.match((await extract(empty)).stderr, /^empty_file: /);
  assert.match((await extract()).stderr, /usage: npm run extract/);
});

test('a file that cannot be read says so plainly, once, and exits 1', async () => {
  const missing = await extract('missing.pdf');
  assert.is(missing.code, 1);
  assert.is(missing.stderr, 'cannot read missing.pdf: no such file\n');
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-extract-'));
  const folder = await extract(dir);
  assert.is(folder.code, 1);
  assert.is(folder.stderr, `cannot read ${dir}: it is a folder\n`);
});

test.run();
