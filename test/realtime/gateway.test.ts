/**
 * The realtime gateway against the unmodified @supabase/supabase-js client, over
 * vsn 2.0.0 and 1.0.0, on the real api server. Changes are faked through the
 * registry (the Postgres feed is tested on its own).
 */
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { databaseSuite, until } from '../helpers/suite.js';
import { testAppDeps } from '../helpers/api.js';
import { listen } from '../../src/http/server.js';
import { mintToken } from '../../src/auth/tokens.js';
import type { AuthSettings } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { MAX_CHANNELS_PER_SOCKET } from '../../src/realtime/connection.js';
import { createRealtimeGateway, MAX_FRAME_BYTES, type RealtimeGateway } from '../../src/realtime/gateway.js';
import { encodeBinaryPush } from '../../src/realtime/frames.js';
import { SubscriptionRegistry, type PostgresChangesData } from '../../src/realtime/registry.js';

interface Ctx {
  api: Awaited<ReturnType<typeof listen>>;
  auth: AuthSettings;
  gateway: RealtimeGateway;
  registry: SubscriptionRegistry;
  anonKey: string;
  clients: SupabaseClient[];
  raws: WebSocket[];
}

const test = databaseSuite<Ctx>('realtime gateway');
// Small enough that the slow-client test fills it quickly, big enough for every other test's frames.
const MAX_BUFFERED = 256 * 1024;

test.before(async (ctx) => {
  const { auth, deps } = await testAppDeps(ctx.db.pool);
  ctx.auth = auth;
  ctx.api = await listen(deps, 0);
  ctx.registry = new SubscriptionRegistry();
  ctx.gateway = createRealtimeGateway({ server: ctx.api.server, verifier: deps.verifier, registry: ctx.registry, log: createLogger('silent'), maxBufferedBytes: MAX_BUFFERED });
  ctx.anonKey = await mintToken(auth, { role: 'anon' });
  ctx.clients = [];
  ctx.raws = [];
});

test.after.each(async (ctx) => {
  for (const client of ctx.clients.splice(0)) {
    await client.removeAllChannels();
    client.realtime.disconnect();
  }
  for (const raw of ctx.raws.splice(0)) raw.terminate();
  await until(() => ctx.gateway.sockets() === 0 && ctx.registry.size() === 0);
});

test.after(async (ctx) => {
  await ctx.gateway?.close();
  await ctx.api?.close();
});

function client(ctx: Ctx, vsn: '1.0.0' | '2.0.0'): SupabaseClient {
  const supabase = createClient(`http://127.0.0.1:${ctx.api.port}`, ctx.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never /* ws's constructor type differs from the DOM one the option names */, vsn },
  });
  ctx.clients.push(supabase);
  return supabase;
}

function subscribed(channel: RealtimeChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status !== 'CLOSED') reject(new Error(`${status}: ${error?.message ?? ''}`));
    });
  });
}

function change(id: string, profileId: string): PostgresChangesData {
  return {
    schema: 'public',
    table: 'documents',
    commit_timestamp: new Date().toISOString(),
    type: 'INSERT',
    columns: [
      { name: 'id', type: 'uuid' },
      { name: 'profile_id', type: 'uuid' },
      { name: 'page_count', type: 'int4' },
      { name: 'status', type: 'text' },
    ],
    record: { id, profile_id: profileId, page_count: '3', status: 'processed' },
    old_record: {},
    errors: null,
  };
}

for (const vsn of ['2.0.0', '1.0.0'] as const) {
  test(`vsn ${vsn}: subscribe with postgres_changes bindings, receive a change with typed values`, async (ctx) => {
    const userId = randomUUID();
    const profileId = randomUUID();
    const supabase = client(ctx, vsn);
    await supabase.realtime.setAuth(await mintToken(ctx.auth, { userId, expiresInSeconds: 600 }));
    const received: { eventType: string; new: Record<string, unknown>; old: Record<string, unknown> }[] = [];
    const channel = supabase
      .channel(`docs-${vsn}`)
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'documents', filter: `profile_id=eq.${profileId}` }, (p) => received.push(p as never))
      .on('postgres_changes', { event: '*', schema: 'public', table: 'cds_alerts' }, () => {});
    const systems: Record<string, unknown>[] = [];
    channel.on('system', {}, (p) => systems.push(p));
    await subscribed(channel);

    const [sub] = ctx.registry.forTable('public', 'documents');
    assert.ok(sub, 'registered');
    assert.is(ctx.registry.forTable('public', 'cds_alerts')[0], sub);
    assert.is(sub.role(), 'authenticated');
    assert.is(sub.claims().sub, userId);
    assert.equal(sub.bindings.map((b) => [b.event, b.table, b.filter]), [
      ['INSERT', 'documents', `profile_id=eq.${profileId}`],
      ['*', 'cds_alerts', undefined],
    ]);
    assert.ok(sub.bindings.every((b) => b.id >= 1));
    await until(() => systems.some((s) => s.extension === 'postgres_changes' && s.status === 'ok'));

    const docId = randomUUID();
    sub.deliver(change(docId, profileId), [sub.bindings[0]!.id]);
    const got = await until(() => received[0]);
    assert.is(got.eventType, 'INSERT');
    assert.equal(got.new, { id: docId, profile_id: profileId, page_count: 3, status: 'processed' });
    assert.equal(got.old, {});
  });

  test(`vsn ${vsn}: broadcast reaches the other member (and the sender only with self)`, async (ctx) => {
    const a = client(ctx, vsn);
    const b = client(ctx, vsn);
    const atA: unknown[] = [];
    const atB: unknown[] = [];
    const chA = a.channel('room', { config: { broadcast: { self: true, ack: true } } }).on('broadcast', { event: 'note' }, (m) => atA.push(m.payload));
    const chB = b.channel('room').on('broadcast', { event: 'note' }, (m) => atB.push(m.payload));
    await Promise.all([subscribed(chA), subscribed(chB)]);
    assert.is(await chA.send({ type: 'broadcast', event: 'note', payload: { text: 'hello', n: 1 } }), 'ok');
    await until(() => atB.length === 1 && atA.length === 1);
    assert.equal(atB[0], { text: 'hello', n: 1 });
    assert.is(await chB.send({ type: 'broadcast', event: 'note', payload: { text: 'back' } }), 'ok');
    await until(() => atA.length === 2);
    assert.equal(atA[1], { text: 'back' });
    assert.is(atB.length, 1, 'B did not ask for self');
  });
}

function raw(ctx: Ctx, key = ctx.anonKey): Promise<{ ws: WebSocket; frames: unknown[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${ctx.api.port}/realtime/v1/websocket?apikey=${key}&vsn=2.0.0`);
  ctx.raws.push(ws);
  const frames: unknown[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) frames.push(JSON.parse(String(data)));
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

test('malformed and unknown frames get an error reply or are ignored; the socket stays usable', async (ctx) => {
  const { ws, frames } = await raw(ctx);
  ws.send('this is not json');
  ws.send(JSON.stringify({ not: 'an array' }));
  ws.send(Buffer.from([9, 9, 9]));
  ws.send(JSON.stringify([null, '1', 'realtime:x', 'bogus', {}]));
  ws.send(JSON.stringify(['2', '2', 'realtime:x', 'phx_join', 'not an object']));
  ws.send(JSON.stringify(['3', '3', 'realtime:x', 'phx_join', { config: { postgres_changes: [{ event: 'INSERT', schema: 'public', table: 'documents', filter: 'id=like.x' }] } }]));
  ws.send(JSON.stringify([null, '4', 'phoenix', 'heartbeat', {}]));
  const reply = (ref: string) => frames.find((f) => Array.isArray(f) && f[1] === ref) as [unknown, string, string, string, { status: string; response: { reason?: string } }] | undefined;
  await until(() => reply('4'));
  assert.is(reply('1')?.[4].status, 'error');
  assert.is(reply('1')?.[4].response.reason, 'unmatched topic');
  assert.is(reply('2')?.[4].status, 'error');
  assert.match(reply('3')?.[4].response.reason ?? '', /filter/);
  assert.equal(reply('4')?.[4], { status: 'ok', response: {} });
  assert.is(frames.length, 4, 'the unparseable frames got no answer');
  assert.is(ws.readyState, WebSocket.OPEN);
});

test('a bad apikey is refused at the upgrade', async (ctx) => {
  const error = await raw(ctx, 'not-a-token').then(
    () => null,
    (e: Error) => e,
  );
  assert.match(error?.message ?? '', /401/);
});

test('vsn 2.0.0 broadcasts travel as binary frames both ways', async (ctx) => {
  const { ws } = await raw(ctx);
  const binary: Buffer[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) binary.push(data as Buffer);
  });
  ws.send(JSON.stringify(['1', '1', 'realtime:bin', 'phx_join', { config: {} }]));
  const supabase = client(ctx, '2.0.0');
  const got: unknown[] = [];
  const channel = supabase.channel('bin').on('broadcast', { event: 'ping' }, (m) => got.push(m.payload));
  await subscribed(channel);
  await channel.send({ type: 'broadcast', event: 'ping', payload: { from: 'client' } });
  const frame = await until(() => binary[0]);
  assert.is(frame[0], 4, 'kind 4: user broadcast');
  assert.equal(JSON.parse(frame.subarray(5 + 'realtime:bin'.length + 'ping'.length).toString()), { from: 'client' });
  ws.send(encodeBinaryPush('1', '2', 'realtime:bin', 'ping', { from: 'raw' }));
  await until(() => got.length === 1);
  assert.equal(got[0], { from: 'raw' });
});

test('an expired token closes the channel with a system error; a refreshed token restores it', async (ctx) => {
  const supabase = client(ctx, '2.0.0');
  const user = randomUUID();
  await supabase.realtime.setAuth(await mintToken(ctx.auth, { userId: user, expiresInSeconds: 1 }));
  const systems: Record<string, unknown>[] = [];
  const statuses: string[] = [];
  const channel = supabase.channel('expiring').on('postgres_changes', { event: '*', schema: 'public', table: 'documents' }, () => {});
  channel.on('system', {}, (p) => systems.push(p));
  await new Promise<void>((resolve) =>
    channel.subscribe((status) => {
      statuses.push(status);
      if (status === 'SUBSCRIBED') resolve();
    }),
  );
  await until(() => statuses.includes('CLOSED'), 5_000);
  assert.ok(systems.some((s) => s.status === 'error' && s.message === 'token has expired' && s.extension === 'system'));
  assert.is(ctx.registry.size(), 0);

  // A refreshed token restores the subscription, under the new token's claims.
  await supabase.removeChannel(channel);
  await supabase.realtime.setAuth(await mintToken(ctx.auth, { userId: user, expiresInSeconds: 600 }));
  await subscribed(supabase.channel('expiring').on('postgres_changes', { event: '*', schema: 'public', table: 'documents' }, () => {}));
  const [restored] = ctx.registry.forTable('public', 'documents');
  assert.is(restored?.claims().sub, user);
  assert.ok(Number(restored?.claims().exp) > Date.now() / 1000 + 500);
});

test('setAuth swaps the claims of a joined channel', async (ctx) => {
  const first = randomUUID();
  const second = randomUUID();
  const supabase = client(ctx, '2.0.0');
  await supabase.realtime.setAuth(await mintToken(ctx.auth, { userId: first, expiresInSeconds: 600 }));
  await subscribed(supabase.channel('swap').on('postgres_changes', { event: '*', schema: 'public', table: 'documents' }, () => {}));
  const [sub] = ctx.registry.forTable('public', 'documents');
  assert.is(sub?.claims().sub, first);
  await supabase.realtime.setAuth(await mintToken(ctx.auth, { userId: second, expiresInSeconds: 600 }));
  await until(() => sub?.claims().sub === second);
  assert.is(ctx.registry.size(), 1);
});

test('a slow client that never reads is dropped without stalling the others', async (ctx) => {
  const { ws, frames } = await raw(ctx);
  ws.send(JSON.stringify(['1', '1', 'realtime:busy', 'phx_join', { config: { postgres_changes: [{ event: '*', schema: 'public', table: 'documents' }] } }]));
  await until(() => frames.length >= 2);
  // Stop reading at the TCP level: the kernel buffers fill, then the server's ws buffer grows.
  (ws as unknown as { _socket: Socket })._socket.pause(); // ws keeps its net.Socket private

  const supabase = client(ctx, '1.0.0');
  const received: unknown[] = [];
  await subscribed(supabase.channel('calm').on('postgres_changes', { event: '*', schema: 'public', table: 'documents' }, (p) => received.push(p)));
  assert.is(ctx.registry.size(), 2);
  assert.is(ctx.gateway.sockets(), 2);

  const big = change(randomUUID(), randomUUID());
  big.record.status = 'x'.repeat(64 * 1024);
  await until(() => {
    for (const sub of ctx.registry.forTable('public', 'documents')) sub.deliver(big, [sub.bindings[0]!.id]);
    return ctx.registry.size() === 1;
  }, 20_000, 5);
  assert.is(ctx.gateway.sockets(), 1);
  await until(() => received.length > 0);
  const before = received.length;
  ctx.registry.forTable('public', 'documents')[0]!.deliver(change(randomUUID(), randomUUID()), [ctx.registry.forTable('public', 'documents')[0]!.bindings[0]!.id]);
  await until(() => received.length > before);
});

test(`a socket may join ${MAX_CHANNELS_PER_SOCKET} channels: one more gets an error reply and registers nothing`, async (ctx) => {
  const { ws, frames } = await raw(ctx);
  type Reply = [unknown, string, string, string, { status: string; response: { reason?: string } }];
  const reply = (ref: string) => frames.find((f) => Array.isArray(f) && f[1] === ref && f[3] === 'phx_reply') as Reply | undefined;
  const join = (ref: string, topic: string) =>
    ws.send(JSON.stringify([ref, ref, `realtime:${topic}`, 'phx_join', { config: { postgres_changes: [{ event: '*', schema: 'public', table: 'documents' }] } }]));
  for (let i = 1; i <= MAX_CHANNELS_PER_SOCKET; i++) join(String(i), `c${i}`);
  await until(() => reply(String(MAX_CHANNELS_PER_SOCKET)));
  assert.ok(Array.from({ length: MAX_CHANNELS_PER_SOCKET }, (_, i) => reply(String(i + 1))?.[4].status).every((s) => s === 'ok'));
  assert.is(ctx.registry.size(), MAX_CHANNELS_PER_SOCKET);

  join('over', 'one-too-many');
  const refused = await until(() => reply('over'));
  assert.is(refused[4].status, 'error');
  assert.match(refused[4].response.reason ?? '', /too many channels: at most 100 per connection/);
  assert.is(ctx.registry.size(), MAX_CHANNELS_PER_SOCKET, 'nothing registered');
  // A broadcast to the refused topic is answered as for a topic never joined.
  ws.send(JSON.stringify(['over', 'b1', 'realtime:one-too-many', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }]));
  assert.is((await until(() => frames.find((f) => Array.isArray(f) && f[1] === 'b1') as Reply | undefined))[4].response.reason, 'unmatched topic');

  // Rejoining a joined topic replaces it (not a new channel); after a leave there is room again.
  join('again', 'c1');
  assert.is((await until(() => reply('again')))[4].status, 'ok');
  ws.send(JSON.stringify(['1', 'leave', 'realtime:c1', 'phx_leave', {}]));
  await until(() => reply('leave'));
  join('room', 'new-one');
  assert.is((await until(() => reply('room')))[4].status, 'ok');
  assert.is(ctx.registry.size(), MAX_CHANNELS_PER_SOCKET);
  assert.is(ws.readyState, WebSocket.OPEN);
});

test(`a message over ${MAX_FRAME_BYTES / 1024} KiB closes only its socket, with 1009; the others carry on`, async (ctx) => {
  const big = await raw(ctx);
  const other = await raw(ctx);
  big.ws.send(JSON.stringify(['1', '1', 'realtime:big', 'phx_join', { config: { postgres_changes: [{ event: '*', schema: 'public', table: 'documents' }] } }]));
  await until(() => big.frames.length >= 1 && ctx.registry.size() === 1);
  const closed = new Promise<number>((resolve) => big.ws.once('close', (code) => resolve(code)));
  // Exactly at the limit is still a message (an unknown topic: an error reply, not a close).
  const atLimit = JSON.stringify([null, 'fits', 'realtime:nowhere', 'bogus', { pad: '' }]);
  big.ws.send(atLimit.replace('"pad":""', `"pad":"${'x'.repeat(MAX_FRAME_BYTES - Buffer.byteLength(atLimit))}"`));
  await until(() => big.frames.some((f) => Array.isArray(f) && f[1] === 'fits'));
  big.ws.send(JSON.stringify([null, 'huge', 'realtime:big', 'broadcast', { event: 'x', payload: 'x'.repeat(MAX_FRAME_BYTES) }]));
  assert.is(await closed, 1009);
  await until(() => ctx.registry.size() === 0 && ctx.gateway.sockets() === 1);
  other.ws.send(JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}]));
  await until(() => other.frames.some((f) => Array.isArray(f) && f[1] === 'hb'));
  assert.is(other.ws.readyState, WebSocket.OPEN);
});

test.run();
