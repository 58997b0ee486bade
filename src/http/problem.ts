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
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.expose = status < 500;
  }
}

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
      const code = caught instanceof HttpProblem ? caught.code : status >= 500 ? 'internal_error' : 'bad_request';
      if (status >= 500) {
        log.error({ request_id: ctx.state.requestId, code, err: { name: (caught as Error)?.name, message: String(error.message) } }, 'request failed');
      }
      ctx.status = status;
      ctx.type = 'application/problem+json';
      ctx.body = {
        type: `https://guardian.health/problems/${code}`,
        title: expose ? String(error.message) : 'Internal Server Error',
        status,
        code,
        request_id: ctx.state.requestId,
        ...(caught instanceof HttpProblem ? caught.extra : {}),
      };
    }
  };
}
