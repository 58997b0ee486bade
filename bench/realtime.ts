/**
 * `npm run bench:realtime`: the realtime stack (gateway + change feed, src/realtime/)
 * on real Postgres (DATABASE_URL or the embedded one, in a throwaway database),
 * through a real port.
 *
 *   500 subscribed sockets across 100 users (5 each, every user owning one profile):
 *   3 of a user's sockets subscribe to journey_summaries with `profile_id=eq.<theirs>`,
 *   2 without a filter (RLS alone must keep other users' rows away). Then 1,000
 *   UPDATEs of journey_summaries spread over the 100 profiles, paced at ~200/s and
 *   one at a time, so the numbers show latency rather than a queue.
 *
 *   latency   receive time on the socket − the time the (autocommit) UPDATE returned
 *             to this process: same clock, and slightly kind to the gateway (the
 *             commit happened a local round trip's return half earlier).
 *   wrong     a socket receiving a row of a profile that is not its user's: must be 0.
 *   missing   expected deliveries (5 per change) that never arrived.
 *
 * The clients are raw `ws` sockets speaking Phoenix vsn 2.0.0, not 500 supabase-js
 * clients: those would measure the client library (and its timers) more than the
 * gateway. Clients and server share one process and event loop, so client-side frame
 * parsing is counted in the latency too. Goal: p99 ≤ 100 ms (Supabase publishes p99
 * 96 ms for authorised channels).
 *
 * Usage: npm run bench:realtime [-- <changes> <changes per second>]
 * Last line: {"p50_ms", "p99_ms", "delivered", "wrong_deliveries", "missing", …}. Not part of `npm test`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { listen } from '../src/http/server.js';
import { createLogger } from '../src/log.js';
import { LocalStorage } from '../src/providers/storage/local-storage.js';
import { REALTIME_PATH } from '../src/realtime/gateway.js';
import { startRealtime } from '../src/realtime/start-realtime.js';
import { percentile, round, table, waitFor } from './stats.js';
import { throwawayDatabase } from './throwaway-database.js';

const CHANGES = Number(process.argv[2] ?? 1000);
const RATE = Number(process.argv[3] ?? 200);
const USERS = 100;
const SOCKETS_PER_USER = 5;
const FILTERED_PER_USER = 3; // the other 2 rely on RLS alone
const SOCKETS = USERS * SOCKETS_PER_USER;
const HEARTBEAT_MS = 25_000;
/** After the last change, how long stragglers may take before they count as missing. */
const SETTLE_MS = 5_000;

const baseConfig = loadConfig();
const auth = { ...baseConfig.auth, jwtSecret: `bench-${randomUUID()}-secret-0123456789` };
const config = { ...baseConfig, auth };
const log = createLogger('error', 'bench');
const database = await throwawayDatabase(config, log);
const pool = createPool(database.url, config.databasePoolMax, log);
const storageDir = await mkdtemp(path.join(tmpdir(), 'guardian-bench-realtime-'));

// 100 users, each owning one profile with a journey summary row.
const users = Array.from({ length: USERS }, () => randomUUID());
await pool.query(
  `insert into auth.users (id, aud, role, email)
   select u, 'authenticated', 'authenticated', 'bench-' || i || '@example.test' from unnest($1::uuid[]) with ordinality t(u, i)`,
  [users],
);
const profiles: string[] = [];
for (const [i, user] of users.entries()) {
  profiles.push((await pool.query<{ id: string }>(
    `insert into public.profiles (owner_id, display_name, relationship, birth_date) values ($1::uuid, $2::text, 'self', '1970-01-01') returning id`,
    [user, `Bench ${i}`],
  )).rows[0]!.id);
}
await pool.query(`insert into public.journey_summaries (profile_id) select unnest($1::uuid[])`, [profiles]);
await pool.query('analyze');

const api = await listen({
  pool,
  log,
  migrationsDir: path.join(config.projectRoot, 'supabase', 'migrations'),
  verifier: await createTokenVerifier(auth),
  storage: new LocalStorage(storageDir),
  http: config.http,
  documents: config.documents,
}, 0);
const realtime = await startRealtime({ config, databaseUrl: database.url, pool, server: api.server, log });

// ---- clients ------------------------------------------------------------------

interface Client {
  ws: WebSocket;
  profile: string;
  filtered: boolean;
  bindingIds: Set<number>;
  /** `${profile}:${n}` → receive time (ms, performance clock). */
  received: Map<string, number>;
}

let wrong = 0;
let duplicates = 0;
let unknownBinding = 0;
let delivered = 0;
const frameErrors: string[] = [];

const anonKey = await mintToken(auth, { role: 'anon' });
const url = `ws://127.0.0.1:${api.port}${REALTIME_PATH}?apikey=${encodeURIComponent(anonKey)}&vsn=2.0.0`;

async function connect(user: string, profile: string, index: number): Promise<Client> {
  const token = await mintToken(auth, { userId: user, expiresInSeconds: 3600 });
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const filtered = index < FILTERED_PER_USER;
  const client: Client = { ws, profile, filtered, bindingIds: new Set(), received: new Map() };
  const topic = `realtime:bench-${profile}-${index}`;
  const joined = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const at = performance.now();
      if (isBinary) return;
      const [, ref, , event, payload] = JSON.parse(data.toString('utf8')) as [string | null, string | null, string, string, Record<string, any>];
      if (event === 'postgres_changes') {
        const record = payload.data?.record as { profile_id?: string; counts?: { n?: number } } | undefined;
        if (record?.profile_id !== client.profile) {
          wrong += 1;
          return;
        }
        if (!(payload.ids as number[]).every((id) => client.bindingIds.has(id))) unknownBinding += 1;
        const key = `${record.profile_id}:${record.counts?.n}`;
        if (client.received.has(key)) duplicates += 1;
        else {
          client.received.set(key, at);
          delivered += 1;
        }
      } else if (event === 'phx_reply' && ref === '1') {
        if (payload.status !== 'ok') return reject(new Error(`join refused: ${JSON.stringify(payload.response)}`));
        for (const b of payload.response.postgres_changes as { id: number }[]) client.bindingIds.add(b.id);
        if (client.bindingIds.size === 0) return reject(new Error('join answered without postgres_changes ids'));
        resolve();
      } else if (event === 'phx_reply' && payload.status !== 'ok') {
        frameErrors.push(JSON.stringify(payload.response));
      } else if (event === 'system' && payload.status !== 'ok') {
        frameErrors.push(String(payload.message));
      }
    });
  });
  const binding: Record<string, string> = { event: '*', schema: 'public', table: 'journey_summaries' };
  if (filtered) binding.filter = `profile_id=eq.${profile}`;
  ws.send(JSON.stringify(['1', '1', topic, 'phx_join', {
    config: { broadcast: { ack: false, self: false }, presence: { key: '' }, postgres_changes: [binding], private: false },
    access_token: token,
  }]));
  await joined;
  return client;
}

const connectStarted = performance.now();
const clients: Client[] = [];
// 10 users' (50) sockets at a time: a burst of 500 upgrades would measure the accept path instead.
for (let u = 0; u < USERS; u += 10) {
  const batch = [];
  for (let v = u; v < Math.min(USERS, u + 10); v++) {
    for (let s = 0; s < SOCKETS_PER_USER; s++) batch.push(connect(users[v]!, profiles[v]!, s));
  }
  clients.push(...(await Promise.all(batch)));
}
const connectSeconds = (performance.now() - connectStarted) / 1000;
let heartbeatRef = 1;
const heartbeat = setInterval(() => {
  const frame = JSON.stringify([null, `hb-${++heartbeatRef}`, 'phoenix', 'heartbeat', {}]);
  for (const c of clients) if (c.ws.readyState === WebSocket.OPEN) c.ws.send(frame);
}, HEARTBEAT_MS);

// ---- changes ------------------------------------------------------------------

/** `${profile}:${n}` → time the UPDATE returned (ms, performance clock). */
const committed = new Map<string, number>();
const intervalMs = 1000 / RATE;
const changesStarted = performance.now();
for (let n = 1; n <= CHANGES; n++) {
  const due = changesStarted + (n - 1) * intervalMs;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  const profile = profiles[(n - 1) % USERS]!;
  await pool.query(
    `update public.journey_summaries set counts = jsonb_build_object('n', $2::int), updated_at = now() where profile_id = $1::uuid`,
    [profile, n],
  );
  committed.set(`${profile}:${n}`, performance.now());
}
const changeSeconds = (performance.now() - changesStarted) / 1000;
const expected = CHANGES * SOCKETS_PER_USER;
const settleDeadline = performance.now() + SETTLE_MS;
await waitFor(() => delivered >= expected || performance.now() > settleDeadline);
clearInterval(heartbeat);

// ---- results ------------------------------------------------------------------

const latencies: number[] = [];
const filteredLatencies: number[] = [];
const unfilteredLatencies: number[] = [];
const firstPerChange = new Map<string, number>();
const lastPerChange = new Map<string, number>();
let unmatched = 0;
for (const c of clients) {
  for (const [key, at] of c.received) {
    const commit = committed.get(key);
    if (commit === undefined) {
      unmatched += 1;
      continue;
    }
    const ms = at - commit;
    latencies.push(ms);
    (c.filtered ? filteredLatencies : unfilteredLatencies).push(ms);
    firstPerChange.set(key, Math.min(firstPerChange.get(key) ?? Infinity, ms));
    lastPerChange.set(key, Math.max(lastPerChange.get(key) ?? -Infinity, ms));
  }
}
const asc = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);
const all = asc(latencies);
const missing = expected - delivered;

// Close everything: sockets, then the realtime stack, the api, the pool, the database.
await Promise.all(clients.map((c) => new Promise<void>((resolve) => {
  if (c.ws.readyState === WebSocket.CLOSED) return resolve();
  c.ws.once('close', () => resolve());
  c.ws.close(1000);
})));
await realtime.close();
await api.close();
await pool.end();
await database.drop();
await rm(storageDir, { recursive: true, force: true });

const row = (name: string, xs: number[]) => [name, xs.length, round(percentile(xs, 50), 1), round(percentile(xs, 99), 1), round(xs[xs.length - 1] ?? Number.NaN, 1)];
table(['commit → client (ms)', 'deliveries', 'p50', 'p99', 'max'], [
  row('all sockets', all),
  row('filtered (profile_id=eq.)', asc(filteredLatencies)),
  row('unfiltered (RLS only)', asc(unfilteredLatencies)),
  row('first socket per change', asc(firstPerChange.values())),
  row('last socket per change', asc(lastPerChange.values())),
]);
table(['realtime (journey_summaries)', 'sockets', 'users', 'changes', 'changes/s', 'delivered', 'expected', 'missing', 'wrong', 'duplicates', 'connect s'], [
  ['Guardian', SOCKETS, USERS, CHANGES, round(CHANGES / changeSeconds), delivered, expected, missing, wrong, duplicates, round(connectSeconds, 1)],
]);
if (unknownBinding + unmatched > 0 || frameErrors.length > 0) {
  console.log(`\nunknown binding ids: ${unknownBinding}, unmatched deliveries: ${unmatched}, error frames: ${frameErrors.length} ${frameErrors.slice(0, 3).join(' | ')}`);
}
console.log(JSON.stringify({
  p50_ms: round(percentile(all, 50), 1),
  p99_ms: round(percentile(all, 99), 1),
  delivered,
  wrong_deliveries: wrong,
  missing,
  sockets: SOCKETS,
  users: USERS,
  changes: CHANGES,
  duplicates,
  changes_per_second: round(CHANGES / changeSeconds),
}));
