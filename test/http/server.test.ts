import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { databaseSuite } from '../helpers/suite.js';
import { startService } from '../helpers/service-process.js';

const test = databaseSuite<{ taken?: Server }>('api: the address it listens on');

test.after(async (ctx) => {
  await new Promise((resolve) => (ctx.taken ? ctx.taken.close(resolve) : resolve(undefined)));
});

test('a taken PORT is one line naming the port and how to pick another, exit 1, no stack trace', async (ctx) => {
  const taken = createServer();
  ctx.taken = taken;
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;

  const api = startService('api', {
    DATABASE_URL: ctx.db.url,
    PORT: String(port),
    SUPABASE_JWT_SECRET: randomBytes(32).toString('hex'),
    STORAGE_DIR: await mkdtemp(path.join(tmpdir(), 'guardian-port-')),
  });
  const { code } = await api.exited;
  assert.is(code, 1);
  const lines = api.stderr().trim().split('\n');
  assert.equal(lines, [
    `guardian api: port ${port} on 127.0.0.1 is already in use (another Guardian, or another program, listens there); pick another with PORT, e.g. PORT=${port + 1} npm run api`,
  ]);
  assert.ok(api.logs.some((line) => line.msg === 'stopped'), 'it shut down what it had started');
});

test('the api binds 127.0.0.1 unless HOST says otherwise', async (ctx) => {
  const env = {
    DATABASE_URL: ctx.db.url,
    PORT: '0',
    SUPABASE_JWT_SECRET: randomBytes(32).toString('hex'),
    STORAGE_DIR: await mkdtemp(path.join(tmpdir(), 'guardian-host-')),
  };
  for (const [host, expected] of [[undefined, '127.0.0.1'], ['0.0.0.0', '0.0.0.0']] as const) {
    const api = startService('api', host ? { ...env, HOST: host } : env);
    try {
      const line = await api.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('api listening'));
      assert.is(line.host, expected);
      const answer = await fetch(`http://127.0.0.1:${line.port as number}/healthz`);
      assert.is(answer.status, 200);
    } finally {
      await api.stop();
    }
  }
});

test.run();
