import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEnvFile, loadConfig } from '../src/config.js';

const test = suite('config: .env and .env.example');
const root = path.resolve(import.meta.dirname, '..');

/** The variables config.ts reads: every reader takes `(env, 'NAME'…)`. */
async function variablesRead(): Promise<Set<string>> {
  const source = await readFile(path.join(root, 'src', 'config.ts'), 'utf8');
  return new Set([...source.matchAll(/\(env, '([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!));
}

/** The variables .env.example lists, set (`NAME=`) or, for those the platform sets, commented (`# NAME=`). */
async function variablesListed(): Promise<Set<string>> {
  const example = await readFile(path.join(root, '.env.example'), 'utf8');
  return new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
}

test('.env.example lists every setting config.ts reads, and nothing else', async () => {
  const read = await variablesRead();
  const listed = await variablesListed();
  // The parse itself must see the settings, or an empty pair of sets would pass.
  assert.ok(read.has('DATABASE_URL') && read.has('JOURNEY_CACHE_MB') && read.has('HOST'), 'config.ts reads found');
  assert.equal([...read].filter((name) => !listed.has(name)).sort(), [], 'read by config.ts but missing from .env.example');
  assert.equal([...listed].filter((name) => !read.has(name)).sort(), [], 'in .env.example but never read');
});

test('.env.example, copied to .env as it is, is a valid configuration', async () => {
  const env: Record<string, string | undefined> = {};
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-env-'));
  await writeFile(path.join(dir, '.env'), await readFile(path.join(root, '.env.example'), 'utf8'));
  applyEnvFile(env, path.join(dir, '.env'));
  assert.is(env.PORT, '3000');
  assert.is(env.RENDER, undefined, 'RENDER stays commented out');
  const config = loadConfig(env, { defaultEnvironment: 'development' });
  assert.is(config.host, '127.0.0.1');
  assert.is(config.http.journeyCacheBytes, 32 * 1024 * 1024);
});

test('.env fills only what is unset, a missing file is fine, and on Render it is never read', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-env-'));
  const file = path.join(dir, '.env');
  await writeFile(file, 'PORT=3999\nLOG_LEVEL=debug\nHOST="0.0.0.0"\n');

  const env: Record<string, string | undefined> = { LOG_LEVEL: 'warn', HOST: '' };
  applyEnvFile(env, file);
  assert.is(env.PORT, '3999', 'an unset variable comes from .env');
  assert.is(env.LOG_LEVEL, 'warn', 'a variable set in the shell wins');
  assert.is(env.HOST, '', 'set to empty is still set');

  const untouched: Record<string, string | undefined> = {};
  applyEnvFile(untouched, path.join(dir, 'absent.env'));
  assert.equal(untouched, {});

  const render: Record<string, string | undefined> = { RENDER: 'true' };
  applyEnvFile(render, file);
  assert.equal(render, { RENDER: 'true' });
});

test('HOST: 127.0.0.1 locally, 0.0.0.0 on Render, or what HOST says', () => {
  assert.is(loadConfig({}).host, '127.0.0.1');
  assert.is(loadConfig({ RENDER: 'true', DATABASE_URL: 'postgres://u:p@db.example.com:5432/postgres' }).host, '0.0.0.0');
  assert.is(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
  assert.throws(() => loadConfig({ HOST: 'http://example.com' }), /HOST: expected an address/);
});

test.run();
