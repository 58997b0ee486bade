import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../src/config.js';

const test = suite('config: the local Edge Functions');
const ON_RENDER = { RENDER: 'true', SUPABASE_JWT_SECRET: 'x'.repeat(40) };

test('served locally by the pinned Deno, with its cache in .data/deno', () => {
  const settings = loadConfig({}).edgeFunctions;
  assert.ok(settings, 'the deno devDependency is installed');
  assert.ok(settings.deno.endsWith('/node_modules/.bin/deno'));
  assert.ok(settings.functionsDir.endsWith('/supabase/functions'));
  assert.ok(settings.denoDir.endsWith('/.data/deno'));
  assert.ok(loadConfig({ DENO_DIR: '/tmp/deno-cache' }).edgeFunctions?.denoDir === '/tmp/deno-cache');
  assert.is(loadConfig({ EDGE_FUNCTIONS_LOCAL: 'false' }).edgeFunctions, undefined);
});

test('never on Render, where Supabase hosts them: asking for them there is refused', () => {
  assert.is(loadConfig(ON_RENDER).edgeFunctions, undefined);
  assert.throws(() => loadConfig({ ...ON_RENDER, EDGE_FUNCTIONS_LOCAL: 'true' }), /EDGE_FUNCTIONS_LOCAL: is refused on Render/);
});

test('a Deno path that does not exist is named; with the functions off it is never looked at', () => {
  assert.throws(() => loadConfig({ DENO_PATH: '/nonexistent/deno' }), /DENO_PATH: no Deno binary at \/nonexistent\/deno/);
  assert.is(loadConfig({ DENO_PATH: '/nonexistent/deno', EDGE_FUNCTIONS_LOCAL: 'false' }).edgeFunctions, undefined, 'off needs no Deno');
});

test.run();
