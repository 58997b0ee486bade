/**
 * End to end: the real api on a real port, the full
 * realtime stack of `npm start` (gateway + Postgres change feed), a real worker
 * (document pipeline, journey, decision support) and the unmodified
 * @supabase/supabase-js client over vsn 2.0.0 and 1.0.0.
 *
 * A uploads a lab report and sees its document go queued → processing → processed,
 * its journey summary change and an alert appear; B, subscribed to the same tables
 * without filters, sees nothing of A's; a provider granted only 'observations' sees
 * A's lab series but none of A's documents. Each scenario ends with a barrier: B and
 * the provider each receive a document of their own profile, and since the feed
 * handles changes one at a time in commit order, everything of A's that could have
 * reached them has by then been decided.
 */
import * as assert from 'uvu/assert';
import type { SupabaseClient } from '@supabase/supabase-js';
import { Worker } from '../../src/events/worker.js';
import { mintToken } from '../../src/auth/tokens.js';
import { sampleLabReport, toPdf } from '../fixtures/documents.js';
import { insertRecord } from '../helpers/clinical.js';
import { createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { startLiveStack, type LiveStack } from '../helpers/live-stack.js';
import { realtimeClient, subscribe, type Change } from '../helpers/realtime-client.js';
import { databaseSuite, until } from '../helpers/suite.js';

interface Ctx {
  stack: LiveStack;
  anonKey: string;
  pdf: Uint8Array;
  clients: SupabaseClient[];
  worker?: Worker;
}


const WAIT_MS = 30_000;

const test = databaseSuite<Ctx>('realtime end to end');

test.before(async (ctx) => {
  ctx.stack = await startLiveStack(ctx.db);
  ctx.anonKey = await mintToken(ctx.stack.auth, { role: 'anon' });
  ctx.pdf = await toPdf(sampleLabReport());
  ctx.clients = [];
});

test.after.each(async (ctx) => {
  await closeClients(ctx);
  await ctx.worker?.stop(1000);
  ctx.worker = undefined;
});

test.after(async (ctx) => {
  await closeClients(ctx);
  await ctx.worker?.stop(1000);
  await ctx.stack?.close();
});

async function closeClients(ctx: Ctx): Promise<void> {
  for (const client of ctx.clients.splice(0)) {
    await client.removeAllChannels();
    await client.realtime.disconnect();
  }
}

async function client(ctx: Ctx, vsn: '1.0.0' | '2.0.0', userId: string): Promise<SupabaseClient> {
  const token = await mintToken(ctx.stack.auth, { userId, expiresInSeconds: 600 });
  const supabase = await realtimeClient(`http://127.0.0.1:${ctx.stack.api.port}`, ctx.anonKey, token, vsn);
  ctx.clients.push(supabase);
  return supabase;
}

const ofProfile = (c: Change, profileId: string) => c.new.profile_id === profileId || c.old.profile_id === profileId;

for (const vsn of ['2.0.0', '1.0.0'] as const) {
  test(`vsn ${vsn}: an upload reaches its owner in order, no other user, and a provider only in granted categories`, async (ctx) => {
    const pool = ctx.db.pool;
    const [userA, userB, userP] = [await createUser(pool), await createUser(pool), await createUser(pool)];
    const profileA = await createProfile(pool, userA);
    const profileB = await createProfile(pool, userB);
    const profileP = await createProfile(pool, userP); // the provider's own (for the barrier)
    const providerId = await createProvider(pool, userP);
    await grantAccess(pool, { profileId: profileA, providerId, grantedBy: userA, categories: ['observations'] });

    const atA = await subscribe(await client(ctx, vsn, userA), `a-${vsn}`, [
      { table: 'documents', filter: `profile_id=eq.${profileA}` },
      { table: 'cds_alerts' },
      { table: 'journey_summaries', filter: `profile_id=eq.${profileA}` },
    ]);
    const atB = await subscribe(await client(ctx, vsn, userB), `b-${vsn}`, [
      { table: 'documents' },
      { table: 'cds_alerts' },
      { table: 'journey_summaries' },
    ]);
    const atP = await subscribe(await client(ctx, vsn, userP), `p-${vsn}`, [
      { table: 'journey_lab_series' },
      { table: 'documents' },
    ]);

    // Two medications that surely fire the warfarin + NSAID interaction rule once the worker runs.
    await insertRecord(pool, 'medications', profileA, { name: 'Warfarin 5 mg tablet', dose_text: '5 mg daily' });
    await insertRecord(pool, 'medications', profileA, { name: 'Ibuprofen 400 mg tablet', dose_text: '400 mg as needed' });

    const res = await fetch(`http://127.0.0.1:${ctx.stack.api.port}/api/profiles/${profileA}/documents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await mintToken(ctx.stack.auth, { userId: userA })}` },
      body: (() => {
        const form = new FormData();
        form.append('file', new Blob([ctx.pdf], { type: 'application/pdf' }), 'labs.pdf');
        return form;
      })(),
    });
    assert.is(res.status, 202, await res.clone().text());
    const doc = (await res.json()) as { id: string; status: string };
    assert.is(doc.status, 'queued');

    const docEvents = () => atA.filter((c) => c.table === 'documents' && c.new.id === doc.id);
    const worker = ctx.stack.worker();
    ctx.worker = worker;
    await worker.start();

    await until(() => docEvents().some((c) => c.new.status === 'processed' || c.new.status === 'failed'), WAIT_MS, 50);
    await until(() => atA.some((c) => c.table === 'journey_summaries' && c.new.profile_id === profileA), WAIT_MS, 50);
    await until(() => atA.some((c) => c.table === 'cds_alerts' && c.eventType === 'INSERT' && c.new.profile_id === profileA), WAIT_MS, 50);
    await until(() => atP.some((c) => c.table === 'journey_lab_series' && c.new.profile_id === profileA), WAIT_MS, 50);

    // Barriers: a document of B's own and of P's own profile, each must reach its owner.
    const docB = await createDocument(pool, profileB, userB);
    const docP = await createDocument(pool, profileP, userP);
    await until(() => atB.some((c) => c.table === 'documents' && c.new.id === docB), WAIT_MS, 50);
    await until(() => atP.some((c) => c.table === 'documents' && c.new.id === docP), WAIT_MS, 50);

    // A: the document's changes in order, INSERT first, ending processed.
    const events = docEvents();
    const statuses = events.map((c) => String(c.new.status));
    assert.is(events[0]!.eventType, 'INSERT');
    assert.ok(events.slice(1).every((c) => c.eventType === 'UPDATE'), `event types: ${events.map((c) => c.eventType).join(',')}`);
    // Each change's own version (migration 1500): every status the document passed
    // through, once per change, and its page progress never going back.
    assert.match(statuses.join(','), /^uploaded,queued(,processing)+,processed$/);
    const progress = events.filter((c) => c.new.status === 'processing').map((c) => Number(c.new.pages_done ?? 0));
    assert.ok(progress.every((p, i) => i === 0 || p >= progress[i - 1]!), `pages_done: ${progress.join(',')}`);
    // Every row A received is A's (documents and summaries are filtered; A can read no other alerts).
    assert.equal(atA.filter((c) => !ofProfile(c, profileA)), []);
    const alert = atA.find((c) => c.table === 'cds_alerts' && c.eventType === 'INSERT')!;
    assert.is(alert.new.profile_id, profileA);

    // B: nothing of A's, though subscribed to the same tables; its own document did arrive.
    assert.equal(atB.filter((c) => ofProfile(c, profileA)).map((c) => `${c.table} ${c.eventType}`), []);
    assert.ok(atB.every((c) => ofProfile(c, profileB)));

    // P: A's lab series (granted via 'observations'), none of A's documents (no 'documents' grant).
    assert.ok(atP.filter((c) => c.table === 'journey_lab_series').every((c) => ofProfile(c, profileA)));
    assert.equal(atP.filter((c) => c.table === 'documents' && ofProfile(c, profileA)).map((c) => c.new.id), []);
    assert.equal([...new Set(atP.filter((c) => c.table === 'documents').map((c) => c.new.profile_id))], [profileP]);

    console.log(`  vsn ${vsn}: A saw ${statuses.join(' → ')}; A ${atA.length}, B ${atB.length}, P ${atP.length} events`);
  });
}

test.run();
