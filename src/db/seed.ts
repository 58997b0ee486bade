/** Loads supabase/seed.sql (idempotent demo data) in one transaction. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { transactionOn } from './transaction.js';

export async function loadSeed(client: pg.ClientBase, projectRoot: string): Promise<void> {
  const sql = await readFile(path.join(projectRoot, 'supabase', 'seed.sql'), 'utf8');
  await transactionOn(client, () => client.query(sql));
}
