/**
 * Two users' requests interleaved through a transaction pooler, and
 * neither ever sees the other's rows. The real api (createApp, on a port) runs on
 * PgBouncer 1.18 in transaction mode with THREE server connections for its twenty
 * client connections (api pool and caller pool), so the two users' transactions take
 * turns on the same server sessions all the time, and PgBouncer resets nothing between
 * them: a role, claims or a prepared statement left in a session would reach the
 * other user's next request.
 */
import { randomUUID } from 'node:crypto';
import * as assert from 'uvu/assert';
import { rebuildJourney } from '../../src/consumers/journey/recompute.js';
import { createPool } from '../../src/db/pool.js';
import { mintToken } from '../../src/auth/tokens.js';
import { listen } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { testAppDeps } from '../helpers/api.js';
import { insertRecord } from '../helpers/clinical.js';
import { databaseUrl, serverUrl } from '../helpers/database.js';
import { createDocument, createProfile, createUser } from '../helpers/fixtures.js';
import { needingPgBouncer, pgbouncerPath, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite<{ bouncer: PgBouncer }>('transaction pooler: two users interleaved');
const poolerTest = needingPgBouncer(test);

test.before(async (ctx) => {
  if (!pgbouncerPath) return;
  ctx.bouncer = await startPgBouncer({ serverUrl: serverUrl(), mode: 'transaction', poolSize: 3 });
});
test.after(async (ctx) => {
  await ctx.bouncer?.stop();
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

interface Person {
  name: string;
  id: string;
  token: string;
  profiles: string[];
  documents: string[];
}

/** A user with two profiles, each with records, a document and a built journey. */
async function person(ctx: { db: { pool: import('pg').Pool } }, name: string): Promise<Omit<Person, 'token'>> {
  const id = await createUser(ctx.db.pool);
  const profiles = [await createProfile(ctx.db.pool, id, { displayName: `${name} self` }), await createProfile(ctx.db.pool, id, { displayName: `${name} child`, relationship: 'child' })];
  const documents: string[] = [];
  for (const profile of profiles) {
    documents.push(await createDocument(ctx.db.pool, profile, id));
    for (let i = 0; i < 5; i++) {
      await insertRecord(ctx.db.pool, 'observations', profile, { name: 'Glucose', value_numeric: 5 + i, unit: 'mmol/L', effective_at: `2026-0${i + 1}-01T08:00:00Z` });
    }
    await insertRecord(ctx.db.pool, 'medications', profile, { name: `Medicine of ${name}`, status: 'active' });
    await rebuildJourney(ctx.db.pool, profile); // the test's own pool keeps sessions
  }
  return { name, id, profiles, documents };
}

/** Every id the user can rightfully see: theirs, their profiles', and every row of those profiles. */
async function idsOf(pool: import('pg').Pool, user: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ id: string }>(
    `with mine as (select id from public.profiles where owner_id = $1::uuid)
     select $1::text as id union select id::text from mine
     union select id::text from public.documents where profile_id in (select id from mine)
     union select id::text from public.observations where profile_id in (select id from mine)
     union select id::text from public.medications where profile_id in (select id from mine)
     union select id::text from public.journey_timeline where profile_id in (select id from mine)`,
    [user],
  );
  return new Set(rows.map((r) => r.id.toLowerCase()));
}

poolerTest('many concurrent requests of two users, interleaved on three shared server connections: each sees only their own rows, and the other\'s are 404s', async (ctx) => {
  const target = { url: ctx.bouncer.url(ctx.db.name), poolMode: 'transaction' as const, sessionUrl: databaseUrl(ctx.db.name) };
  const pool = createPool(target, 10, createLogger('silent'));
  const { deps, auth } = await testAppDeps(pool, { http: { rateLimitPerUser: 1_000_000, rateLimitPerIp: 1_000_000 } });
  const api = await listen(deps, 0);
  try {
    const base = `http://127.0.0.1:${api.port}`;
    const people: Person[] = [];
    for (const name of ['alice', 'bob']) {
      const p = await person(ctx, name);
      people.push({ ...p, token: await mintToken(auth, { userId: p.id, expiresInSeconds: 600 }) });
    }
    const [alice, bob] = people as [Person, Person];
    const other = (p: Person) => (p === alice ? bob : alice);

    // The requests: each user's reads of their own data (200), of the other's (404), and
    // now and then a new profile, in a shuffled order, 32 at a time.
    type Call = { who: Person; method: 'GET' | 'POST'; path: string; expect: number; body?: unknown };
    const calls: Call[] = [];
    for (let round = 0; round < 40; round++) {
      for (const who of people) {
        const own = who.profiles[round % 2]!;
        const theirs = other(who).profiles[round % 2]!;
        calls.push(
          { who, method: 'GET', path: '/api/profiles', expect: 200 },
          { who, method: 'GET', path: `/api/profiles/${own}`, expect: 200 },
          { who, method: 'GET', path: `/api/profiles/${theirs}`, expect: 404 },
          { who, method: 'GET', path: `/api/healthcare-journey?profile=${own}`, expect: 200 },
          { who, method: 'GET', path: `/api/healthcare-journey?profile=${theirs}`, expect: 404 },
          { who, method: 'GET', path: `/api/profiles/${own}/documents`, expect: 200 },
          { who, method: 'GET', path: `/api/documents/${other(who).documents[round % 2]}`, expect: 404 },
          { who, method: 'GET', path: `/api/profiles/${own}/alerts`, expect: 200 },
        );
        if (round % 8 === 0) calls.push({ who, method: 'POST', path: '/api/profiles', expect: 201, body: { display_name: `${who.name} ${randomUUID().slice(0, 4)}`, relationship: 'parent' } });
      }
    }
    for (let i = calls.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [calls[i], calls[j]] = [calls[j]!, calls[i]!];
    }
    const answers: { call: Call; status: number; text: string }[] = [];
    const queue = [...calls];
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let call = queue.shift(); call; call = queue.shift()) {
        const response = await fetch(`${base}${call.path}`, {
          method: call.method,
          headers: { Authorization: `Bearer ${call.who.token}`, ...(call.body ? { 'Content-Type': 'application/json' } : {}) },
          ...(call.body ? { body: JSON.stringify(call.body) } : {}),
        });
        answers.push({ call, status: response.status, text: await response.text() });
      }
    }));

    assert.is(answers.length, calls.length);
    const wrongStatus = answers.filter((a) => a.status !== a.call.expect).map((a) => `${a.call.who.name} ${a.call.method} ${a.call.path}: ${a.status} ${a.text.slice(0, 200)}`);
    assert.equal(wrongStatus, [], 'every answer is the one expected');
    // The rows each user may see, as they stand after the run (profiles created during it included).
    const visibleTo = new Map([[alice, await idsOf(ctx.db.pool, alice.id)], [bob, await idsOf(ctx.db.pool, bob.id)]]);
    let checkedIds = 0;
    for (const answer of answers) {
      const foreign = visibleTo.get(other(answer.call.who))!;
      const ids = (answer.text.match(UUID) ?? []).map((id) => id.toLowerCase());
      checkedIds += ids.length;
      const leaked = ids.filter((id) => foreign.has(id));
      assert.equal(leaked, [], `${answer.call.who.name} ${answer.call.method} ${answer.call.path} carried the other user's ids`);
    }
    assert.ok(checkedIds > 1000, `the answers carried ids to check (${checkedIds})`);
    // Each user's own data did come back (the check above is not passing on empty answers).
    for (const who of people) {
      const journey = answers.find((a) => a.call.who === who && a.call.path.startsWith('/api/healthcare-journey') && a.status === 200)!;
      assert.match(journey.text, new RegExp(`Medicine of ${who.name}`));
    }
  } finally {
    await api.close();
    await pool.end();
  }
});

test.run();
