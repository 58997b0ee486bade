import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import { runningPostmaster } from '../src/db/postmaster.js';
import { config } from './helpers/database.js';
import { startCommandLine, type ServiceProcess } from './helpers/service-process.js';

const test = suite<{ dir: string; main?: ServiceProcess }>('Ctrl-C on npm start', { dir: '' });

test.before(async (ctx) => {
  // Under the project's .data: as root the cluster runs as `postgres`, who cannot reach /tmp's mkdtemp folders.
  ctx.dir = path.join(config.projectRoot, '.data', `shutdown-postgres-${randomBytes(4).toString('hex')}`);
});

test.after(async (ctx) => {
  await ctx.main?.stop();
  const left = await runningPostmaster(path.join(ctx.dir, 'data'));
  if (left) process.kill(left.pid, 'SIGQUIT');
  await rm(ctx.dir, { recursive: true, force: true });
});

test('Ctrl-C (SIGINT to the whole process group, twice, as launchers relay it) stops everything quietly and in order', async (ctx) => {
  // The whole process group gets the signal, as a terminal sends it: the embedded
  // Postgres must not hear it and go first, cutting the pool's and the worker's connections.
  const main = startCommandLine('main', `${process.execPath} --import tsx src/main.ts`, {
    cwd: config.projectRoot,
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'info',
      PORT: '0',
      EMBEDDED_PG_DIR: ctx.dir,
      STORAGE_DIR: await mkdtemp(path.join(tmpdir(), 'guardian-shutdown-')),
    },
  });
  ctx.main = main;
  await main.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('api listening'), 120_000);
  const pid = main.child.pid!;
  process.kill(-pid, 'SIGINT');
  process.kill(-pid, 'SIGINT');
  const { code } = await main.exited;
  assert.is(code, 0);
  const after = main.logs.slice(main.logs.findIndex((line) => line.msg === 'shutting down'));
  assert.equal(after.filter((line) => line.level !== 'info').map((line) => line.msg), [], 'no warnings or errors while stopping');
  assert.equal(after.map((line) => line.msg).filter((msg) => msg === 'embedded postgres stopped' || msg === 'stopped'), ['embedded postgres stopped', 'stopped']);
  assert.is(await runningPostmaster(path.join(ctx.dir, 'data')), undefined);
});

test.run();
