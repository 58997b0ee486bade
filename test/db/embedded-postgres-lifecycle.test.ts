import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { suite } from 'uvu';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.js';
import { processAlive, runningPostmaster } from '../../src/db/postmaster.js';
import { createLogger } from '../../src/log.js';
import { config } from '../helpers/database.js';
import { until } from '../helpers/suite.js';

const run = promisify(execFile);
const test = suite<{ dir: string; db?: EmbeddedDatabase }>('embedded Postgres: never left running unowned', { dir: '' });
const log = createLogger('silent');

/** A process that starts the embedded cluster in `dir`, prints its pid, then does `then`. */
function starter(dir: string, then: 'crash' | 'wait') {
  const code = [
    `const { startEmbeddedPostgres } = await import(${JSON.stringify(path.join(config.projectRoot, 'src', 'db', 'embedded-postgres.ts'))});`,
    `const { createLogger } = await import(${JSON.stringify(path.join(config.projectRoot, 'src', 'log.ts'))});`,
    `const db = await startEmbeddedPostgres({ dir: ${JSON.stringify(dir)}, port: 0, log: createLogger('silent') });`,
    `process.stdout.write(db.pid + '\\n');`,
    then === 'crash' ? `throw new Error('a crash after start');` : `setInterval(() => {}, 1000);`,
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: config.projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, pid: () => until(() => Number(out.trim()) || undefined, 120_000, 50) };
}

async function dbStop(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, EMBEDDED_PG_DIR: dir, DATABASE_URL: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'src', 'cli', 'db-stop.ts'), ...args], { cwd: config.projectRoot, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('select 1 as one')).rows[0]?.one === 1;
  } finally {
    await client.end();
  }
}

test.before(async (ctx) => {
  // One cluster for the suite (initdb is slow), under the project's .data: as root the
  // cluster runs as `postgres`, who cannot reach a mkdtemp folder under /tmp.
  ctx.dir = path.join(config.projectRoot, '.data', `lifecycle-postgres-${randomBytes(4).toString('hex')}`);
});

test.after(async (ctx) => {
  await ctx.db?.stop();
  const left = await runningPostmaster(path.join(ctx.dir, 'data'));
  if (left) process.kill(left.pid, 'SIGQUIT');
  await rm(ctx.dir, { recursive: true, force: true });
});

test('a crash after start still stops the cluster (the exit hook)', async ({ dir }) => {
  const crashing = starter(dir, 'crash');
  const pid = await crashing.pid();
  await new Promise((resolve) => crashing.child.once('exit', resolve));
  await until(() => !processAlive(pid), 30_000, 50);
  assert.is(await runningPostmaster(path.join(dir, 'data')), undefined);
});

test('Ctrl-C or SIGTERM to a command with no shutdown of its own (npm run migrate) still stops the cluster', async ({ dir }) => {
  const command = starter(dir, 'wait');
  const pid = await command.pid();
  command.child.kill('SIGINT');
  const code = await new Promise((resolve) => command.child.once('exit', (c) => resolve(c)));
  assert.is(code, 130);
  await until(() => !processAlive(pid), 30_000, 50);
});

test('a cluster whose owner was killed outright is adopted by the next start, which stops it', async (ctx) => {
  const killed = starter(ctx.dir, 'wait');
  const pid = await killed.pid();
  killed.child.kill('SIGKILL');
  await new Promise((resolve) => killed.child.once('exit', resolve));
  assert.ok(processAlive(pid), 'kill -9 leaves the server running');

  ctx.db = await startEmbeddedPostgres({ dir: ctx.dir, port: 0, log });
  assert.is(ctx.db.pid, pid, 'the running server was adopted, not a second one started');
  assert.ok(await answers(ctx.db.url));
  assert.is((await readFile(path.join(ctx.dir, 'owner.pid'), 'utf8')).trim(), String(process.pid));
  await ctx.db.stop();
  ctx.db = undefined;
  assert.not.ok(processAlive(pid), 'the adopter stopped it');
});

test('a cluster whose owner is alive (npm start beside npm run jobs) is shared, and left running when the sharer stops', async ({ dir }) => {
  const owner = starter(dir, 'wait');
  const pid = await owner.pid();
  try {
    const shared = await startEmbeddedPostgres({ dir, port: 0, log });
    assert.is(shared.pid, pid);
    assert.ok(await answers(shared.url));
    await shared.stop();
    assert.ok(processAlive(pid), "the sharer leaves it to its owner");
  } finally {
    owner.child.kill('SIGKILL');
    await new Promise((resolve) => owner.child.once('exit', resolve));
  }
  // Its owner killed outright, the server is still up: the next test's start adopts it.
});

test('npm run db:stop: leaves an owned cluster to its owner unless --force, stops it, then says it is not running', async (ctx) => {
  ctx.db = await startEmbeddedPostgres({ dir: ctx.dir, port: 0, log });
  const pid = ctx.db.pid;
  const refused = await dbStop(ctx.dir);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`in use by process ${process.pid}.*db:stop -- --force`));
  assert.ok(processAlive(pid));

  const forced = await dbStop(ctx.dir, '--force');
  assert.is(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, new RegExp(`^stopped the embedded Postgres in .*lifecycle-postgres-\\w+ \\(pid ${pid}, port \\d+\\)`));
  assert.not.ok(processAlive(pid));
  ctx.db = undefined;

  const idle = await dbStop(ctx.dir);
  assert.is(idle.code, 0);
  assert.match(idle.stdout, /is not running/);
});

test('npm run db:stop stops a cluster whose owner is gone', async ({ dir }) => {
  const killed = starter(dir, 'wait');
  const pid = await killed.pid();
  killed.child.kill('SIGKILL');
  await new Promise((resolve) => killed.child.once('exit', resolve));
  const stopped = await dbStop(dir);
  assert.is(stopped.code, 0, stopped.stderr);
  assert.not.ok(processAlive(pid));
});

test.run();
