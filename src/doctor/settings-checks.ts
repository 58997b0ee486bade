/**
 * Checks on the settings alone, before anything is contacted: what a deployment on Render
 * against Supabase gets wrong most often.
 */
import type { Config } from '../config.js';
import { error, ok, warn, type Finding } from './finding.js';

const POOL_MODE_MEANING: Record<Config['databasePoolMode'], string> = {
  direct: 'DATABASE_URL connects directly (no pooler): every feature works on its connections',
  session: 'DATABASE_URL is a session-mode pooler: connections keep their session; no startup options are sent',
  transaction: 'DATABASE_URL is a transaction-mode pooler: requests set role and claims per transaction; LISTEN, migrations and rebuilds use DATABASE_LISTEN_URL',
};

/** Supabase's direct database host: IPv6 only, which Render cannot reach. */
const SUPABASE_DIRECT_HOST = /^db\.[a-z0-9]+\.supabase\.co$/i;

export function settingsChecks(config: Config, onRender: boolean): Finding[] {
  const findings: Finding[] = [];
  const url = config.databaseUrl;
  if (!url) {
    findings.push(onRender
      ? error('settings', 'DATABASE_URL is not set', 'set DATABASE_URL to the Supavisor pooler URL (Supabase: Connect → Connection pooling)')
      : warn('settings', 'DATABASE_URL is not set: the embedded Postgres (a local convenience) would be used', 'set DATABASE_URL to check a deployment'));
    return findings;
  }
  for (const [variable, value] of [['DATABASE_URL', url], ['DATABASE_LISTEN_URL', config.databaseListenUrl]] as const) {
    if (!value) continue;
    const host = new URL(value).hostname;
    if (SUPABASE_DIRECT_HOST.test(host)) {
      findings.push((onRender ? error : warn)(
        'connection',
        `${variable} names Supabase's direct host ${host}, which has only an IPv6 address${onRender ? ' (Render has no outbound IPv6)' : ''}`,
        `use the Supavisor pooler URL instead (aws-0-<region>.pooler.supabase.com: port ${variable === 'DATABASE_URL' ? '6543 for transaction mode, or 5432 for session mode' : '5432, session mode'})`,
      ));
    } else {
      findings.push(ok('settings', `${variable} names ${host}`));
    }
  }
  findings.push(ok('connection', POOL_MODE_MEANING[config.databasePoolMode]));
  const { auth, documents } = config;
  if (auth.jwksUrl) findings.push(ok('keys', `user tokens are verified with the signing keys at ${auth.jwksUrl}`));
  else if (auth.jwtSecret) findings.push(warn('keys', 'user tokens are verified with the legacy HS256 secret only', 'set SUPABASE_URL (or SUPABASE_JWKS_URL) so tokens signed with the project\'s asymmetric keys are accepted'));
  else findings.push((onRender ? error : warn)('keys', 'no way to verify user tokens is configured', 'set SUPABASE_URL (its JWKS is then used) or SUPABASE_JWT_SECRET'));
  if (auth.secretKeys.length === 0) {
    findings.push(warn('keys', 'no SUPABASE_SECRET_KEY: service endpoints accept only a legacy service_role JWT', 'set SUPABASE_SECRET_KEY to the project\'s sb_secret_… key'));
  }
  if (documents.supabaseUrl && documents.supabaseKey && !documents.supabaseKey.startsWith('sb_secret_')) {
    findings.push(warn('keys', 'Storage is called with the legacy service_role JWT', 'set SUPABASE_SECRET_KEY (sb_secret_…): the legacy keys are being retired'));
  }
  if (!documents.supabaseUrl) {
    findings.push((onRender ? error : warn)('storage', 'SUPABASE_URL is not set: files are kept in a local folder', 'set SUPABASE_URL and SUPABASE_SECRET_KEY so files live in Supabase Storage'));
  }
  return findings;
}
