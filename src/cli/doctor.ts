/**
 * `npm run doctor`: checks a deployment's settings against its live database and says
 * what is wrong and how to fix it: the connection (TLS, a host Render cannot reach), the
 * Supabase roles and grants, row-level security, migrations, the documents bucket, the
 * signing keys and the realtime publication. Exits 1 when anything is an error.
 *
 * Run it with the service's environment (Render: its Shell, or locally with the same
 * variables). It never starts the embedded Postgres and changes nothing.
 * `--json` prints {findings, errors, warnings} instead of lines.
 */
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createPool, createSessionClient, resolveDatabase } from '../db/pool.js';
import { databaseChecks, unreachable } from '../doctor/database-checks.js';
import { error, ok, type Finding } from '../doctor/finding.js';
import { keysChecks } from '../doctor/keys-checks.js';
import { settingsChecks } from '../doctor/settings-checks.js';
import { createLogger } from '../log.js';
import { parseCommandLine } from './command-line.js';

const { values } = parseCommandLine({
  name: 'doctor',
  usage: 'usage: npm run doctor [-- --json]\n\nChecks the settings against the live database and says what to fix; exits 1 on any error.',
  options: { json: { type: 'boolean' } },
});
const json = values.json === true;

async function examine(): Promise<Finding[]> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (reason) {
    if (reason instanceof ConfigError) return [error('settings', reason.message, `fix ${reason.variable} (see the README's configuration table)`)];
    throw reason;
  }
  const findings = settingsChecks(config, config.onRender);
  // A host already known to be unreachable from here is not tried (it would only time out).
  const unreachableHost = findings.some((f) => f.area === 'connection' && f.severity === 'error');
  if (config.databaseUrl && !unreachableHost) {
    // The connections the services make: DATABASE_URL's pool (TLS, pool mode, DATABASE_CA)…
    const { target } = await resolveDatabase(config, createLogger('silent'));
    const pool = createPool(target, 1, createLogger('silent'));
    try {
      const client = await pool.connect();
      try {
        findings.push(...(await databaseChecks(client, {
          host: new URL(config.databaseUrl).hostname,
          migrationsDir: path.join(config.projectRoot, 'supabase', 'migrations'),
        })));
      } finally {
        client.release();
      }
    } catch (reason) {
      // The reason's class and code only: a driver message can carry the connection string's parts.
      const { name, code } = reason as { name?: string; code?: string };
      findings.push(unreachable(code ? `${name ?? 'Error'} ${code}` : (name ?? 'unknown error')));
    } finally {
      await pool.end().catch(() => undefined);
    }
    // … and the session one LISTEN and migrations use, when it is another URL.
    if (target.sessionUrl !== target.url) findings.push(await sessionCheck(target));
  }
  findings.push(...(await keysChecks(config.auth)));
  return findings;
}

async function sessionCheck(target: Parameters<typeof createSessionClient>[0]): Promise<Finding> {
  const client = createSessionClient(target, 'guardian-doctor');
  client.on('error', () => undefined);
  try {
    await client.connect();
    // LISTEN is what the session is for; a transaction pooler would accept it and deliver nothing.
    await client.query('listen guardian_doctor; unlisten guardian_doctor');
    return ok('connection', 'DATABASE_LISTEN_URL connects, and LISTEN works on it');
  } catch (reason) {
    const { name, code } = reason as { name?: string; code?: string };
    return error('connection', `DATABASE_LISTEN_URL cannot be used (${code ? `${name ?? 'Error'} ${code}` : (name ?? 'unknown error')})`, 'set it to the session pooler (port 5432) or the direct host');
  } finally {
    await client.end().catch(() => undefined);
  }
}

const findings = await examine();
const errors = findings.filter((f) => f.severity === 'error').length;
const warnings = findings.filter((f) => f.severity === 'warn').length;
if (json) {
  console.log(JSON.stringify({ findings, errors, warnings }));
} else {
  const mark = { ok: '✓', warn: '!', error: '✗' } as const;
  for (const f of findings) {
    console.log(`${mark[f.severity]} ${f.area}: ${f.message}`);
    if (f.fix) console.log(`    fix: ${f.fix}`);
  }
  console.log(errors === 0 ? `no errors${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}` : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
}
process.exit(errors > 0 ? 1 : 0);
