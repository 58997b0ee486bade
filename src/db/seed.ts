/** Loads supabase/seed.sql (idempotent demo data) in one transaction. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';

export async function loadSeed(client: pg.ClientBase, projectRoot: string): Promise<void> {
  const sql = await readFile(path.join(projectRoot, 'supabase', 'seed.sql'), 'utf8');
  await client.query('begin');
  try {
    await client.query(sql);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}
