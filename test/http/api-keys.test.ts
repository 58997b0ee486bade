/**
 * The project's new API keys. A secret key (sb_secret_…) is the
 * service role on service endpoints, as the legacy service_role JWT is; a publishable
 * key (sb_publishable_…) is anon; keys of another project are refused.
 */
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import { verifyApiKey } from '../../src/auth/api-keys.js';
import { AuthError } from '../../src/auth/tokens.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createUser } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const SECRET = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';
const ROTATED = 'sb_secret_3xAmpLeOfAnOlderKeyStillValid01';
const PUBLISHABLE = 'sb_publishable_ZaZQ6pV0b8oMt7dO2Cz1Mg_3Yg8C1cL';

const test = databaseSuite<{ api: TestApi }>('api: Supabase API keys');

test.before(async (ctx) => {
  ctx.api = await createTestApi(ctx.db, { auth: { secretKeys: [SECRET, ROTATED], publishableKeys: [PUBLISHABLE] } });
});

test('settings: keys are read with their prefixes; SUPABASE_URL names the JWKS and the issuer unless they are given', () => {
  const config = loadConfig({
    SUPABASE_URL: 'https://abcd.supabase.co',
    SUPABASE_SECRET_KEY: `${SECRET}, ${ROTATED}`,
    SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE,
  });
  assert.equal(config.auth.secretKeys, [SECRET, ROTATED]);
  assert.equal(config.auth.publishableKeys, [PUBLISHABLE]);
  assert.is(config.auth.jwksUrl, 'https://abcd.supabase.co/auth/v1/.well-known/jwks.json');
  assert.is(config.auth.issuer, 'https://abcd.supabase.co/auth/v1');
  assert.is(config.documents.supabaseKey, SECRET, 'Storage is called with the secret key');
  assert.is(config.http.appRealtime.publishableKey, PUBLISHABLE);
  const legacy = loadConfig({ SUPABASE_URL: 'https://abcd.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'eyJ.legacy.jwt', SUPABASE_ANON_KEY: 'eyJ.anon.jwt',
    SUPABASE_JWKS_URL: 'https://auth.example.org/jwks.json', JWT_ISSUER: 'https://auth.example.org' });
  assert.equal([legacy.documents.supabaseKey, legacy.http.appRealtime.publishableKey], ['eyJ.legacy.jwt', 'eyJ.anon.jwt']);
  assert.equal([legacy.auth.jwksUrl, legacy.auth.issuer], ['https://auth.example.org/jwks.json', 'https://auth.example.org']);
  assert.throws(() => loadConfig({ SUPABASE_SECRET_KEY: 'sb_publishable_wrongkindofkey0123456' }), /SUPABASE_SECRET_KEY: expected keys that start with sb_secret_/);
  assert.throws(() => loadConfig({ SUPABASE_URL: 'https://abcd.supabase.co' }), /SUPABASE_SECRET_KEY: is required when SUPABASE_URL is set/);
});

test('a secret key is the service role, a publishable key anon; anything else with the prefix is refused', () => {
  const settings = { secretKeys: [SECRET, ROTATED], publishableKeys: [PUBLISHABLE] };
  assert.is(verifyApiKey(SECRET, settings).caller.role, 'service_role');
  assert.is(verifyApiKey(ROTATED, settings).caller.role, 'service_role');
  assert.is(verifyApiKey(PUBLISHABLE, settings).caller.role, 'anon');
  for (const wrong of [`${SECRET}x`, SECRET.slice(0, -1), 'sb_secret_', PUBLISHABLE.replace('publishable', 'secret'), 'sb_other_key']) {
    assert.throws(() => verifyApiKey(wrong, settings), (error: AuthError) => error.code === 'token_invalid', wrong);
  }
  assert.throws(() => verifyApiKey(SECRET, { secretKeys: [], publishableKeys: [] }), (error: AuthError) => error.code === 'token_invalid');
});

test('service endpoints take a secret key as a bearer token or an apikey header, like the legacy service_role JWT', async ({ api }) => {
  const asBearer = await api.request.get('/api/admin/queue').set('Authorization', `Bearer ${SECRET}`);
  assert.is(asBearer.status, 200);
  const asApikey = await api.request.get('/api/admin/queue').set('apikey', ROTATED);
  assert.is(asApikey.status, 200);
  const legacy = await api.request.get('/api/admin/queue').set('Authorization', `Bearer ${await api.serviceToken()}`);
  assert.is(legacy.status, 200);
  const wrong = await api.request.get('/api/admin/queue').set('apikey', 'sb_secret_not-this-projects-key-000000');
  assert.equal([wrong.status, wrong.body.code], [401, 'token_invalid']);
  const publishable = await api.request.get('/api/admin/queue').set('apikey', PUBLISHABLE);
  assert.equal([publishable.status, publishable.body.code], [403, 'service_role_required']);
});

test('a user token in Authorization wins over a publishable apikey header sent beside it, as supabase-js sends both', async ({ api, db }) => {
  const user = await createUser(db.pool);
  const r = await api.request.get('/api/profiles').set('apikey', PUBLISHABLE).set('Authorization', `Bearer ${await api.tokenFor(user)}`);
  assert.is(r.status, 200);
  const anon = await api.request.get('/api/profiles').set('apikey', PUBLISHABLE);
  assert.equal([anon.status, anon.body.code], [403, 'role_not_allowed']);
});

test.run();
