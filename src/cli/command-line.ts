/**
 * The one argument parser of every command (`node:util` parseArgs, strict): `--help`/`-h`
 * prints the usage on stdout and exits 0 before anything runs, and an unknown option or a
 * missing value is one line on stderr with the usage and exit code 2 (a usage error, as
 * sysexits and most shells' tools treat it), so a typo never runs an action by accident.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>;

/** sysexits.h EX_USAGE is 64, but 2 is what shells, getopt tools and our token CLI already use. */
export const EXIT_USAGE = 2;

export interface CommandLine<O extends Options> {
  values: Parsed<O>['values'];
  positionals: string[];
}

/** A usage error: `problem` and the usage on stderr, then exit code EXIT_USAGE. */
export function usageError(command: { name: string; usage: string }, problem: string): never {
  process.stderr.write(`${command.name}: ${problem}\n${command.usage}\n`);
  process.exit(EXIT_USAGE);
}

export function parseCommandLine<const O extends Options>(spec: {
  /** The command's name, as it prefixes its errors ("extract: …"). */
  name: string;
  /** The usage text, from "usage: npm run …" on. */
  usage: string;
  options?: O;
  /** How many positional arguments the command takes at most (default none). */
  maxPositionals?: number;
  /** Default process.argv.slice(2). */
  args?: string[];
}): CommandLine<O> {
  const args = spec.args ?? process.argv.slice(2);
  // Help first, so `--help` beside an otherwise bad line still only prints the usage.
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${spec.usage}\n`);
    process.exit(0);
  }
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args, options: (spec.options ?? {}) as O, strict: true, allowPositionals: true });
  } catch (error) {
    // Its first sentence: parseArgs goes on about positionals after `--`, which none of ours take.
    return usageError(spec, (error as Error).message.split('. ')[0]!);
  }
  const max = spec.maxPositionals ?? 0;
  if (parsed.positionals.length > max) {
    usageError(spec, max === 0 ? `takes no arguments, got "${parsed.positionals.join(' ')}"` : `too many arguments: "${parsed.positionals.slice(max).join(' ')}"`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}
