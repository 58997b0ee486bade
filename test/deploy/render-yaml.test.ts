/**
 * Render.yaml as Render users write it. What it declares is checked
 * here; that each service boots with it is render-blueprint.test.ts.
 */
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { config } from '../helpers/database.js';
import { readBlueprint, type Blueprint } from '../helpers/render-blueprint.js';

const test = suite<{ blueprint: Blueprint }>('render.yaml as Render users write it', {} as { blueprint: Blueprint });

test.before(async (ctx) => {
  ctx.blueprint = await readBlueprint(path.join(config.projectRoot, 'render.yaml'));
});

test('the api, a worker and a cron job, every one attached to the shared env var group', ({ blueprint }) => {
  assert.equal(blueprint.services.map((s) => s.type).sort(), ['cron', 'web', 'worker']);
  const shared = [...blueprint.groups.keys()];
  assert.ok(shared.length > 0, 'no envVarGroups');
  for (const service of blueprint.services) {
    assert.ok(shared.every((group) => service.groups.includes(group)), `${service.name} does not attach ${shared.join(', ')}`);
  }
});

test('DATABASE_URL is declared once, in the group, and never overridden by a service', ({ blueprint }) => {
  const inGroups = [...blueprint.groups.values()].flat().filter((d) => d.key === 'DATABASE_URL');
  assert.is(inGroups.length, 1);
  for (const service of blueprint.services) {
    assert.not.ok(service.ownEnv.some((d) => d.key === 'DATABASE_URL'), `${service.name} declares its own DATABASE_URL`);
    const keys = service.ownEnv.map((d) => d.key);
    assert.equal(keys.filter((key, i) => keys.indexOf(key) !== i), [], `${service.name} declares a key twice`);
  }
});

test('every service names its region, the same one for all', ({ blueprint }) => {
  const regions = new Set(blueprint.services.map((s) => s.region));
  assert.not.ok(regions.has(undefined), 'a service leaves its region to Render\'s default');
  assert.is(regions.size, 1, `the services run in different regions: ${[...regions].join(', ')}`);
});

test('every service builds dist/ and prunes dev dependencies, starts with node dist/…, on Node 24; the api migrates before each deploy', ({ blueprint }) => {
  for (const service of blueprint.services) {
    assert.match(service.buildCommand ?? '', /^npm ci\b.*&& npm run build && npm prune --omit=dev$/, service.name);
    assert.match(service.startCommand, /^node dist\/[\w/-]+\.js$/, service.name);
    assert.is(service.env.find((d) => d.key === 'NODE_VERSION')?.value, '24', service.name);
  }
  const api = blueprint.services.find((s) => s.type === 'web')!;
  assert.is(api.preDeployCommand, 'node dist/cli/migrate.js');
  assert.is(api.healthCheckPath, '/readyz');
});

test('no secret is committed: connection strings, keys, secrets and tokens are sync: false or generated', ({ blueprint }) => {
  const secretLike = /(^DATABASE_.*URL$|KEY$|SECRET|TOKEN|PASSWORD)/;
  const declarations = [...[...blueprint.groups.values()].flat(), ...blueprint.services.flatMap((s) => s.ownEnv)];
  const committed = declarations.filter((d) => secretLike.test(d.key) && d.value !== undefined).map((d) => d.key);
  assert.equal(committed, []);
});

test.run();
