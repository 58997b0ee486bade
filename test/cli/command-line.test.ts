import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import { config } from '../helpers/database.js';

const run = promisify(execFile);
const test = suite('command lines: --help and unknown options');

/**
 * Every command, with a database that cannot be reached: whatever touches it fails (exit 1)
 * or waits, so exit 0 with the usage proves --help ran nothing.
 */
const COMMANDS: Record<string, string> = {
  start: 'src/main.ts',
  api: 'src/api.ts',
  worker: 'src/worker.ts',
  cron: 'src/cron.ts',
  migrate: 'src/cli/migrate.ts',
  doctor: 'src/cli/doctor.ts',
  jobs: 'src/cli/jobs.ts',
  journey: 'src/cli/journey.ts',
  extract: 'src/cli/extract.ts',
  token: 'src/cli/token.ts',
};
const UNREACHABLE = 'postgres://nobody:nothing@127.0.0.1:1/nowhere?sslmode=disable';

async function command(file: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATABASE_URL: UNREACHABLE, LOG_LEVEL: 'info' };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, file), ...args], {
      cwd: config.projectRoot,
      env,
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('--help and -h print the usage on stdout, exit 0 and run nothing', async () => {
  for (const [name, file] of Object.entries(COMMANDS)) {
    const help = await command(file, name === 'cron' ? '-h' : '--help');
    assert.is(help.code, 0, `${name} --help exits 0 (stderr: ${help.stderr})`);
    assert.match(help.stdout, /^usage: npm (start|run)/, `${name} prints its usage`);
    assert.is(help.stderr, '', `${name} --help says nothing else`);
    assert.not.match(help.stdout, /"level"/, `${name} --help logs nothing (it started nothing)`);
  }
});

test('an unknown option is one clear line, the usage, and exit code 2', async () => {
  for (const [name, file] of Object.entries(COMMANDS)) {
    const bad = await command(file, '--bogus');
    assert.is(bad.code, 2, `${name} --bogus exits 2`);
    assert.match(bad.stderr, new RegExp(`^${name}: Unknown option '--bogus'\n`), `${name} names the option, in one line`);
    assert.match(bad.stderr, /\nusage: npm (start|run)/, `${name} shows its usage`);
    assert.is(bad.stdout, '');
  }
});

test('a command that takes no arguments refuses one; a bad subcommand is a usage error before any connection', async () => {
  const cron = await command(COMMANDS.cron!, 'now');
  assert.is(cron.code, 2);
  assert.match(cron.stderr, /^cron: takes no arguments, got "now"/);
  const jobs = await command(COMMANDS.jobs!, 'retry');
  assert.is(jobs.code, 2);
  assert.match(jobs.stderr, /^jobs: retry needs a job id/);
  const journey = await command(COMMANDS.journey!, 'evaluate', '--all');
  assert.is(journey.code, 2);
  assert.match(journey.stderr, /^journey: cannot run "evaluate --all"/);
});

test.run();
