/**
 * Errors as RFC 9457 problem details with a stable `code` from one catalogue
 * (problem-types.ts): `title` is the code's short human title, the same on every answer;
 * `detail` says what went wrong with this request; `type` is the code's page on this api.
 *
 * As in Koa, `expose` decides whether the message may reach the client: client
 * errors (4xx) say what was wrong; anything else answers the catalogue's generic
 * sentence and the message goes to the log only (it may name tables, hosts or, worse, data).
 */
import type { Context, Next } from 'koa';
import { isDatabaseUnavailable, PG } from '../db/postgres-errors.js';
import { errorForLog, type Logger } from '../log.js';
import { isProblemCode, PROBLEM_TYPES, problemTypeUri, type ProblemCode } from './problem-types.js';

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly expose: boolean;
  /** Response headers that belong to the problem (Retry-After, WWW-Authenticate). */
  headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    /** The problem's `detail`: what was wrong with this request, for a person to read. */
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
export const STATUS_CODES: Record<number, ProblemCode> = {
  401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
  413: 'payload_too_large', 415: 'unsupported_media_type', 429: 'rate_limited',
};

/** Seconds a client should wait after database_unavailable: a dropped connection is replaced at once, a restart takes a few seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * Postgres rejecting a value the request supplied (a malformed number or uuid, year 0, a
 * NUL byte). Routes validate input before it reaches the database; this is the backstop
 * for what validation missed, so such input is still the client's error, not a 500.
 */
const INPUT_REJECTED: ReadonlySet<string> = new Set([
  PG.invalidTextRepresentation, PG.invalidDatetimeFormat, PG.datetimeFieldOverflow, PG.untranslatableCharacter, PG.characterNotInRepertoire,
]);

/** Errors that are not HttpProblems but have a known meaning for the client. */
function classify(caught: unknown): unknown {
  if (caught instanceof HttpProblem) return caught;
  if (isDatabaseUnavailable(caught)) {
    return new HttpProblem(503, 'database_unavailable', 'the database is briefly unavailable; retry shortly')
      .withHeaders({ 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) });
  }
  const sqlState = (caught as { code?: unknown } | null)?.code;
  if (typeof sqlState === 'string' && INPUT_REJECTED.has(sqlState)) {
    return new HttpProblem(400, 'invalid_input', 'a value in the request is not valid (out of range, malformed, or contains a NUL character)');
  }
  return caught;
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
    } catch (thrown) {
      const caught = classify(thrown);
      const error = (caught ?? {}) as ErrorLike;
      const rawStatus = Number(error.status ?? error.statusCode ?? 500);
      const status = rawStatus >= 400 && rawStatus <= 599 ? rawStatus : 500;
      const expose = error.expose === true && status < 500;
      // Another error's own code (an AuthError's token_expired) counts only when the catalogue documents it.
      const stableCode = isProblemCode(error.code) ? error.code : undefined;
      const code: ProblemCode = caught instanceof HttpProblem ? caught.code : status >= 500 ? 'internal_error' : (stableCode ?? STATUS_CODES[status] ?? 'bad_request');
      // An HttpProblem's message is ours to show even at 5xx (e.g. auth_unavailable); other 5xx stay generic.
      const shown = expose || (caught instanceof HttpProblem && status === 503);
      if (status >= 500) {
        // The original error, described without its message (errorForLog says why).
        log.error({ request_id: ctx.state.requestId, code, err: errorForLog(thrown) }, 'request failed');
      }
      ctx.status = status;
      if (caught instanceof HttpProblem) ctx.set(caught.headers);
      if (status === 401) ctx.set('WWW-Authenticate', typeof (caught as { challenge?: unknown }).challenge === 'string' ? (caught as { challenge: string }).challenge : 'Bearer');
      ctx.type = 'application/problem+json';
      ctx.body = {
        type: problemTypeUri(code),
        title: PROBLEM_TYPES[code].title,
        status,
        detail: shown ? String(error.message) : PROBLEM_TYPES[code].meaning,
        code,
        request_id: ctx.state.requestId,
        ...(caught instanceof HttpProblem ? caught.extra : {}),
      };
    }
  };
}
