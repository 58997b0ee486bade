/**
 * `npm run -s token -- --user <uuid> [--role authenticated|service_role|anon] [--expires 3600] [--email x]`
 *
 * Mints a local development token (HS256, Supabase-shaped) with SUPABASE_JWT_SECRET, or
 * with the dev secret in .data/jwt-secret when that is unset. Prints ONLY the token on
 * stdout, so `TOKEN=$(npm run -s token -- --user …)` works (`-s` silences npm's banner).
 * Usage errors go to stderr with exit code 2; other failures exit 1. No database needed.
 *
 * Demo users (supabase/seed.sql):
 *   00000000-0000-4000-8000-000000000001  Alex
 *   00000000-0000-4000-8000-000000000002  Jordan
 *   00000000-0000-4000-8000-000000000003  Dr Lee (a provider)
 */
import { loadConfig } from '../config.js';
import { mintToken } from '../auth/tokens.js';
import { parseCommandLine, usageError } from './command-line.js';

const USAGE = 'usage: npm run -s token -- --user <uuid> [--role authenticated|service_role|anon] [--expires <seconds>] [--email <address>]';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// 31 days: long enough for any local session, short enough that a pasted token goes stale.
const MAX_EXPIRES_SECONDS = 31 * 24 * 3600;

const COMMAND = { name: 'token', usage: USAGE };

function usage(problem: string): never {
  return usageError(COMMAND, problem);
}

const { values } = parseCommandLine({
  ...COMMAND,
  options: {
    user: { type: 'string' },
    role: { type: 'string' },
    expires: { type: 'string' },
    email: { type: 'string' },
  },
});
const role = values.role ?? 'authenticated';
// anon: the project's public api key, as supabase-js clients pass it (`apikey`).
if (role !== 'authenticated' && role !== 'service_role' && role !== 'anon') usage(`--role must be authenticated, service_role or anon, got "${role}"`);
if (role === 'authenticated' && values.user === undefined) usage('--user <uuid> is required');
if (values.user !== undefined && !UUID.test(values.user)) usage(`--user must be a uuid, got "${values.user}"`);
const expires = values.expires ?? '3600';
if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_SECONDS) {
  usage(`--expires must be a whole number of seconds from 1 to ${MAX_EXPIRES_SECONDS}`);
}

try {
  // A development token tool: the local secret is allowed unless GUARDIAN_ENV=production or a key is configured.
  const config = loadConfig(undefined, { defaultEnvironment: 'development' });
  const token = await mintToken(config.auth, {
    userId: values.user,
    role,
    email: values.email,
    expiresInSeconds: Number(expires),
  });
  process.stdout.write(`${token}\n`);
} catch (error) {
  process.stderr.write(`token: ${(error as Error).message}\n`);
  process.exit(1);
}
