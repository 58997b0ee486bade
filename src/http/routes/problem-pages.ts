/**
 * GET /problems and /problems/:code: the error documentation every problem+json `type`
 * points at, rendered from the one catalogue (problem-types.ts), so a code cannot be
 * answered without a page that explains it.
 */
import Router from '@koa/router';
import { HttpProblem } from '../problem.js';
import { isProblemCode, PROBLEM_CODES, PROBLEM_TYPES, problemTypeUri, type ProblemCode } from '../problem-types.js';
import { escapeHtml, inlineCode, renderPage, sendPage } from '../pages/layout.js';

function listing(): string {
  const rows = [...PROBLEM_CODES]
    .sort((a, b) => PROBLEM_TYPES[a].status - PROBLEM_TYPES[b].status || a.localeCompare(b))
    .map((code) => `<tr><td><a href="${escapeHtml(problemTypeUri(code))}"><code>${escapeHtml(code)}</code></a></td>`
      + `<td>${PROBLEM_TYPES[code].status}</td><td>${escapeHtml(PROBLEM_TYPES[code].title)}</td></tr>`);
  return renderPage('Guardian API errors', [
    '<h1>Errors</h1>',
    '<p>Every error the Guardian api answers is <code>application/problem+json</code> (RFC 9457): a stable <code>code</code>,',
    'a short <code>title</code> for that code, the <code>status</code>, a <code>detail</code> that says what was wrong with this',
    'request, a <code>request_id</code> to quote when reporting it, and a <code>type</code> that links to the code\'s page below.</p>',
    '<table><thead><tr><th>Code</th><th>Status</th><th>Title</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
  ].join('\n'));
}

function page(code: ProblemCode): string {
  const { status, title, meaning, action } = PROBLEM_TYPES[code];
  const example = JSON.stringify({ type: problemTypeUri(code), title, status, detail: '…', code, request_id: '…' }, null, 2);
  return renderPage(`${title} (${code})`, [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="muted">Code <code>${escapeHtml(code)}</code> · HTTP ${status}</p>`,
    '<h2>What it means</h2>',
    `<p>${inlineCode(meaning)}</p>`,
    '<h2>What to do</h2>',
    `<p>${inlineCode(action)}</p>`,
    '<h2>The answer looks like</h2>',
    `<pre><code>${escapeHtml(example)}</code></pre>`,
    '<p><a href="/problems">All error codes</a></p>',
  ].join('\n'));
}

export function problemPageRoutes(): Router {
  const router = new Router();
  const index = listing();
  router.get('/problems', (ctx) => sendPage(ctx, '/problems', index));
  router.get('/problems/:code', (ctx) => {
    const code = ctx.params.code;
    if (!isProblemCode(code)) throw new HttpProblem(404, 'not_found', 'there is no error code of that name; /problems lists them all');
    sendPage(ctx, '/problems/:code', page(code));
  });
  return router;
}
