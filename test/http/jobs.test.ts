import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { toPdf, sampleLabReport } from '../fixtures/documents.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { addMember, createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';
import { JOB_TYPES } from '../../src/events/job-types.js';

const test = databaseSuite<{ api: TestApi; owner: string; token: string }>('api: jobs');

test.before(async (ctx) => {
  ctx.api = await createTestApi(ctx.db);
  ctx.owner = await createUser(ctx.db.pool);
  ctx.token = await ctx.api.tokenFor(ctx.owner);
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

interface JobJson { id: string; type: string; status: string; document_id: string | null; attempts: number; error_code: string | null }

test('my jobs list my documents\' reading and my profile\'s recomputations, with error codes but no payloads or messages', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const uploaded = await ctx.api.request.post(`/api/profiles/${profile}/documents`).set(auth(ctx.token))
    .attach('file', Buffer.from(await toPdf(sampleLabReport())), 'labs.pdf');
  assert.is(uploaded.status, 202);
  // A failed reading of another document of the profile, as the worker leaves it.
  const failedDoc = await createDocument(ctx.db.pool, profile, ctx.owner);
  const failedJob = await enqueue(ctx.db.pool, JOB_TYPES.processDocument, { document_id: failedDoc });
  await ctx.db.pool.query(
    `update public.job_queue set status = 'failed', retry_count = 1, completed_at = now(), updated_at = now() + interval '1 second',
            error = 'pdf_encrypted: the PDF "Blood results of J. Doe" is password-protected' where id = $1::uuid`,
    [failedJob.id],
  );
  // Someone else's work must not appear.
  const otherProfile = await createProfile(ctx.db.pool, await createUser(ctx.db.pool));
  await enqueue(ctx.db.pool, JOB_TYPES.processDocument, { document_id: await createDocument(ctx.db.pool, otherProfile, ctx.owner) });

  const res = await ctx.api.request.get(`/api/profiles/${profile}/jobs`).set(auth(ctx.token));
  assert.is(res.status, 200);
  const jobs: JobJson[] = res.body.jobs;
  assert.equal(jobs[0], { ...jobs[0]!, id: failedJob.id, type: JOB_TYPES.processDocument, status: 'failed', document_id: failedDoc, attempts: 1, error_code: 'pdf_encrypted' });
  const byType = (type: string) => jobs.filter((j) => j.type === type).map((j) => [j.status, j.document_id, j.attempts, j.error_code]);
  assert.equal(byType(JOB_TYPES.processDocument), [['failed', failedDoc, 1, 'pdf_encrypted'], ['pending', uploaded.body.id, 0, null]]);
  // The documents' inserts queued the profile's derived pipelines (one pending job each, de-duplicated).
  assert.equal(byType('recompute_journey'), [['pending', null, 0, null]]);
  assert.equal(byType('evaluate_rules'), [['pending', null, 0, null]]);
  for (const job of jobs) {
    assert.equal(Object.keys(job).sort(), ['attempts', 'document_id', 'error_code', 'id', 'run_at', 'status', 'type', 'updated_at']);
  }
  assert.not.match(res.text, /Doe|password|profile_id|payload/);
});

test('a job error without a code shows as transient_error, an operator cancel as cancelled', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doc = await createDocument(ctx.db.pool, profile, ctx.owner);
  const transient = await enqueue(ctx.db.pool, JOB_TYPES.processDocument, { document_id: doc });
  await ctx.db.pool.query(`update public.job_queue set retry_count = 1, error = 'Error: connect ECONNREFUSED 10.0.0.1:443' where id = $1::uuid`, [transient.id]);
  const cancelled = await enqueue(ctx.db.pool, JOB_TYPES.processDocument, { document_id: doc });
  const service = await ctx.api.serviceToken();
  assert.is((await ctx.api.request.post(`/api/admin/jobs/${cancelled.id}/cancel`).set(auth(service))).status, 200);

  const res = await ctx.api.request.get(`/api/profiles/${profile}/jobs`).set(auth(ctx.token));
  const codes = Object.fromEntries(res.body.jobs.map((j: JobJson) => [j.id, [j.status, j.error_code]]));
  assert.equal([codes[transient.id], codes[cancelled.id]], [['pending', 'transient_error'], ['failed', 'cancelled']]);
  assert.not.match(res.text, /ECONNREFUSED|10\.0\.0\.1/);
});

test('jobs of a profile I cannot see answer 404 like a missing one; a provider sees document jobs only with a documents grant', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doc = await createDocument(ctx.db.pool, profile, ctx.owner);
  await enqueue(ctx.db.pool, JOB_TYPES.processDocument, { document_id: doc });
  const stranger = await ctx.api.tokenFor(await createUser(ctx.db.pool));
  const theirs = await ctx.api.request.get(`/api/profiles/${profile}/jobs`).set(auth(stranger));
  const missing = await ctx.api.request.get(`/api/profiles/${randomUUID()}/jobs`).set(auth(stranger));
  assert.equal([theirs.status, theirs.body.code, theirs.body.detail], [missing.status, missing.body.code, missing.body.detail]);
  assert.equal([theirs.status, theirs.body.code], [404, 'profile_not_found']);
  assert.is((await ctx.api.request.get(`/api/profiles/${profile}/jobs`)).status, 401);
  assert.is((await ctx.api.request.get('/api/profiles/x/jobs').set(auth(ctx.token))).status, 400);

  const viewer = await createUser(ctx.db.pool);
  await addMember(ctx.db.pool, profile, viewer, 'viewer');
  const viewed = await ctx.api.request.get(`/api/profiles/${profile}/jobs`).set(auth(await ctx.api.tokenFor(viewer)));
  assert.ok(viewed.body.jobs.some((j: JobJson) => j.document_id === doc));

  const labsOnly = await createUser(ctx.db.pool);
  await grantAccess(ctx.db.pool, { profileId: profile, providerId: await createProvider(ctx.db.pool, labsOnly), grantedBy: ctx.owner, categories: ['observations'] });
  const provider = await ctx.api.request.get(`/api/profiles/${profile}/jobs`).set(auth(await ctx.api.tokenFor(labsOnly)));
  assert.is(provider.status, 200);
  assert.equal(provider.body.jobs.filter((j: JobJson) => j.type === JOB_TYPES.processDocument), []);
});

test('operator endpoints answer 403 to a user token and 401 without one', async (ctx) => {
  const id = randomUUID();
  const answers = await Promise.all([
    ctx.api.request.get('/api/admin/queue').set(auth(ctx.token)),
    ctx.api.request.post(`/api/admin/jobs/${id}/retry`).set(auth(ctx.token)),
    ctx.api.request.post(`/api/admin/jobs/${id}/cancel`).set(auth(ctx.token)),
  ]);
  assert.equal(answers.map((a) => [a.status, a.body.code]), Array(3).fill([403, 'service_role_required']));
  assert.is((await ctx.api.request.get('/api/admin/queue')).status, 401);
});

test('the service role reads the queue, retries a failed job and cancels a pending one; wrong states answer 409, unknown ids 404', async (ctx) => {
  const service = await ctx.api.serviceToken();
  const failed = await enqueue(ctx.db.pool, 'test_operator', { n: 1 });
  await ctx.db.pool.query(
    `update public.job_queue set status = 'failed', retry_count = 4, completed_at = now(), error = 'boom_code: broken' where id = $1::uuid`,
    [failed.id],
  );
  const pending = await enqueue(ctx.db.pool, 'test_operator', { n: 2 });

  const queue = await ctx.api.request.get('/api/admin/queue').set(auth(service));
  assert.is(queue.status, 200);
  const depth = queue.body.depth.filter((d: { type: string }) => d.type === 'test_operator');
  assert.equal(depth, [{ type: 'test_operator', status: 'failed', count: 1 }, { type: 'test_operator', status: 'pending', count: 1 }]);
  assert.equal(queue.body.failures.find((f: { id: string }) => f.id === failed.id), {
    id: failed.id, type: 'test_operator', retry_count: 4, failed_at: queue.body.failures.find((f: { id: string }) => f.id === failed.id).failed_at, error: 'boom_code: broken',
  });
  assert.is(typeof queue.body.oldest_pending_age_seconds, 'number');

  const retried = await ctx.api.request.post(`/api/admin/jobs/${failed.id}/retry`).set(auth(service));
  assert.equal([retried.status, retried.body.id, retried.body.status, retried.body.retry_count], [200, failed.id, 'pending', 0]);
  const retryPending = await ctx.api.request.post(`/api/admin/jobs/${pending.id}/retry`).set(auth(service));
  assert.equal([retryPending.status, retryPending.body.code], [409, 'job_wrong_state']);

  const cancelled = await ctx.api.request.post(`/api/admin/jobs/${pending.id}/cancel`).set(auth(service));
  assert.equal([cancelled.status, cancelled.body.status], [200, 'failed']);
  const { rows } = await ctx.db.pool.query(`select error, result from public.job_queue where id = $1::uuid`, [pending.id]);
  assert.equal(rows[0], { error: 'cancelled by operator', result: { cancelled: true } });
  await ctx.db.pool.query(`update public.job_queue set status = 'completed', completed_at = now() where id = $1::uuid`, [failed.id]);
  const cancelCompleted = await ctx.api.request.post(`/api/admin/jobs/${failed.id}/cancel`).set(auth(service));
  assert.equal([cancelCompleted.status, cancelCompleted.body.code], [409, 'job_wrong_state']);

  const unknown = await ctx.api.request.post(`/api/admin/jobs/${randomUUID()}/retry`).set(auth(service));
  assert.equal([unknown.status, unknown.body.code], [404, 'job_not_found']);
  assert.is((await ctx.api.request.post(`/api/admin/jobs/${randomUUID()}/cancel`).set(auth(service))).status, 404);
  assert.is((await ctx.api.request.post('/api/admin/jobs/not-a-job/cancel').set(auth(service))).status, 400);

  const { rows: audit } = await ctx.db.pool.query(
    `select action, outcome, actor_kind from public.audit_log where request_id = $1::text`, [cancelled.headers['x-request-id']],
  );
  assert.equal(audit, [{ action: 'job.cancel', outcome: 'success', actor_kind: 'service' }]);
});

test.run();
