import * as assert from 'uvu/assert';
import { recomputeJourney } from '../../src/consumers/journey/recompute.js';
import { journeySchema, seriesPageSchema } from '../../src/http/api/journey.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { insertRecord, lab } from '../helpers/clinical.js';
import { createDocument, createProfile, createUser } from '../helpers/fixtures.js';
import { shapeMismatches } from '../helpers/schema-shape.js';
import { databaseSuite } from '../helpers/suite.js';

interface Ctx {
  api: TestApi;
  owner: string;
  profile: string;
}

const test = databaseSuite<Ctx>('http: the journey answers have the keys and types of their schemas');

// A profile where every field the schemas declare has something to say: a source
// document on every record that can carry one, optional summary fields filled, a
// coded series with a reference range, an interpretation and a direction, a vital sign.
test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  ctx.owner = await createUser(pool);
  ctx.profile = await createProfile(pool, ctx.owner);
  const document = await createDocument(pool, ctx.profile, ctx.owner);
  for (const [i, value] of [5.1, 5.6, 6.2, 6.9, 7.4].entries()) {
    await insertRecord(pool, 'observations', ctx.profile, lab('Glucose', value, 'mmol/L', `2025-0${i + 1}-15T08:00:00Z`, {
      code_system: 'http://loinc.org', code: '2345-7', reference_low: 3.9, reference_high: 5.5,
      interpretation: value > 5.5 ? 'H' : 'N', source_document_id: document,
    }));
  }
  await insertRecord(pool, 'observations', ctx.profile, lab('Heart rate', 72, '/min', '2025-06-10T09:00:00Z', { category: 'vital-signs' }));
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Metformin', dose_text: '500 mg twice daily', start_date: '2024-06-01', source_document_id: document });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Amoxicillin', start_date: '2024-01-01', end_date: '2024-01-10', status: 'completed' });
  await insertRecord(pool, 'conditions', ctx.profile, { name: 'Type 2 diabetes', onset_date: '2024-05-20', severity: 'moderate', source_document_id: document });
  await insertRecord(pool, 'allergies', ctx.profile, { substance: 'Penicillin', criticality: 'high', reaction: 'hives', recorded_date: '2020-03-01' });
  await insertRecord(pool, 'immunizations', ctx.profile, { vaccine: 'Influenza', occurrence_date: '2025-10-01' });
  await insertRecord(pool, 'encounters', ctx.profile, { start_at: '2025-02-02T10:00:00Z' });
  await insertRecord(pool, 'procedures', ctx.profile, { name: 'Colonoscopy', performed_at: '2023-09-09T09:00:00Z' });
  await recomputeJourney(pool, ctx.profile);
});

const get = async (ctx: Ctx, path: string, query: Record<string, string>) => {
  const res = await ctx.api.request.get(path).query(query).set('authorization', `Bearer ${await ctx.api.tokenFor(ctx.owner)}`);
  assert.is(res.status, 200, JSON.stringify(res.body));
  return res.body as unknown;
};

test('the journey statement answers with exactly the keys and types journeySchema declares', async (ctx) => {
  // A short page (a next cursor), the last page (none), and the same page again (the kept answer).
  const answers = [
    await get(ctx, '/api/healthcare-journey', { profile: ctx.profile, limit: '2' }),
    await get(ctx, '/api/healthcare-journey', { profile: ctx.profile }),
    await get(ctx, '/api/healthcare-journey', { profile: ctx.profile }),
  ];
  for (const answer of answers) journeySchema.parse(answer);
  assert.equal(shapeMismatches(journeySchema, answers), []);
});

test('a series page answers with exactly the keys and types its schema declares', async (ctx) => {
  const answers = [
    await get(ctx, '/api/healthcare-journey/series/loinc%3A2345-7', { profile: ctx.profile, limit: '2' }),
    await get(ctx, '/api/healthcare-journey/series/loinc%3A2345-7', { profile: ctx.profile }),
  ];
  for (const answer of answers) seriesPageSchema.parse(answer);
  assert.equal(shapeMismatches(seriesPageSchema, answers), []);
});

test('a key the SQL adds or drops is caught', async (ctx) => {
  const answer = await get(ctx, '/api/healthcare-journey', { profile: ctx.profile, limit: '2' }) as { timeline: { entries: Record<string, unknown>[] } };
  const drifted = structuredClone(answer);
  for (const entry of drifted.timeline.entries) {
    entry.extra = 1;
    delete entry.title;
  }
  assert.equal(shapeMismatches(journeySchema, [drifted]), [
    { path: '$.timeline.entries[].extra', problem: 'undeclared' },
    { path: '$.timeline.entries[].title', problem: 'never filled' },
  ]);
});

test.run();
