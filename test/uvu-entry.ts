/**
 * Runs the uvu suites selected by test/run.ts, then exits: a handle a test forgot to
 * close (a worker thread, a socket) must not hang CI after the last result is
 * printed. uvu sets process.exitCode on failure.
 */
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';

const [dir = 'test', pattern = '\\.test\\.ts$'] = process.argv.slice(2);
const { suites } = await parse(dir, pattern, {});
await run(suites, { bail: false });
process.exit(process.exitCode ?? 0);
