/**
 * Keyset paging shared by the api's lists: an opaque cursor naming the position after
 * the last row — its timestamp in microseconds since the epoch (Postgres keeps
 * microseconds; a JS Date would round them to milliseconds and skip or repeat rows
 * that share a millisecond) and its id, the tie-breaker.
 */
import { z } from 'zod';

export interface Position { us: string; id: string }

// Years 1 to 9999: what Postgres and ISO 8601 both write without an era or sign.
const FIRST_US = -62_135_596_800_000_000n; // 0001-01-01T00:00:00Z
const LAST_US = 253_402_300_799_999_999n; // 9999-12-31T23:59:59.999999Z

const MICROSECONDS = /^-?\d{1,18}$/;
const positionSchema = z.object({
  // One refinement, pattern first: zod 4 runs a refine even after a failed regex, and
  // BigInt() throws on what the pattern refused (a 500 for a crafted cursor).
  us: z.string().refine((us) => MICROSECONDS.test(us) && BigInt(us) >= FIRST_US && BigInt(us) <= LAST_US, 'microseconds since 1970 within years 1–9999'),
  id: z.uuid(),
}).strict();

/**
 * The position's instant as an ISO 8601 timestamp with all six decimals, for a
 * timestamptz parameter: exact, unlike a JS Date, and a plain value the planner can
 * use as an index bound (an expression converting microseconds in SQL is not one
 * under row-level security, because its functions are not leakproof).
 */
export function positionInstant(position: Position): string {
  const us = BigInt(position.us);
  const seconds = us / 1_000_000n - (us % 1_000_000n < 0n ? 1n : 0n); // floor, also before 1970
  const micros = us - seconds * 1_000_000n;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.000Z$/, `.${String(micros).padStart(6, '0')}Z`);
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** A query-string cursor: 400 validation_failed unless it decodes to a Position. */
export const cursorParam = z.string().max(200).transform((raw, ctx): Position => {
  let decoded: unknown;
  try {
    decoded = /^[A-Za-z0-9_-]+$/.test(raw) ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : undefined;
  } catch {
    decoded = undefined;
  }
  const parsed = positionSchema.safeParse(decoded);
  if (!parsed.success) {
    ctx.issues.push({ code: 'custom', message: 'not a cursor this api returned', input: raw });
    return z.NEVER;
  }
  return parsed.data;
}).describe('next_cursor from the previous page');

export const limitParam = (fallback: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).describe(`page size (1–${max}, default ${fallback})`);
