/**
 * GET /app: a small page for trying the whole loop in a browser. Sign in with a token
 * (locally: one click, as the demo user), pick a profile, upload a document and watch
 * its status, the journey and the alerts change live through @supabase/supabase-js.
 *
 * The page is static and holds no data: everything it shows comes from the api (with
 * the token the person pasted) and from Realtime (the same token, checked per row by
 * RLS). Its files are read once here, so a request never touches the disk.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Router from '@koa/router';
import type { HttpSettings } from '../../config.js';
import type { DemoSignIn } from '../demo-sign-in.js';
import { HttpProblem } from '../problem.js';
import { SUMMARY_STYLE } from '../reports/summary-html.js';

const ASSETS = new URL('../app-page/', import.meta.url);

interface Asset {
  body: Buffer;
  type: string;
}

function asset(file: string, type: string): Asset {
  return { body: readFileSync(new URL(file, ASSETS)), type };
}

/**
 * The summary report's stylesheet by hash. The page opens the report as a blob: URL (it
 * is fetched with the token, which a plain link could not send), and a blob: document
 * inherits this page's policy: the hash lets exactly that stylesheet apply, no other
 * inline style.
 */
const REPORT_STYLE_HASH = `'sha256-${createHash('sha256').update(SUMMARY_STYLE).digest('base64')}'`;

/** The page's own Content-Security-Policy: its scripts and styles only, no inline code. */
export function appPageCsp(realtimeUrl: string | undefined): string {
  // 'self' covers same-origin ws: in CSP Level 3 browsers; a Supabase project is named
  // with both its https: and wss: forms.
  const remote = realtimeUrl ? ` ${realtimeUrl} ${realtimeUrl.replace(/^http/, 'ws')}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' ${REPORT_STYLE_HASH}`,
    "img-src 'self' data:",
    `connect-src 'self'${remote}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function appPageRoutes(deps: { http: Pick<HttpSettings, 'appRealtime'>; demo?: DemoSignIn }): Router {
  const require = createRequire(import.meta.url);
  const assets: Record<string, Asset> = {
    '/app': asset('index.html', 'text/html; charset=utf-8'),
    '/app/app.js': asset('app.js', 'text/javascript; charset=utf-8'),
    '/app/dom.js': asset('dom.js', 'text/javascript; charset=utf-8'),
    '/app/views.js': asset('views.js', 'text/javascript; charset=utf-8'),
    '/app/format.js': asset('format.js', 'text/javascript; charset=utf-8'),
    '/app/app.css': asset('app.css', 'text/css; charset=utf-8'),
    // The client's own browser build, served from node_modules: the page runs the same
    // @supabase/supabase-js the project depends on, with no CDN to trust.
    '/app/supabase.js': {
      body: readFileSync(require.resolve('@supabase/supabase-js/dist/umd/supabase.js')),
      type: 'text/javascript; charset=utf-8',
    },
  };
  const { url, publishableKey } = deps.http.appRealtime;
  // Public by design: the publishable (formerly anon) key is what every Supabase client ships with.
  const pageConfig = JSON.stringify({ realtime: { url: url ?? null, publishableKey: publishableKey ?? null }, demoSignIn: deps.demo !== undefined });
  const csp = appPageCsp(url);

  const router = new Router();
  router.get('/app/config.json', (ctx) => {
    ctx.state.route = '/app/config.json';
    ctx.type = 'application/json';
    ctx.body = pageConfig;
  });
  // Only where a DemoSignIn exists (the local all-in-one); elsewhere the path is unknown: 404.
  // A POST, so neither a link nor a prefetch mints a token.
  const demo = deps.demo;
  if (demo) {
    router.post('/app/demo-token', async (ctx) => {
      ctx.state.route = '/app/demo-token';
      // Another site's page cannot read the answer (no CORS), and browsers say where a
      // request comes from: a token is minted for this page only.
      const site = ctx.get('sec-fetch-site');
      if (site && site !== 'same-origin') throw new HttpProblem(403, 'forbidden', 'the demo sign-in is for the /app page of this server only');
      ctx.body = { access_token: await demo.mint(), user_id: demo.userId };
    });
  }
  for (const [path, { body, type }] of Object.entries(assets)) {
    router.get(path, (ctx) => {
      ctx.state.route = path;
      ctx.set('Content-Security-Policy', csp);
      ctx.type = type;
      ctx.body = body;
    });
  }
  return router;
}
