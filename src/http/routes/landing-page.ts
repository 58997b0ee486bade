/**
 * GET /: what Guardian is, for someone who just opened the address `npm start` printed
 * (or a deployment's root), with the ways in: the app, the API reference, the errors.
 */
import Router from '@koa/router';
import { renderPage, sendPage } from '../pages/layout.js';

const LANDING = renderPage('Guardian: personal and family health records', [
  '<h1>Guardian keeps your family\'s health records in one place</h1>',
  '<p>Upload lab reports, letters and prescriptions as PDFs or photos. Guardian reads them',
  '(OCR and extraction), files what they say as structured records (results, medications,',
  'conditions, allergies, immunizations), keeps a healthcare journey for each person (a',
  'timeline, lab trends, a summary) and raises alerts when something needs attention, such',
  'as a result out of range or two medicines that interact.</p>',
  '<p>Each person has a profile: yourself, your children, a parent you care for. You decide',
  'who else may see it (a partner who manages it with you, a doctor you grant some categories',
  'of records for a while), and the database itself enforces it on every read.</p>',
  '<p><a class="button" href="/app">Open the app</a><a class="button" href="/docs">API reference</a></p>',
  '<h2>For developers</h2>',
  '<ul>',
  '<li><a href="/docs">API reference</a>, and the same as OpenAPI 3.1: <a href="/openapi.json">/openapi.json</a></li>',
  '<li><a href="/problems">Error codes</a>: every problem+json answer links to its page</li>',
  '<li><a href="/healthz">/healthz</a>: is the api up, and its database</li>',
  '</ul>',
].join('\n'));

export function landingPageRoutes(): Router {
  const router = new Router();
  router.get('/', (ctx) => sendPage(ctx, '/', LANDING));
  return router;
}
