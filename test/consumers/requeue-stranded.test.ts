import * as assert from 'uvu/assert';
import { requeueStrandedUploads } from '../../src/consumers/documents/requeue-stranded.js';
import { createDocument, createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('stranded uploads');

test('an upload left without a job is queued once, and only when it is old enough', async ({ db }) => {
  const owner = await createUser(db.pool);
  const profile = await createProfile(db.pool, owner);
  const stranded = await createDocument(db.pool, profile, owner);
  const fresh = await createDocument(db.pool, profile, owner);
  await db.pool.query(`update public.documents set created_at = now() - interval '10 minutes' where id = $1::uuid`, [stranded]);
  await db.pool.query(`delete from public.job_queue`);

  assert.is(await requeueStrandedUploads(db.pool), 1);
  const jobs = (await db.pool.query(`select payload->>'document_id' as id, dedupe_key from public.job_queue where type = 'process_document'`)).rows;
  assert.equal(jobs, [{ id: stranded, dedupe_key: stranded }]);
  const statuses = (await db.pool.query(`select id, status from public.documents where profile_id = $1::uuid order by created_at`, [profile])).rows;
  assert.equal(statuses, [{ id: stranded, status: 'queued' }, { id: fresh, status: 'uploaded' }]);
  assert.is(await requeueStrandedUploads(db.pool), 0, 'a second sweep finds nothing to do');
});

test.run();
