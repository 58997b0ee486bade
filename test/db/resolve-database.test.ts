import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../../src/config.js';
import { resolveDatabase } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { rejection } from '../helpers/suite.js';

const test = suite('resolveDatabase: which Postgres a process talks to');
const log = createLogger('silent');

test('on Render without DATABASE_URL it refuses, naming DATABASE_URL, and starts no embedded Postgres (even for the lenient CLIs)', async () => {
  const parent = await mkdtemp(path.join(tmpdir(), 'guardian-resolve-'));
  try {
    const dir = path.join(parent, 'postgres');
    const config = loadConfig({ RENDER: 'true', EMBEDDED_PG_DIR: dir });
    const error = await rejection(resolveDatabase(config, log));
    assert.instance(error, ConfigError);
    assert.is((error as ConfigError).variable, 'DATABASE_URL');
    assert.match(error.message, /local convenience/);
    // Nothing was initialised: not even the cluster's folder exists.
    assert.equal(await readdir(parent), []);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

test('DATABASE_URL is used as given, on Render or off it', async () => {
  const url = 'postgres://app:pw@pooler.example:6543/postgres';
  for (const env of [{ DATABASE_URL: url }, { DATABASE_URL: url, RENDER: 'true' }]) {
    const server = await resolveDatabase(loadConfig(env), log);
    assert.is(server.url, url);
    assert.is(server.embedded, false);
  }
});

test.run();
