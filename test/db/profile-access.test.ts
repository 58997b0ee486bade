/**
 * private.profile_access is what every select policy on health data reads (migrations
 * 0900, 1600), so its upkeep must hold when memberships and grants change at once.
 */
import * as assert from 'uvu/assert';
import { addMember, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite, until } from '../helpers/suite.js';

const test = databaseSuite('private.profile_access under concurrent changes');

test('a grant revoked while another transaction adds a member leaves no access behind', async ({ db }) => {
  const owner = await createUser(db.pool);
  const profile = await createProfile(db.pool, owner);
  const doctor = await createUser(db.pool);
  const provider = await createProvider(db.pool, doctor);
  const grant = await grantAccess(db.pool, { profileId: profile, providerId: provider, grantedBy: owner, categories: ['observations'] });
  const newcomer = await createUser(db.pool);
  const accessOf = async (user: string) =>
    (await db.pool.query(`select category from private.profile_access where user_id = $1::uuid and profile_id = $2::uuid`, [user, profile])).rows;
  assert.equal(await accessOf(doctor), [{ category: 'observations' }]);

  const adding = await db.pool.connect();
  const revoking = await db.pool.connect();
  try {
    // A adds a member (its refresh rewrites the profile's rows) and stays open.
    await adding.query('begin');
    await addMember(adding as unknown as Parameters<typeof addMember>[0], profile, newcomer, 'viewer');
    // B revokes the grant meanwhile; its refresh must wait for A's, then see A's rows.
    await revoking.query('begin');
    const revokingPid = (await revoking.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const revoked = revoking.query(`update public.access_grants set revoked_at = now() where id = $1::uuid`, [grant]);
    await until(async () => (await db.pool.query(
      `select 1 from pg_stat_activity where pid = $1::int and wait_event_type = 'Lock'`, [revokingPid])).rowCount === 1);
    await adding.query('commit');
    await revoked;
    await revoking.query('commit');
  } finally {
    adding.release();
    revoking.release();
  }
  assert.equal(await accessOf(doctor), []);
  assert.is((await accessOf(newcomer)).length, 8);
});

test.run();
