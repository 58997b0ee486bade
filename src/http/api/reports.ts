/**
 * The multi-document health summary report (`GET /api/reports/:profileId/summary`):
 * JSON by default, or the printable HTML page (inline SVG trend charts) when the
 * client prefers text/html (a browser) or asks with `?format=html`.
 *
 * The report is read in the caller's transaction (summary-report.ts), so RLS decides
 * every section; an invisible profile is a 404 with the same body as a missing one.
 */
import { z } from 'zod';
import { renderSummaryHtml } from '../reports/summary-html.js';
import { healthSummaryReportSchema, loadSummaryReport } from '../reports/summary-report.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { PAGE_CSP } from '../security-headers.js';
import { profileNotFound, profileParams } from './common.js';

export function reportRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/api/reports/:profileId/summary', operationId: 'getSummaryReport', tags: ['reports'], auth: 'user',
      summary: 'A health summary across all documents: JSON, or a printable HTML page (Accept: text/html or ?format=html)',
      params: profileParams,
      query: z.object({
        format: z.enum(['json', 'html']).optional().describe('overrides the Accept header'),
      }),
      responses: {
        // One content type per status in the route table: the HTML variant (text/html,
        // same status) is described here rather than declared.
        200: { description: 'the report (application/json); text/html when asked for: a self-contained printable page', schema: healthSummaryReportSchema },
        406: { description: 'neither JSON nor HTML is acceptable' },
      },
      async handle(ctx) {
        const { profileId } = ctx.params;
        const koa = ctx.koa;
        koa.vary('Accept');
        const format = ctx.query.format ?? (koa.accepts('application/json', 'text/html') || null);
        ctx.audit({ action: 'report.read', profileId, resourceType: 'report', resourceId: profileId, details: { format: format === 'text/html' || format === 'html' ? 'html' : 'json' } });
        if (format === null) throw new HttpProblem(406, 'not_acceptable', 'this report is available as application/json or text/html');
        const report = await ctx.db((c) => loadSummaryReport(c, profileId));
        if (!report) throw profileNotFound();
        if (format === 'html' || format === 'text/html') {
          koa.set('Content-Security-Policy', PAGE_CSP);
          koa.type = 'text/html; charset=utf-8';
          koa.body = renderSummaryHtml(report);
        } else {
          koa.body = report;
        }
      },
    }),
  ];
}
