import * as assert from 'uvu/assert';
import { createHash, randomUUID } from 'node:crypto';
import { evaluateProfile } from '../../src/consumers/decision-support/evaluate-profile.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { insertRecord } from '../helpers/clinical.js';
import { addMember, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite, type DatabaseContext } from '../helpers/suite.js';

interface Ctx { api: TestApi; profile: string; users: Record<string, string>; providers: Record<string, string> }
type C = Ctx & DatabaseContext;

const test = databaseSuite<Ctx>('http: decision-support alerts');

test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  const users: Record<string, string> = {};
  for (const name of ['owner', 'manager', 'viewer', 'stranger', 'allGranted', 'labsOnly']) users[name] = await createUser(pool);
  ctx.users = users;
  ctx.profile = await createProfile(pool, users.owner!, { displayName: 'Alert Person' });
  await addMember(pool, ctx.profile, users.manager!, 'manager');
  await addMember(pool, ctx.profile, users.viewer!, 'viewer');
  ctx.providers = {};
  for (const [who, categories] of [['allGranted', ['medications', 'allergies', 'observations', 'conditions']], ['labsOnly', ['observations']]] as const) {
    ctx.providers[who] = await createProvider(pool, users[who]!);
    await grantAccess(pool, { profileId: ctx.profile, providerId: ctx.providers[who]!, grantedBy: users.owner!, categories: [...categories] });
  }
  // A real finding: a penicillin allergy and a penicillin prescribed.
  await insertRecord(pool, 'allergies', ctx.profile, { substance: 'Penicillin', criticality: 'high' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Amoxicillin', dose_text: '500 mg three times daily' });
  await evaluateProfile(pool, ctx.profile);
});

/** An alert written as the worker would (superuser), for tests that use one up. */
async function makeAlert(ctx: C, fields: { status?: string; severity?: string; summary?: string; categories?: string[] } = {}): Promise<string> {
  const { rows } = await ctx.db.pool.query<{ id: string }>(
    `insert into public.cds_alerts (profile_id, rule_id, fingerprint, status, severity, summary, detail, categories, resolved_at)
     select $1::uuid, r.id, $2::text, $3::text, $4::text, $5::text, 'Some **detail**.', $6::text[],
            case when $3::text = 'resolved' then now() end
     from public.cds_rules r where r.key = (select min(key) from public.cds_rules) returning id`,
    [ctx.profile, createHash('sha256').update(randomUUID()).digest('hex'), fields.status ?? 'open', fields.severity ?? 'warning',
      fields.summary ?? 'A test finding', fields.categories ?? ['medications']],
  );
  return rows[0]!.id;
}

const as = async (ctx: C, user: string) => `Bearer ${await ctx.api.tokenFor(ctx.users[user]!)}`;
const list = async (ctx: C, user: string, query = '') =>
  ctx.api.request.get(`/api/profiles/${ctx.profile}/alerts${query}`).set('authorization', await as(ctx, user));
const act = async (ctx: C, user: string, alertId: string, verb: 'acknowledge' | 'dismiss', body?: object) => {
  const req = ctx.api.request.post(`/api/alerts/${alertId}/${verb}`).set('authorization', await as(ctx, user));
  return body ? req.send(body) : req;
};
const dbAlert = async (ctx: C, id: string) => (await ctx.db.pool.query<{
  status: string; acknowledged_by: string | null; acknowledged_at: Date | null; dismissed_by: string | null; dismiss_reason: string | null;
}>(`select status, acknowledged_by, acknowledged_at, dismissed_by, dismiss_reason from public.cds_alerts where id = $1::uuid`, [id])).rows[0]!;

test('the owner lists live alerts with their rule and CDS Hooks card', async (ctx) => {
  const res = await list(ctx, 'owner');
  assert.is(res.status, 200, JSON.stringify(res.body));
  const { rows: expected } = await ctx.db.pool.query<{
    id: string; key: string; title: string; severity: string; summary: string; detail: string | null; source_label: string; source_url: string | null;
  }>(`select a.id, r.key, r.title, a.severity, a.summary, a.detail, r.source_label, r.source_url
      from public.cds_alerts a join public.cds_rules r on r.id = a.rule_id
      where a.profile_id = $1::uuid and a.status in ('open', 'acknowledged')`, [ctx.profile]);
  assert.ok(expected.length >= 1, 'the allergy rule fired');
  assert.is(res.body.alerts.length, expected.length);
  for (const want of expected) {
    const got = res.body.alerts.find((a: { id: string }) => a.id === want.id);
    assert.ok(got, want.key);
    assert.is(got.profile_id, ctx.profile);
    assert.is(got.rule_key, want.key);
    assert.is(got.rule_title, want.title);
    assert.is(got.severity, want.severity);
    assert.is(got.summary, want.summary);
    assert.is(got.detail, want.detail);
    assert.is(got.status, 'open');
    assert.ok(Date.parse(got.first_seen_at) <= Date.parse(got.last_seen_at));
    assert.is(got.acknowledged_by, null);
    assert.equal(got.card, {
      uuid: want.id,
      summary: want.summary,
      indicator: want.severity,
      ...(want.detail ? { detail: want.detail } : {}),
      source: want.source_url ? { label: want.source_label, url: want.source_url } : { label: want.source_label },
    });
  }
  assert.ok(res.body.alerts.some((a: { summary: string }) => /amoxicillin|penicillin/i.test(a.summary)), JSON.stringify(res.body.alerts));
});

test('most severe first; status filter; viewers and fully granted providers list, others do not', async (ctx) => {
  const critical = await makeAlert(ctx, { severity: 'critical', summary: 'Critical one' });
  const resolved = await makeAlert(ctx, { status: 'resolved', summary: 'Old one' });
  const live = (await list(ctx, 'owner')).body.alerts as { id: string; severity: string }[];
  assert.is(live[0]!.id, critical);
  assert.not.ok(live.some((a) => a.id === resolved));
  const onlyResolved = (await list(ctx, 'owner', '?status=resolved')).body.alerts as { id: string; status: string; resolved_at: string }[];
  assert.equal(onlyResolved.map((a) => a.id), [resolved]);
  assert.ok(onlyResolved[0]!.resolved_at);
  const both = (await list(ctx, 'owner', '?status=open,resolved')).body.alerts as { id: string }[];
  assert.is(both.length, live.length + 1);

  assert.equal(((await list(ctx, 'viewer')).body.alerts as { id: string }[]).map((a) => a.id), live.map((a) => a.id));
  assert.equal(((await list(ctx, 'allGranted')).body.alerts as { id: string }[]).map((a) => a.id), live.map((a) => a.id));
  // The allergy alert draws on medications and allergies: a labs-only provider sees none of it.
  const labs = await list(ctx, 'labsOnly');
  assert.is(labs.status, 200);
  assert.equal(labs.body.alerts, []);
  const stranger = await list(ctx, 'stranger');
  assert.is(stranger.status, 404);
  assert.is(stranger.body.code, 'profile_not_found');

  for (const query of ['?status=bogus', '?status=', '?limit=0', '?limit=501']) {
    const bad = await list(ctx, 'owner', query);
    assert.is(bad.status, 400, query);
    assert.is(bad.body.code, 'validation_failed');
  }
  const badId = await ctx.api.request.get('/api/profiles/nope/alerts').set('authorization', await as(ctx, 'owner'));
  assert.is(badId.status, 400);
});

test('a manager acknowledges: stamped with the caller and kept in the live list', async (ctx) => {
  const id = await makeAlert(ctx);
  const res = await act(ctx, 'manager', id, 'acknowledge');
  assert.is(res.status, 200, JSON.stringify(res.body));
  assert.is(res.body.id, id);
  assert.is(res.body.status, 'acknowledged');
  assert.is(res.body.acknowledged_by, ctx.users.manager);
  assert.ok(Math.abs(Date.parse(res.body.acknowledged_at) - Date.now()) < 60_000);
  assert.is(res.body.card.uuid, id);
  const row = await dbAlert(ctx, id);
  assert.is(row.status, 'acknowledged');
  assert.is(row.acknowledged_by, ctx.users.manager);
  const live = (await list(ctx, 'owner')).body.alerts as { id: string; status: string }[];
  assert.is(live.find((a) => a.id === id)?.status, 'acknowledged');
  // Acknowledging again is allowed (open/acknowledged → acknowledged) and restamps the caller.
  const again = await act(ctx, 'owner', id, 'acknowledge');
  assert.is(again.status, 200);
  assert.is(again.body.acknowledged_by, ctx.users.owner);
});

test('the owner dismisses with a reason (or none); dismissed alerts leave the live list', async (ctx) => {
  const id = await makeAlert(ctx);
  const res = await act(ctx, 'owner', id, 'dismiss', { reason: 'Discussed with my GP; tolerated before.' });
  assert.is(res.status, 200, JSON.stringify(res.body));
  assert.is(res.body.status, 'dismissed');
  assert.is(res.body.dismissed_by, ctx.users.owner);
  assert.is(res.body.dismiss_reason, 'Discussed with my GP; tolerated before.');
  assert.ok(res.body.dismissed_at);
  const row = await dbAlert(ctx, id);
  assert.equal([row.status, row.dismissed_by, row.dismiss_reason], ['dismissed', ctx.users.owner, 'Discussed with my GP; tolerated before.']);
  assert.not.ok(((await list(ctx, 'owner')).body.alerts as { id: string }[]).some((a) => a.id === id));
  assert.ok(((await list(ctx, 'owner', '?status=dismissed')).body.alerts as { id: string }[]).some((a) => a.id === id));

  const bare = await makeAlert(ctx);
  const noBody = await act(ctx, 'manager', bare, 'dismiss');
  assert.is(noBody.status, 200, JSON.stringify(noBody.body));
  assert.is(noBody.body.dismiss_reason, null);
  assert.is(noBody.body.dismissed_by, ctx.users.manager);

  const tooLong = await act(ctx, 'owner', await makeAlert(ctx), 'dismiss', { reason: 'x'.repeat(501) });
  assert.is(tooLong.status, 400);
  assert.is(tooLong.body.code, 'validation_failed');
  assert.is(tooLong.body.errors[0].path, 'reason');
});

test('a viewer or a granted provider may see but not change an alert: 403, nothing changed', async (ctx) => {
  const id = await makeAlert(ctx);
  for (const who of ['viewer', 'allGranted']) {
    for (const verb of ['acknowledge', 'dismiss'] as const) {
      const res = await act(ctx, who, id, verb, verb === 'dismiss' ? { reason: 'no' } : undefined);
      assert.is(res.status, 403, `${who} ${verb}`);
      assert.is(res.body.code, 'alert_read_only');
    }
  }
  const row = await dbAlert(ctx, id);
  assert.is(row.status, 'open');
  assert.is(row.acknowledged_by, null);
  assert.is(row.dismiss_reason, null);
});

test("404 for an alert the caller cannot see, the same as for one that does not exist", async (ctx) => {
  const id = await makeAlert(ctx);
  const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
  const missing = await act(ctx, 'stranger', randomUUID(), 'acknowledge');
  assert.is(missing.status, 404);
  assert.is(missing.body.code, 'alert_not_found');
  for (const who of ['stranger', 'labsOnly']) {
    const res = await act(ctx, who, id, 'acknowledge');
    assert.is(res.status, 404, who);
    assert.equal(strip(res.body), strip(missing.body));
  }
  assert.is((await dbAlert(ctx, id)).status, 'open');
  const bad = await act(ctx, 'owner', 'not-a-uuid', 'acknowledge');
  assert.is(bad.status, 400);
  assert.is(bad.body.code, 'validation_failed');
});

test('a resolved or dismissed alert is 409 alert_not_live', async (ctx) => {
  const resolved = await makeAlert(ctx, { status: 'resolved' });
  for (const verb of ['acknowledge', 'dismiss'] as const) {
    const res = await act(ctx, 'owner', resolved, verb);
    assert.is(res.status, 409, verb);
    assert.is(res.body.code, 'alert_not_live');
  }
  const dismissed = await makeAlert(ctx);
  assert.is((await act(ctx, 'owner', dismissed, 'dismiss')).status, 200);
  const late = await act(ctx, 'manager', dismissed, 'acknowledge');
  assert.is(late.status, 409);
  assert.is(late.body.code, 'alert_not_live');
  assert.is((await dbAlert(ctx, resolved)).status, 'resolved');
  assert.is((await dbAlert(ctx, dismissed)).status, 'dismissed');
});

test('alert changes are audited with the profile only once the alert is visible', async (ctx) => {
  const audit = async (requestId: string) => (await ctx.db.pool.query<{ action: string; outcome: string; profile_id: string | null; resource_id: string }>(
    `select action, outcome, profile_id, resource_id from public.audit_log where request_id = $1`, [requestId])).rows;
  const id = await makeAlert(ctx);
  const ok = await act(ctx, 'owner', id, 'acknowledge');
  assert.equal(await audit(ok.headers['x-request-id']!), [{ action: 'alert.acknowledge', outcome: 'success', profile_id: ctx.profile, resource_id: id }]);
  const hidden = await act(ctx, 'stranger', id, 'dismiss');
  assert.equal(await audit(hidden.headers['x-request-id']!), [{ action: 'alert.dismiss', outcome: 'denied', profile_id: null, resource_id: id }]);
  const forbidden = await act(ctx, 'viewer', id, 'dismiss');
  assert.equal(await audit(forbidden.headers['x-request-id']!), [{ action: 'alert.dismiss', outcome: 'denied', profile_id: ctx.profile, resource_id: id }]);
  const listed = await list(ctx, 'viewer');
  assert.equal(await audit(listed.headers['x-request-id']!), [{ action: 'alerts.list', outcome: 'success', profile_id: ctx.profile, resource_id: ctx.profile }]);
});

test('401 without a token', async (ctx) => {
  const res = await ctx.api.request.post(`/api/alerts/${randomUUID()}/acknowledge`);
  assert.is(res.status, 401);
  assert.is(res.body.code, 'token_missing');
  assert.is((await ctx.api.request.get(`/api/profiles/${ctx.profile}/alerts`)).status, 401);
});

test.run();
