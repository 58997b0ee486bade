/**
 * src/db/implicit-transaction.ts: statements sent with one Sync run as one transaction
 * (what the transaction-pooler paths of the caller pool and the queue pool rely on).
 */
import * as assert from 'uvu/assert';
import { implicitTransaction } from '../../src/db/implicit-transaction.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('implicit transaction (one Sync)');

test.before(async (ctx) => {
  await ctx.db.pool.query(`create table public.implicit_probe (id int primary key, note text)`);
});

test('each statement\'s result, parsed like a plain query\'s (parameters and types included)', async (ctx) => {
  const client = await ctx.db.pool.connect();
  try {
    const [first, second, third] = await implicitTransaction(client, [
      { text: `select $1::int + 1 as n, $2::jsonb as doc, $3::text[] as list`, values: [41, { a: [1, 2] }, ['x', 'y']] },
      { text: `select $1::timestamptz as at`, values: [new Date('2026-01-02T03:04:05Z')] },
      { text: `insert into public.implicit_probe (id, note) values (1, 'one'), (2, 'two')`, values: [] },
    ]);
    assert.equal(first!.rows, [{ n: 42, doc: { a: [1, 2] }, list: ['x', 'y'] }]);
    assert.equal(second!.rows[0]!.at, new Date('2026-01-02T03:04:05Z'));
    assert.is(third!.rowCount, 2);
    assert.is(third!.command, 'INSERT');
    // The connection goes on as usual afterwards.
    assert.is((await client.query('select count(*)::int as n from public.implicit_probe')).rows[0]!.n, 2);
  } finally {
    client.release();
  }
});

test('one transaction: a local setting holds for the later statements and is gone after the Sync', async (ctx) => {
  const client = await ctx.db.pool.connect();
  try {
    const [, seen, xids] = await implicitTransaction(client, [
      { text: `select set_config('guardian.probe', $1::text, true)`, values: ['set'] },
      { text: `select current_setting('guardian.probe', true) as value`, values: [] },
      { text: `select count(distinct x)::int as n from (select txid_current() as x union all select txid_current()) t`, values: [] },
    ]);
    assert.is(seen!.rows[0]!.value, 'set');
    assert.is(xids!.rows[0]!.n, 1);
    const after = await client.query(`select coalesce(current_setting('guardian.probe', true), '') as value`);
    assert.is(after.rows[0]!.value, '');
  } finally {
    client.release();
  }
});

test('a failure rolls back what came before it and skips what comes after; its own error is reported', async (ctx) => {
  const client = await ctx.db.pool.connect();
  try {
    const error = await implicitTransaction(client, [
      { text: `insert into public.implicit_probe (id, note) values (10, 'before')`, values: [] },
      { text: `select 1 / $1::int`, values: [0] },
      { text: `insert into public.implicit_probe (id, note) values (11, 'after')`, values: [] },
    ]).then(() => undefined, (e: Error) => e);
    assert.match(String(error?.message), /division by zero/);
    const { rows } = await client.query(`select id from public.implicit_probe where id >= 10`);
    assert.equal(rows, []);
    assert.is((await client.query('select 1 as ok')).rows[0]!.ok, 1, 'the connection is usable again');
  } finally {
    client.release();
  }
});

test.run();
