/**
 * Postgres errors by name (SQLSTATE codes, https://www.postgresql.org/docs/current/errcodes-appendix.html),
 * and which failures mean "the database is not reachable right now" rather than "this
 * request is wrong": those are answered 503 with a retry hint, and retried by the queue.
 */

export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  insufficientPrivilege: '42501',
  noDataFound: 'P0002',
  undefinedTable: '42P01',
  /** pg_terminate_backend(), or a fast shutdown. */
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  /** The server is starting up or shutting down. */
  cannotConnectNow: '57P03',
  tooManyConnections: '53300',
  /** Invalid input for a type (e.g. a malformed uuid or number). */
  invalidTextRepresentation: '22P02',
  invalidDatetimeFormat: '22007',
  datetimeFieldOverflow: '22008',
  /** A NUL byte in text. */
  untranslatableCharacter: '22P05',
  characterNotInRepertoire: '22021',
} as const;

/** Node socket errors of a connection that went away or never came. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * What node-postgres says when a connection ends under a query, a dead client is used, or
 * the pool cannot connect in time (these carry no SQLSTATE).
 */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /is not queryable$/,
  /^timeout exceeded when trying to connect$/,
  /^Connection terminated due to connection timeout$/,
  /^Client has already been connected/,
];

/**
 * Whether `error` means the database (or the connection to it) is unavailable: the
 * request or job may succeed as it is a moment later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // Class 08: connection exception.
    if (code.startsWith('08')) return true;
    if (code === PG.adminShutdown || code === PG.crashShutdown || code === PG.cannotConnectNow || code === PG.tooManyConnections) return true;
    if (SOCKET_ERRORS.has(code)) return true;
  }
  return typeof message === 'string' && DRIVER_MESSAGES.some((pattern) => pattern.test(message));
}
