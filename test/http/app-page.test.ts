/**
 * The /app page in a real browser (headless Chromium): sign in with a token, upload the
 * shipped sample, and watch its status, the journey and the alert arrive through
 * @supabase/supabase-js and the gateway, without reloading the page.
 */
import * as assert from 'uvu/assert';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { mintToken } from '../../src/auth/tokens.js';
import { chromiumPath, launchChromium } from '../helpers/browser.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { startLiveStack, type LiveStack } from '../helpers/live-stack.js';
import { databaseSuite, until } from '../helpers/suite.js';

interface Ctx {
  stack: LiveStack;
  browser: Browser;
  page: Page;
  /** What the page reported: console errors, uncaught exceptions, CSP violations. */
  problems: string[];
  owner: string;
  profile: string;
}

const SAMPLE = path.join(loadConfig({}).projectRoot, 'samples', 'lab-report.pdf');
const WAIT_MS = 30_000;

const test = databaseSuite<Ctx>('the /app page in a browser');
const browserTest = chromiumPath ? test : test.skip;
if (!chromiumPath) console.log('  (browser tests skipped: no Chromium here; apt-get install chromium)');

test.before(async (ctx) => {
  if (!chromiumPath) return;
  ctx.stack = await startLiveStack(ctx.db);
  ctx.browser = await launchChromium();
  ctx.owner = await createUser(ctx.db.pool);
  ctx.profile = await createProfile(ctx.db.pool, ctx.owner);
});

test.before.each(async (ctx) => {
  if (!chromiumPath) return;
  ctx.problems = [];
  ctx.page = await ctx.browser.newPage();
  ctx.page.on('console', (message) => {
    if (message.type() === 'error') ctx.problems.push(message.text());
  });
  ctx.page.on('pageerror', (error) => ctx.problems.push(error.message));
});

test.after.each(async (ctx) => {
  await ctx.page?.close();
});

test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.stack?.close();
});

function appUrl(ctx: Ctx): string {
  return `http://127.0.0.1:${ctx.stack.api.port}/app`;
}

async function signIn(ctx: Ctx, token: string): Promise<void> {
  await ctx.page.goto(appUrl(ctx));
  await ctx.page.waitForSelector('body[data-ready="true"]');
  await ctx.page.fill('#token', token);
  await ctx.page.click('#sign-in');
}

browserTest('the page is served with a strict CSP and runs within it (no inline code, no errors)', async (ctx) => {
  const response = await ctx.page.goto(appUrl(ctx));
  assert.is(response?.status(), 200);
  const csp = response?.headers()['content-security-policy'] ?? '';
  assert.match(csp, "script-src 'self';");
  assert.not.match(csp, 'unsafe-inline');
  await ctx.page.waitForSelector('body[data-ready="true"]');
  assert.is(await ctx.page.evaluate(() => typeof (globalThis as unknown as { supabase?: { createClient?: unknown } }).supabase?.createClient), 'function');
  assert.equal(ctx.problems, []);
});

browserTest('a refused token is explained and nothing is shown', async (ctx) => {
  const forged = await mintToken({ ...ctx.stack.auth, jwtSecret: 'another-secret-another-secret-0123456789' }, { userId: ctx.owner });
  await signIn(ctx, forged);
  const message = await ctx.page.waitForSelector('#message:not([hidden])');
  assert.match(await message.textContent() ?? '', 'refused');
  assert.is(await ctx.page.isHidden('#workspace'), true);
});

browserTest('upload the sample: status, journey and the alert appear live, without a reload', async (ctx) => {
  const worker = ctx.stack.worker();
  await worker.start();
  try {
    await signIn(ctx, await mintToken(ctx.stack.auth, { userId: ctx.owner, expiresInSeconds: 600 }));
    await ctx.page.waitForSelector('#live[data-state="live"]', { timeout: WAIT_MS });
    assert.is(await ctx.page.inputValue('#profile'), ctx.profile);
    assert.is(await ctx.page.textContent('#alerts'), 'No open alerts.');
    assert.is(await ctx.page.textContent('#documents'), 'No documents yet.');

    // A marker a reload would wipe out, and a record, kept in the page, of every status the
    // document list renders: polling from here missed the short ones on a busy machine.
    // As source text: the project's TypeScript has no DOM types, and this runs in the page.
    await ctx.page.evaluate(`(() => {
      window.notReloaded = true;
      window.renderedStatuses = [];
      const list = document.querySelector('#documents');
      const note = () => {
        const status = list.querySelector('li[data-id]')?.getAttribute('data-status');
        if (status && window.renderedStatuses.at(-1) !== status) window.renderedStatuses.push(status);
      };
      new MutationObserver(note).observe(list, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    })()`);
    await ctx.page.setInputFiles('#upload-file', SAMPLE);
    await ctx.page.click('#upload');

    // Each status the document passes through is rendered as it arrives.
    const rendered = () => ctx.page.evaluate(() => (globalThis as unknown as { renderedStatuses: string[] }).renderedStatuses);
    await until(async () => ['processed', 'failed'].includes((await rendered()).at(-1) ?? ''), WAIT_MS);
    assert.is(await ctx.page.getAttribute('#documents li[data-id]', 'data-status'), 'processed');
    const seen = new Set(await rendered());
    assert.ok(seen.size >= 2, `saw only ${[...seen].join(', ')}`);

    // Four of the sample's eight results are outside their reference ranges.
    const summaries = await until(async () => {
      const texts = await ctx.page.$$eval('#alerts li[data-severity] .summary', (nodes) => nodes.map((n) => n.textContent ?? ''));
      return texts.length >= 4 ? texts.sort() : undefined;
    }, WAIT_MS);
    assert.equal(summaries, [
      'Creatinine 92 umol/L is high (reference 45–90 umol/L)',
      'Ferritin 368 ug/L is high (reference 30–300 ug/L)',
      'Potassium 5.3 mmol/L is high (reference 3.5–5.2 mmol/L)',
      'eGFR 58 mL/min/{1.73_m2} is low (reference ≥ 60 mL/min/{1.73_m2})',
    ]);
    // The journey follows: eight lab series and the results on the report's date.
    await until(async () => (await ctx.page.$$('#series li[data-series]')).length === 8, WAIT_MS);
    assert.match(await ctx.page.textContent('#series') ?? '', 'Transferrin saturation');
    assert.match(await ctx.page.textContent('#timeline li[data-kind="results"]') ?? '', '2024-03-09');
    await until(async () => /8 observations/.test(await ctx.page.textContent('#summary') ?? ''), WAIT_MS);

    // Acknowledging goes through the api and comes back through Realtime.
    const first = await ctx.page.waitForSelector('#alerts li[data-status="open"]');
    const alertId = await first.getAttribute('data-id');
    await first.$('button').then((button) => button?.click());
    await ctx.page.waitForSelector(`#alerts li[data-id="${alertId}"][data-status="acknowledged"]`, { timeout: WAIT_MS });
    const acknowledged = (await ctx.db.pool.query(`select status, acknowledged_by from public.cds_alerts where id = $1::uuid`, [alertId])).rows;
    assert.equal(acknowledged, [{ status: 'acknowledged', acknowledged_by: ctx.owner }]);

    assert.is(await ctx.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded), true);
    assert.equal(ctx.problems, []);

    // Signing out leaves none of the profile's data in the page.
    await ctx.page.click('#sign-out');
    await ctx.page.waitForSelector('#sign-in-panel:not([hidden])');
    assert.is(await ctx.page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } })
      .document.getElementById('workspace').textContent.includes('Creatinine')), false);
  } finally {
    await worker.stop(1000);
  }
});

test.run();
