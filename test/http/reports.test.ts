import * as assert from 'uvu/assert';
import { evaluateProfile } from '../../src/consumers/decision-support/evaluate-profile.js';
import { recomputeJourney } from '../../src/consumers/journey/recompute.js';
import { escapeHtml, renderSummaryHtml } from '../../src/http/reports/summary-html.js';
import {
  healthSummaryReportSchema, loadSummaryReport, POINTS_PER_SERIES, type HealthSummaryReport,
} from '../../src/http/reports/summary-report.js';
import { insertRecord, lab } from '../helpers/clinical.js';
import { createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const NAME = '<script>alert(1)</script>';
const FILE_NAME = '"><img src=x onerror=alert(2)>.pdf';
// 30 monthly fasting glucose results (more than the report keeps), the last one high.
const GLUCOSE = Array.from({ length: 30 }, (_, i) => ({
  at: new Date(Date.UTC(2024, i, 15, 8)).toISOString(),
  value: i === 29 ? 7.2 : 5 + (i % 5) / 10,
}));

const test = databaseSuite<{ profile: string; users: Record<string, string>; document: string }>('reports: health summary');

test.before(async (ctx) => {
  const { pool } = ctx.db;
  const users: Record<string, string> = {};
  for (const name of ['owner', 'stranger', 'labsOnly', 'revoked']) users[name] = await createUser(pool);
  ctx.users = users;
  ctx.profile = await createProfile(pool, users.owner!, { displayName: NAME, birthDate: '1961-07-04' });
  const grant = async (who: string, categories: string[], revoked = false) =>
    grantAccess(pool, { profileId: ctx.profile, providerId: await createProvider(pool, users[who]!), grantedBy: users.owner!, categories, revoked });
  await grant('labsOnly', ['observations']);
  await grant('revoked', ['observations', 'medications', 'conditions', 'allergies', 'documents'], true);

  ctx.document = await createDocument(pool, ctx.profile, users.owner!);
  await pool.query(`update public.documents set status = 'processed', processed_at = now(), file_name = $2::text where id = $1::uuid`,
    [ctx.document, FILE_NAME]);
  const pending = await createDocument(pool, ctx.profile, users.owner!);
  await pool.query(`update public.documents set file_name = 'pending.pdf' where id = $1::uuid`, [pending]);

  for (const g of GLUCOSE) {
    await insertRecord(pool, 'observations', ctx.profile, lab('Glucose', g.value, 'mmol/L', g.at, {
      reference_low: 3.9, reference_high: 5.5, source_document_id: ctx.document,
    }));
  }
  for (const [i, bpm] of [72, 75, 70].entries()) {
    await insertRecord(pool, 'observations', ctx.profile,
      lab('Heart rate', bpm, '/min', `2026-0${i + 1}-10T09:00:00Z`, { category: 'vital-signs', source_document_id: pending }));
  }
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Amoxicillin', dose_text: '500 mg three times daily' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Metformin', status: 'stopped' });
  await insertRecord(pool, 'allergies', ctx.profile, { substance: 'Penicillin', criticality: 'high' });
  await insertRecord(pool, 'conditions', ctx.profile, { name: 'Type 2 diabetes', onset_date: '2019-05-01' });
  await recomputeJourney(pool, ctx.profile);
  await evaluateProfile(pool, ctx.profile);
});

const load = (ctx: { db: import('../helpers/database.js').TestDatabase; profile: string }, user: string) =>
  ctx.db.asUser(user, (client) => loadSummaryReport(client, ctx.profile));

test('the owner gets the whole report', async (ctx) => {
  const report = (await load(ctx, ctx.users.owner!))!;
  assert.ok(report);
  assert.equal(report.profile, { id: ctx.profile, display_name: NAME, birth_date: '1961-07-04', sex: 'unknown' });
  assert.ok(Math.abs(Date.parse(report.generated_at) - Date.now()) < 60_000);

  const summary = report.summary!;
  assert.equal(summary.active_medications.map((m) => [m.name, m.dose]), [['Amoxicillin', '500 mg three times daily']]);
  assert.equal(summary.active_problems.map((p) => [p.name, p.onset_date]), [['Type 2 diabetes', '2019-05-01']]);
  assert.equal(summary.allergies.map((a) => [a.substance, a.criticality]), [['Penicillin', 'high']]);
  assert.equal(summary.latest_vitals.map((v) => [v.name, v.value, v.unit, v.at]), [['Heart rate', 70, '/min', '2026-03-10T09:00:00.000Z']]);
  assert.is(summary.counts.observations, 33);

  const glucose = report.lab_series.find((s) => s.name === 'Glucose')!;
  assert.ok(glucose, 'the glucose series');
  assert.is(glucose.unit, 'mmol/L');
  assert.equal([glucose.reference_low, glucose.reference_high], [3.9, 5.5]);
  assert.is(glucose.latest_value, 7.2);
  assert.is(glucose.latest_at, GLUCOSE.at(-1)!.at);
  assert.is(glucose.points.length, POINTS_PER_SERIES, 'only the latest 24 of 30 points');
  assert.equal(glucose.points.map((p) => p.at), GLUCOSE.slice(-POINTS_PER_SERIES).map((g) => g.at), 'the latest ones, oldest first');
  assert.equal(glucose.points.map((p) => p.value), GLUCOSE.slice(-POINTS_PER_SERIES).map((g) => g.value));
  assert.ok(glucose.points.every((p) => p.convertible));
  assert.equal(report.lab_series.map((s) => s.name), ['Glucose', 'Heart rate'], 'latest measured first (2026-06 before 2026-03)');

  assert.ok(report.timeline_highlights.length > 0 && report.timeline_highlights.length <= 20);
  const times = report.timeline_highlights.map((t) => t.occurred_at);
  assert.equal(times, [...times].sort().reverse(), 'newest first');

  const summaries = report.alerts.map((a) => a.summary);
  assert.ok(summaries.some((s) => /Glucose 7\.2 mmol\/L is high/.test(s)), `out-of-range alert in ${JSON.stringify(summaries)}`);
  assert.ok(report.alerts.some((a) => a.severity === 'critical' && /amoxicillin/i.test(a.summary)), 'drug-allergy alert');
  assert.is(report.alerts[0]!.severity, 'critical', 'most severe first');

  assert.equal(report.documents.map((d) => [d.id, d.file_name, d.status]), [[ctx.document, FILE_NAME, 'processed']], 'the cited documents, processed only');
});

test('an unrelated user and a provider whose grant was revoked get null', async (ctx) => {
  assert.is(await load(ctx, ctx.users.stranger!), null);
  assert.is(await load(ctx, ctx.users.revoked!), null);
});

test('a provider granted observations only: lab series and lab alerts, no summary', async (ctx) => {
  const report = (await load(ctx, ctx.users.labsOnly!))!;
  assert.ok(report);
  assert.is(report.profile.display_name, NAME);
  assert.is(report.summary, null);
  assert.equal(report.lab_series.map((s) => s.name), ['Glucose', 'Heart rate']);
  assert.is(report.lab_series[0]!.points.length, POINTS_PER_SERIES);
  assert.ok(report.timeline_highlights.length > 0);
  assert.ok(report.timeline_highlights.every((t) => t.kind === 'results'), 'only the results entries');
  assert.ok(report.alerts.length > 0 && report.alerts.every((a) => !/amoxicillin/i.test(a.summary)), 'no medication alert');
  assert.equal(report.documents, [], 'documents are not granted');
});

test('the schema accepts the JSON of every report', async (ctx) => {
  for (const user of [ctx.users.owner!, ctx.users.labsOnly!]) {
    const report = await load(ctx, user);
    const parsed = healthSummaryReportSchema.safeParse(JSON.parse(JSON.stringify(report)));
    assert.ok(parsed.success, parsed.error?.message);
  }
});

test('the HTML escapes every value and draws one chart per series', async (ctx) => {
  const report = (await load(ctx, ctx.users.owner!))!;
  const html = renderSummaryHtml(report);
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.includes('<meta name="robots" content="noindex">'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the escaped name');
  assert.not.ok(/<script/i.test(html), 'no script element at all');
  assert.not.ok(html.includes('<img'), 'the file name is escaped');
  assert.ok(html.includes(escapeHtml(FILE_NAME)));
  // The escaped file name still reads "onerror=" as text; nothing else may.
  const rest = html.replaceAll(escapeHtml(FILE_NAME), '');
  assert.not.ok(/\son[a-z]+=/i.test(rest), 'no event handler attribute');
  assert.not.ok(/\s(src|href)=/i.test(rest), 'no external reference');
  assert.is(html.split('<svg').length - 1, report.lab_series.length);
  assert.ok(html.includes('Latest 7.2 mmol/L'), 'the latest glucose value');
  assert.ok(html.includes('Amoxicillin') && html.includes('Penicillin') && html.includes('Type 2 diabetes'));
  assert.ok(html.includes('1961-07-04'));
  assert.ok(html.includes('@media print'));
});

test('the HTML of a hostile, sparse report: units and titles escaped, SVG text too', () => {
  const hostile = '</text><script>alert(3)</script>';
  const report: HealthSummaryReport = {
    profile: { id: '00000000-0000-4000-8000-000000000000', display_name: "O'Brien & <b>Sons</b>", birth_date: null, sex: 'female' },
    generated_at: '2026-11-25T10:00:00.000Z',
    summary: null,
    lab_series: [
      {
        series_key: 'name:x', name: hostile, unit: hostile, direction: 'rising', reference_low: null, reference_high: 10,
        latest_value: 12, latest_at: '2026-02-01T00:00:00.000Z',
        points: [
          { at: '2026-01-01T00:00:00.000Z', value: 9, convertible: true },
          { at: '2026-01-15T00:00:00.000Z', value: 400, convertible: false },
          { at: '2026-02-01T00:00:00.000Z', value: 12, convertible: true },
        ],
      },
      { series_key: 'name:y', name: 'Flat', unit: null, direction: null, reference_low: null, reference_high: null,
        latest_value: 1, latest_at: '2026-02-01T00:00:00.000Z', points: [{ at: '2026-02-01T00:00:00.000Z', value: 1, convertible: true }] },
      { series_key: 'name:z', name: 'Odd unit only', unit: 'g/L', direction: null, reference_low: null, reference_high: null,
        latest_value: null, latest_at: null, points: [{ at: '2026-02-01T00:00:00.000Z', value: 3, convertible: false }] },
    ],
    timeline_highlights: [{ occurred_at: '2026-02-01T00:00:00.000Z', kind: 'results', title: hostile }],
    alerts: [{ severity: 'warning', summary: hostile, status: 'acknowledged', first_seen_at: '2026-02-01T00:00:00.000Z' }],
    documents: [],
  };
  assert.ok(healthSummaryReportSchema.safeParse(report).success);
  const html = renderSummaryHtml(report);
  assert.not.ok(/<script/i.test(html));
  assert.not.ok(html.includes(hostile), 'nothing closes an SVG text early');
  assert.ok(html.includes(escapeHtml(hostile)));
  assert.ok(html.includes('O&#39;Brien &amp; &lt;b&gt;Sons&lt;/b&gt;'));
  assert.is(html.split('<svg').length - 1, 2, 'no chart for a series with nothing in its unit');
  assert.ok(html.includes('1 result in another unit not plotted'));
  assert.ok(html.includes('rising'));
  assert.ok(html.includes('Not available'), 'the summary sections say why they are empty');
  assert.not.ok(html.includes('NaN'), 'a single point (flat range) still has finite coordinates');
});

test.run();
