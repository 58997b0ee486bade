/**
 * /functions/v1/<name>: the local Edge Functions where Supabase serves them, so a client
 * written for Supabase (supabase-js' functions.invoke) works unchanged against `npm start`.
 * The request streams through to the function's Deno process as it came (method,
 * headers, body, query); the function answers for itself, CORS included.
 */
import http from 'node:http';
import type { Context, Next } from 'koa';
import { EdgeFunctionStartError, type EdgeFunctionHost } from '../functions/edge-function-host.js';
import { HttpProblem } from './problem.js';

const FUNCTIONS_PATH = /^\/functions\/v1\/([^/?]+)(\/[^?]*)?$/;
// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, not to the request.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

export function functionsProxy(host: EdgeFunctionHost) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const match = FUNCTIONS_PATH.exec(ctx.path);
    if (!match) return next();
    ctx.state.route = '/functions/v1/:name';
    const name = match[1] ?? '';
    if (!(await host.has(name))) throw new HttpProblem(404, 'not_found', 'no such Edge Function');
    let origin: string;
    try {
      origin = await host.origin(name);
    } catch (error) {
      if (!(error instanceof EdgeFunctionStartError)) throw error;
      throw new HttpProblem(503, 'function_unavailable', error.message).withHeaders({ 'Retry-After': '2' });
    }
    const target = new URL(`/${name}${match[2] ?? ''}${ctx.search}`, origin);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(ctx.req.headers)) if (!HOP_BY_HOP.has(key)) headers[key] = value;
    headers['x-forwarded-host'] = ctx.host;
    // The function's audit entries then carry the api's request id, as the api's own do.
    headers['x-request-id'] = ctx.state.requestId;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const outgoing = http.request(target, { method: ctx.method, headers }, resolve);
      outgoing.once('error', () => reject(new HttpProblem(503, 'function_unavailable', `${name} did not answer`).withHeaders({ 'Retry-After': '2' })));
      ctx.req.pipe(outgoing);
    });
    ctx.status = response.statusCode ?? 502;
    for (const [key, value] of Object.entries(response.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(key) && key !== 'content-length') ctx.set(key, value);
    }
    ctx.body = response;
  };
}
