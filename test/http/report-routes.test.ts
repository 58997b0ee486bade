import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { evaluateProfile } from '../../src/consumers/decision-support/evaluate-profile.js';
import { recomputeJourney } from '../../src/consumers/journey/recompute.js';
import { healthSummaryReportSchema } from '../../src/http/reports/summary-report.js';
import { PAGE_CSP } from '../../src/http/security-headers.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { insertRecord, lab } from '../helpers/clinical.js';
import { createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite, type DatabaseContext } from '../helpers/suite.js';

const NAME = 'Sam <b>"Bold"</b> & <script>alert(1)</script>';
interface Ctx { api: TestApi; profile: string; users: Record<string, string>; document: string }
type C = Ctx & DatabaseContext;

const test = databaseSuite<Ctx>('http: summary report routes');

test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  const users: Record<string, string> = {};
  for (const name of ['owner', 'stranger', 'labsOnly']) users[name] = await createUser(pool);
  ctx.users = users;
  ctx.profile = await createProfile(pool, users.owner!, { displayName: NAME, birthDate: '1970-02-03' });
  await grantAccess(pool, { profileId: ctx.profile, providerId: await createProvider(pool, users.labsOnly!), grantedBy: users.owner!, categories: ['observations'] });
  ctx.document = await createDocument(pool, ctx.profile, users.owner!);
  await pool.query(`update public.documents set status = 'processed', processed_at = now() where id = $1::uuid`, [ctx.document]);
  for (const [i, value] of [5.1, 5.4, 6.8].entries()) {
    await insertRecord(pool, 'observations', ctx.profile, lab('Glucose', value, 'mmol/L', `2025-0${i + 1}-15T08:00:00Z`, {
      reference_low: 3.9, reference_high: 5.5, source_document_id: ctx.document,
    }));
  }
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Amoxicillin', dose_text: '500 mg' });
  await insertRecord(pool, 'allergies', ctx.profile, { substance: 'Penicillin', criticality: 'high' });
  await insertRecord(pool, 'conditions', ctx.profile, { name: 'Prediabetes', onset_date: '2024-11-02' });
  await recomputeJourney(pool, ctx.profile);
  await evaluateProfile(pool, ctx.profile);
});

const get = async (ctx: C, user: string, options: { profile?: string; accept?: string; query?: string } = {}) => {
  const req = ctx.api.request.get(`/api/reports/${options.profile ?? ctx.profile}/summary${options.query ?? ''}`)
    .set('authorization', `Bearer ${await ctx.api.tokenFor(ctx.users[user]!)}`);
  return options.accept ? req.set('accept', options.accept) : req;
};

test('JSON by default: the whole report for the owner, matching the schema', async (ctx) => {
  const res = await get(ctx, 'owner');
  assert.is(res.status, 200, JSON.stringify(res.body));
  assert.match(res.headers['content-type']!, /^application\/json/);
  assert.is(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", 'the api policy on JSON');
  const report = healthSummaryReportSchema.parse(res.body);
  assert.equal(report.profile, { id: ctx.profile, display_name: NAME, birth_date: '1970-02-03', sex: 'unknown' });
  assert.equal(report.summary?.active_medications.map((m) => [m.name, m.dose]), [['Amoxicillin', '500 mg']]);
  assert.equal(report.summary?.allergies.map((a) => a.substance), ['Penicillin']);
  assert.equal(report.summary?.active_problems.map((p) => p.name), ['Prediabetes']);
  const glucose = report.lab_series.find((s) => s.name === 'Glucose')!;
  assert.equal(glucose.points.map((p) => p.value), [5.1, 5.4, 6.8]);
  assert.is(glucose.latest_value, 6.8);
  assert.equal(report.documents.map((d) => d.id), [ctx.document]);
  assert.ok(report.alerts.some((a) => /amoxicillin/i.test(a.summary)), JSON.stringify(report.alerts));
  // Accept: application/json and */* give the same.
  for (const accept of ['application/json', '*/*']) {
    const again = await get(ctx, 'owner', { accept });
    assert.match(again.headers['content-type']!, /^application\/json/, accept);
    assert.is(again.body.profile.id, ctx.profile);
  }
});

test('HTML when the client prefers it or asks for it: content type, page CSP, escaped name', async (ctx) => {
  const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  for (const options of [{ accept: browser }, { query: '?format=html' }, { accept: 'application/json', query: '?format=html' }]) {
    const res = await get(ctx, 'owner', options);
    assert.is(res.status, 200, JSON.stringify(options));
    assert.is(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.is(res.headers['content-security-policy'], PAGE_CSP);
    assert.match(res.headers.vary ?? '', /Accept/i);
    assert.is(res.headers['cache-control'], 'no-store');
    const html = res.text;
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.ok(html.includes('Sam &lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;'), 'the name, escaped');
    assert.not.ok(html.includes(NAME), 'never the raw name');
    assert.not.ok(/<script/i.test(html));
    assert.ok(html.includes('Glucose'));
    assert.ok(html.includes('<svg'), 'a trend chart');
  }
  // ?format=json wins over a browser's Accept.
  const json = await get(ctx, 'owner', { accept: browser, query: '?format=json' });
  assert.match(json.headers['content-type']!, /^application\/json/);
});

test("a provider granted observations only: lab series, no summary, no medication alert", async (ctx) => {
  const res = await get(ctx, 'labsOnly');
  assert.is(res.status, 200);
  const report = healthSummaryReportSchema.parse(res.body);
  assert.is(report.summary, null);
  assert.is(report.lab_series.length, 1);
  assert.not.ok(report.alerts.some((a) => /amoxicillin/i.test(a.summary)));
});

test("404 for someone else's profile, the same as for a missing one (JSON and HTML alike)", async (ctx) => {
  const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
  const missing = await get(ctx, 'stranger', { profile: randomUUID() });
  assert.is(missing.status, 404);
  assert.is(missing.body.code, 'profile_not_found');
  const other = await get(ctx, 'stranger');
  assert.equal(strip(other.body), strip(missing.body));
  const html = await get(ctx, 'stranger', { query: '?format=html' });
  assert.is(html.status, 404);
  assert.match(html.headers['content-type']!, /^application\/problem\+json/);
  assert.not.ok(html.text.includes('Sam'));
});

test('validation, 406 and 401', async (ctx) => {
  const badId = await get(ctx, 'owner', { profile: 'nope' });
  assert.is(badId.status, 400);
  assert.is(badId.body.code, 'validation_failed');
  const badFormat = await get(ctx, 'owner', { query: '?format=pdf' });
  assert.is(badFormat.status, 400);
  assert.is(badFormat.body.errors[0].path, 'format');
  const notAcceptable = await get(ctx, 'owner', { accept: 'image/png' });
  assert.is(notAcceptable.status, 406);
  assert.is(notAcceptable.body.code, 'not_acceptable');
  const anonymous = await ctx.api.request.get(`/api/reports/${ctx.profile}/summary`);
  assert.is(anonymous.status, 401);
});

test('report reads are audited with the format', async (ctx) => {
  const res = await get(ctx, 'owner', { query: '?format=html' });
  const { rows } = await ctx.db.pool.query(
    `select action, outcome, actor_kind, profile_id, details from public.audit_log where request_id = $1`, [res.headers['x-request-id']]);
  assert.equal(rows, [{ action: 'report.read', outcome: 'success', actor_kind: 'user', profile_id: ctx.profile, details: { format: 'html' } }]);
});

test.run();
