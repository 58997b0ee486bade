import * as assert from 'uvu/assert';
import pg from 'pg';
import { endPool } from '../../src/db/pool.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('ending a pool');

/** A pool of four idle connections, counting the ones whose connection has closed. */
async function idlePool(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const state = { closed: 0 };
  pool.on('connect', (client) => client.on('end', () => state.closed++));
  const clients = await Promise.all([1, 2, 3, 4].map(() => pool.connect()));
  await Promise.all(clients.map((c) => c.query('select 1')));
  clients.forEach((c) => c.release());
  return { pool, state };
}

test("endPool returns once every connection has closed; pg-pool's end() returns before", async ({ db }) => {
  const plain = await idlePool(db.url);
  await plain.pool.end();
  assert.ok(plain.state.closed < 4, 'pg-pool resolves before its connections close (else endPool would be needless)');

  const waited = await idlePool(db.url);
  await endPool(waited.pool);
  assert.is(waited.state.closed, 4);
});

test.run();
