/**
 * One transaction: commit when `work` resolves, roll back when it throws. Every
 * multi-statement unit of work in the project goes through here (the caller pool's
 * per-request transactions excepted: they are sent pipelined, src/db/caller-pool.ts).
 */
import type pg from 'pg';

/** On a client the caller already holds (a migration's connection, a session lock's). */
export async function transactionOn<T>(client: pg.ClientBase, work: () => Promise<T>, begin = 'begin'): Promise<T> {
  await client.query(begin);
  try {
    const result = await work();
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

/** On a pooled connection, released either way. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'begin',
): Promise<T> {
  const client = await pool.connect();
  try {
    return await transactionOn(client, () => work(client), begin);
  } finally {
    client.release();
  }
}
