/** GET /docs: the API reference, rendered once from the OpenAPI document the api serves. */
import Router from '@koa/router';
import { renderApiReference, type OpenApiDocument } from '../pages/api-reference-html.js';
import { sendPage } from '../pages/layout.js';

export function apiReferenceRoutes(openapi: OpenApiDocument): Router {
  const html = renderApiReference(openapi);
  const router = new Router();
  router.get('/docs', (ctx) => sendPage(ctx, '/docs', html));
  return router;
}
