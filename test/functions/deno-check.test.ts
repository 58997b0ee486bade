/**
 * The api's `tsc` does not see supabase/functions (Deno code): Deno's own type check and
 * linter do, as `supabase functions deploy` would meet the code.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { denoEnvironment, DENO_RESOLUTION_FLAGS, EdgeFunctionHost } from '../../src/functions/edge-function-host.js';
import { createLogger } from '../../src/log.js';
import { config } from '../helpers/database.js';

const test = suite('functions: deno check and deno lint');

async function deno(args: string[]): Promise<{ ok: boolean; output: string }> {
  const settings = config.edgeFunctions;
  if (!settings) throw new Error('Deno is not installed (node_modules/.bin/deno)');
  try {
    const { stdout, stderr } = await promisify(execFile)(settings.deno, args, {
      cwd: settings.functionsDir, env: { PATH: process.env.PATH, ...denoEnvironment(settings) }, maxBuffer: 16 * 1024 * 1024,
    });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

async function entryPoints(): Promise<string[]> {
  const settings = config.edgeFunctions!;
  const names = await new EdgeFunctionHost(settings, {}, createLogger('silent')).names();
  return names.map((name) => path.join(settings.functionsDir, name, 'index.ts'));
}

test('every function type-checks under Deno', async () => {
  const result = await deno(['check', ...DENO_RESOLUTION_FLAGS, ...(await entryPoints())]);
  assert.ok(result.ok, result.output);
});

test('deno lint finds nothing', async () => {
  const result = await deno(['lint', config.edgeFunctions!.functionsDir]);
  assert.ok(result.ok, result.output);
});

test.run();
