/**
 * supabase/config.toml: the Supabase CLI accepts it, and the documents bucket it
 * declares agrees with the api's own limits, so a direct upload to Storage meets the
 * same size and type rules as an upload through the api.
 */
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { suite } from 'uvu';
import { loadConfig } from '../../src/config.js';
import { SUPPORTED_MEDIA_TYPES } from '../../src/providers/media-types.js';
import { createTestDatabase } from '../helpers/database.js';

const run = promisify(execFile);
const test = suite('supabase/config.toml');
const root = loadConfig({}).projectRoot;

interface SupabaseConfig {
  project_id: string;
  storage: { file_size_limit: string; buckets: Record<string, { public: boolean; file_size_limit: string; allowed_mime_types: string[] }> };
}

const readConfig = async () => parse(await readFile(path.join(root, 'supabase', 'config.toml'), 'utf8')) as unknown as SupabaseConfig;

/** "25MiB" → bytes, as the CLI reads sizes. */
function bytes(size: string): number {
  const match = /^(\d+)(B|KiB|MiB|GiB)$/.exec(size);
  if (!match) throw new Error(`not a size: ${size}`);
  return Number(match[1]) * { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[match[2] as 'B' | 'KiB' | 'MiB' | 'GiB'];
}

test('the documents bucket takes exactly the media types the api supports, up to the default DOCUMENT_MAX_MB', async () => {
  const config = await readConfig();
  const documents = config.storage.buckets.documents;
  assert.ok(documents, 'a documents bucket');
  assert.is(documents.public, false);
  assert.equal([...documents.allowed_mime_types].sort(), [...SUPPORTED_MEDIA_TYPES].sort());
  assert.is(bytes(documents.file_size_limit), loadConfig({}).documents.maxBytes);
  assert.ok(bytes(config.storage.file_size_limit) >= bytes(documents.file_size_limit));
});

test('the documents bucket in a migrated database has the limits config.toml declares', async () => {
  const documents = (await readConfig()).storage.buckets.documents!;
  const db = await createTestDatabase();
  try {
    const { rows } = await db.pool.query<{ file_size_limit: string; allowed_mime_types: string[] }>(
      `select file_size_limit::text, allowed_mime_types from storage.buckets where id = 'documents'`,
    );
    assert.is(Number(rows[0]?.file_size_limit), bytes(documents.file_size_limit));
    assert.equal([...(rows[0]?.allowed_mime_types ?? [])].sort(), [...documents.allowed_mime_types].sort());
  } finally {
    await db.drop();
  }
});

test('the Supabase CLI accepts the project: its config parses and a migrated database is up to date', async () => {
  const db = await createTestDatabase();
  try {
    const url = new URL(db.url);
    url.searchParams.set('sslmode', 'disable');
    const cli = path.join(root, 'node_modules', '.bin', 'supabase');
    // db push reads and validates config.toml first ("failed to parse config: …").
    const { stdout, stderr } = await run(cli, ['db', 'push', '--dry-run', '--db-url', url.toString(), '--workdir', root], { cwd: root });
    assert.match(stdout + stderr, /up to date/i);
  } finally {
    await db.drop();
  }
});

test.run();
