/**
 * A migrated database of its own for one benchmark run, on the server DATABASE_URL
 * names (or the embedded Postgres), dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../src/config.js';
import { connectionConfig, targetFromUrl } from '../src/db/connection.js';
import { migrate } from '../src/db/migrations.js';
import { resolveDatabase } from '../src/db/pool.js';
import type { Logger } from '../src/log.js';

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function throwawayDatabase(config: Config, log: Logger): Promise<ThrowawayDatabase> {
  const server = await resolveDatabase(config, log);
  const name = `guardian_bench_${randomBytes(4).toString('hex')}`;
  // Through the connection resolver, so a remote DATABASE_URL gets verifying TLS; a session for the migration lock.
  const admin = new pg.Client(connectionConfig(server.target, { applicationName: 'guardian-bench', session: true }).config);
  await admin.connect();
  await admin.query(`create database ${admin.escapeIdentifier(name)}`);
  const url = Object.assign(new URL(server.target.sessionUrl), { pathname: `/${name}` }).toString();
  const client = new pg.Client(connectionConfig(targetFromUrl(url, server.target.extraCa), { applicationName: 'guardian-bench', session: true }).config);
  await client.connect();
  try {
    await migrate(client, { dir: path.join(config.projectRoot, 'supabase', 'migrations') });
  } finally {
    await client.end();
  }
  return {
    name,
    url,
    async drop() {
      await admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`);
      await admin.end();
      await server.stop();
    },
  };
}
