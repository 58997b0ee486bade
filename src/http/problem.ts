/**
 * Errors as RFC 9457 problem details with a stable `code`.
 *
 * As in Koa, `expose` decides whether the message may reach the client: client
 * errors (4xx) say what was wrong; anything else answers a generic message and the
 * detail goes to the log only (it may name tables, hosts or, worse, data).
 */
import type { Context, Next } from 'koa';
import type { Logger } from '../log.js';

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly expose: boolean;
  /** Response headers that belong to the problem (Retry-After, WWW-Authenticate). */
  headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.expose = status < 500;
  }

  withHeaders(headers: Record<string, string>): this {
    Object.assign(this.headers, headers);
    return this;
  }
}

/** Codes for errors raised by Koa and its middleware (body parser, router) without one of ours. */
const STATUS_CODES: Record<number, string> = {
  401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
  413: 'payload_too_large', 415: 'unsupported_media_type', 429: 'rate_limited',
};

interface ErrorLike {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  code?: unknown;
  message?: unknown;
}

export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new HttpProblem(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (caught) {
      const error = (caught ?? {}) as ErrorLike;
      const rawStatus = Number(error.status ?? error.statusCode ?? 500);
      const status = rawStatus >= 400 && rawStatus <= 599 ? rawStatus : 500;
      const expose = error.expose === true && status < 500;
      const stableCode = typeof error.code === 'string' && /^[a-z_]+$/.test(error.code) ? error.code : undefined;
      const code = caught instanceof HttpProblem ? caught.code : status >= 500 ? 'internal_error' : (stableCode ?? STATUS_CODES[status] ?? 'bad_request');
      // An HttpProblem's message is ours to show even at 5xx (e.g. auth_unavailable); other 5xx stay generic.
      const shown = expose || (caught instanceof HttpProblem && status === 503);
      if (status >= 500) {
        log.error({ request_id: ctx.state.requestId, code, err: { name: (caught as Error)?.name, message: String(error.message) } }, 'request failed');
      }
      ctx.status = status;
      if (caught instanceof HttpProblem) ctx.set(caught.headers);
      if (status === 401) ctx.set('WWW-Authenticate', typeof (caught as { challenge?: unknown }).challenge === 'string' ? (caught as { challenge: string }).challenge : 'Bearer');
      ctx.type = 'application/problem+json';
      ctx.body = {
        type: `https://guardian.health/problems/${code}`,
        title: shown ? String(error.message) : 'Internal Server Error',
        status,
        code,
        request_id: ctx.state.requestId,
        ...(caught instanceof HttpProblem ? caught.extra : {}),
      };
    }
  };
}
