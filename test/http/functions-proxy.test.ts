/**
 * The whole local path of an Edge Function: supabase-js' functions.invoke, unchanged,
 * against the api, which serves /functions/v1/<name> from the function's Deno process.
 */
import { createClient, FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import type { AuthSettings } from '../../src/config.js';
import { mintToken } from '../../src/auth/tokens.js';
import { EdgeFunctionHost } from '../../src/functions/edge-function-host.js';
import { listen } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { testAppDeps } from '../helpers/api.js';
import { config } from '../helpers/database.js';
import { createDocument, createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

interface Ctx {
  auth: AuthSettings;
  host: EdgeFunctionHost;
  api: Awaited<ReturnType<typeof listen>>;
  baseUrl: string;
  owner: string;
  profile: string;
}

const test = databaseSuite<Ctx>('http: /functions/v1 (the local Edge Functions)');

test.before(async (ctx) => {
  if (!config.edgeFunctions) throw new Error('Deno is not installed (node_modules/.bin/deno): `npm install` adds the pinned devDependency');
  const { auth, deps } = await testAppDeps(ctx.db.pool);
  ctx.auth = auth;
  ctx.host = new EdgeFunctionHost(config.edgeFunctions, { SUPABASE_DB_URL: ctx.db.url, SUPABASE_JWT_SECRET: auth.jwtSecret! }, createLogger('silent'));
  ctx.api = await listen({ ...deps, edgeFunctions: ctx.host }, 0);
  ctx.baseUrl = `http://127.0.0.1:${ctx.api.port}`;
  ctx.owner = await createUser(ctx.db.pool);
  ctx.profile = await createProfile(ctx.db.pool, ctx.owner);
});

test.after(async (ctx) => {
  await ctx.api?.close();
  await ctx.host?.close();
});

async function anonClient(ctx: Ctx): Promise<SupabaseClient> {
  return createClient(ctx.baseUrl, await mintToken(ctx.auth, { role: 'anon' }), {
    auth: { persistSession: false, autoRefreshToken: false },
    // Node 20 has no WebSocket of its own; supabase-js builds its realtime client even when unused.
    realtime: { transport: WebSocket as never /* ws's constructor type differs from the DOM one the option names */ },
  });
}

async function signedIn(ctx: Ctx, userId: string): Promise<SupabaseClient> {
  const supabase = await anonClient(ctx);
  supabase.functions.setAuth(await mintToken(ctx.auth, { userId }));
  return supabase;
}

test('functions.invoke reaches enqueue-document through the api: the document is queued with its job', async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  const supabase = await signedIn(ctx, ctx.owner);
  const { data, error } = await supabase.functions.invoke('enqueue-document', { body: { document_id: document } });
  assert.is(error, null);
  assert.equal(data, { document_id: document, status: 'queued', queued: true });
  const { rows } = await ctx.db.pool.query(`select 1 from public.job_queue where type = 'process_document' and payload->>'document_id' = $1::text`, [document]);
  assert.is(rows.length, 1);
});

test('functions.invoke reaches quick-search through the api, GET with a query too', async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  await ctx.db.pool.query(`insert into public.document_pages (document_id, profile_id, page, body) values ($1::uuid, $2::uuid, 1, 'Ferritin 8 ug/L')`, [document, ctx.profile]);
  const supabase = await signedIn(ctx, ctx.owner);
  const posted = await supabase.functions.invoke<{ results: { document_id: string }[] }>('quick-search', { body: { q: 'ferritin' } });
  assert.is(posted.error, null);
  assert.equal(posted.data?.results.map((r) => r.document_id), [document]);
  const got = await supabase.functions.invoke<{ results: unknown[] }>('quick-search?q=ferritin', { method: 'GET' });
  assert.equal(got.data, posted.data);
});

test("a function's problem reaches the client as it answered: 401 problem+json with its code", async (ctx) => {
  const supabase = await anonClient(ctx);
  const { error } = await supabase.functions.invoke('enqueue-document', { body: { document_id: '00000000-0000-4000-8000-000000000000' } });
  assert.instance(error, FunctionsHttpError);
  const response = (error as FunctionsHttpError).context as Response;
  assert.is(response.status, 401);
  assert.is(response.headers.get('content-type'), 'application/problem+json');
  assert.is(((await response.json()) as { code: string }).code, 'token_role_invalid');
});

test('the preflight is the function\'s own; an unknown function is a 404 from the api', async (ctx) => {
  const preflight = await fetch(`${ctx.baseUrl}/functions/v1/quick-search`, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } });
  assert.is(preflight.status, 200);
  assert.is(preflight.headers.get('access-control-allow-origin'), '*');
  await preflight.body?.cancel();
  for (const name of ['no-such-function', '_shared', '..']) {
    const response = await fetch(`${ctx.baseUrl}/functions/v1/${name}`, { method: 'POST' });
    assert.is(response.status, 404, name);
    assert.is(((await response.json()) as { code: string }).code, 'not_found');
  }
});

test('a function whose runtime cannot start is a 503 function_unavailable, and the api keeps serving', async (ctx) => {
  const { deps } = await testAppDeps(ctx.db.pool);
  const broken = new EdgeFunctionHost({ ...config.edgeFunctions!, deno: '/nonexistent/deno' }, {}, createLogger('silent'));
  const api = await listen({ ...deps, edgeFunctions: broken }, 0);
  try {
    const response = await fetch(`http://127.0.0.1:${api.port}/functions/v1/quick-search?q=x`);
    assert.is(response.status, 503);
    assert.is(((await response.json()) as { code: string }).code, 'function_unavailable');
    assert.is((await fetch(`http://127.0.0.1:${api.port}/healthz`)).status, 200);
  } finally {
    await api.close();
    await broken.close();
  }
});

test.run();
