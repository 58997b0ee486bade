/**
 * The local host of the Edge Functions: one Deno process per function, started on first
 * use (once, however many requests arrive together), and gone after close.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { denoEnvironment, DENO_RESOLUTION_FLAGS, EdgeFunctionHost, EdgeFunctionStartError } from '../../src/functions/edge-function-host.js';
import { createLogger } from '../../src/log.js';
import { config } from '../helpers/database.js';
import { rejection, until } from '../helpers/suite.js';

const test = suite('functions: the local Edge Function host');

function host(overrides: Partial<NonNullable<typeof config.edgeFunctions>> = {}): EdgeFunctionHost {
  if (!config.edgeFunctions) throw new Error('Deno is not installed (node_modules/.bin/deno)');
  return new EdgeFunctionHost({ ...config.edgeFunctions, ...overrides }, {}, createLogger('silent'));
}

test('it knows the functions of supabase/functions, and nothing else by that name', async () => {
  const functions = host();
  assert.equal(await functions.names(), ['enqueue-document', 'quick-search']);
  for (const name of ['_shared', '..', 'no-such-function', 'quick-search/../_shared']) assert.is(await functions.has(name), false, name);
  await functions.close();
});

test('requests arriving together start one process, which answers; close stops it', async () => {
  const functions = host();
  const origins = await Promise.all([functions.origin('quick-search'), functions.origin('quick-search'), functions.origin('quick-search')]);
  assert.is(new Set(origins).size, 1);
  const answer = await fetch(`${origins[0]}/quick-search`, { method: 'OPTIONS' });
  assert.is(answer.status, 200);
  await answer.body?.cancel();
  await functions.close();
  await until(async () => (await rejection(fetch(`${origins[0]}/quick-search`, { method: 'OPTIONS' }))) instanceof Error);
  assert.instance(await rejection(functions.origin('quick-search')), EdgeFunctionStartError);
});

test('a runtime that cannot start is an EdgeFunctionStartError, and the next request tries again', async () => {
  const functions = host({ deno: '/nonexistent/deno' });
  const first = await rejection(functions.origin('quick-search'));
  assert.instance(first, EdgeFunctionStartError);
  assert.match(first.message, /quick-search/);
  assert.instance(await rejection(functions.origin('quick-search')), EdgeFunctionStartError);
  await functions.close();
});

test('a function\'s npm packages come from the registry at their pinned versions, not from the project\'s node_modules', async () => {
  const settings = config.edgeFunctions!;
  const { stdout } = await promisify(execFile)(settings.deno, ['info', '--json', ...DENO_RESOLUTION_FLAGS, path.join(settings.functionsDir, 'quick-search', 'index.ts')], {
    env: { PATH: process.env.PATH, ...denoEnvironment(settings) }, maxBuffer: 16 * 1024 * 1024,
  });
  const info = JSON.parse(stdout) as { modules: { specifier: string }[]; npmPackages?: Record<string, unknown> };
  const fromNodeModules = info.modules.map((m) => m.specifier).filter((s) => s.includes('/node_modules/'));
  assert.equal(fromNodeModules, []);
  const packages = Object.keys(info.npmPackages ?? {});
  assert.ok(packages.includes('jose@6.2.18') && packages.includes('pg@8.23.1'), packages.join(', '));
});

test.run();
