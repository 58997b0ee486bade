/** Test helper process: migrates DATABASE_URL from the folder given as argument. */
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { migrate } from '../../src/db/migrations.js';

const config = loadConfig();
const client = new pg.Client({ connectionString: config.databaseUrl });
await client.connect();
try {
  await migrate(client, { dir: process.argv[2]!, log: createLogger(config.logLevel) });
} finally {
  await client.end();
}
