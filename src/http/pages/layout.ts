/**
 * The frame of the api's own server-rendered pages (the landing page, the API reference,
 * the problem pages): plain HTML with one inline stylesheet and no script, served under
 * PAGE_CSP. Every value is escaped; `inlineCode` turns the catalogue's `code` spans into
 * <code> after escaping, so no text can open a tag.
 */
import type { Context } from 'koa';
import { escapeHtml } from '../reports/trend-chart.js';
import { PAGE_CSP } from '../security-headers.js';

export { escapeHtml };

const STYLE = `
  :root { font-family: system-ui, sans-serif; color: #1d2433; background: #f6f7f9; line-height: 1.5; }
  body { margin: 0 auto; max-width: 56rem; padding: 0 1rem 3rem; }
  header { display: flex; align-items: baseline; gap: 1.5rem; border-bottom: 1px solid #d8dce3; }
  header a.home { font-weight: 700; font-size: 1.3rem; color: inherit; text-decoration: none; flex: 1; padding: 0.8rem 0; }
  nav a { margin-left: 1rem; }
  a { color: #2f5fa7; }
  h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; margin-bottom: 0.2rem; }
  code { background: #e9ecf1; padding: 0 0.2rem; border-radius: 0.2rem; }
  pre { background: #1d2433; color: #f6f7f9; padding: 0.8rem 1rem; overflow-x: auto; border-radius: 0.3rem; }
  pre code { background: none; padding: 0; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #e1e4ea; vertical-align: top; }
  .method { display: inline-block; min-width: 3.6rem; font: 700 0.75rem ui-monospace, monospace; text-transform: uppercase; }
  .method-get { color: #146c3b; } .method-post { color: #2f5fa7; } .method-patch, .method-put { color: #c77700; } .method-delete { color: #a1261e; }
  .muted { color: #6b7385; }
  .button { display: inline-block; padding: 0.5rem 1rem; background: #2f5fa7; color: #fff; border-radius: 0.3rem; text-decoration: none; margin-right: 0.6rem; }
`;

/** Escapes `text`, then shows its `backticked` spans as code. */
export function inlineCode(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

export function renderPage(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header><a class="home" href="/">Guardian</a><nav><a href="/app">App</a><a href="/docs">API reference</a><a href="/problems">Errors</a></nav></header>',
    '<main>',
    body,
    '</main>',
    '</body>',
    '</html>',
  ].join('\n');
}

/** Answers a rendered page: HTML under the page CSP (inline styles, no script). */
export function sendPage(ctx: Context, route: string, html: string, status = 200): void {
  ctx.state.route = route;
  ctx.status = status;
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = html;
}
