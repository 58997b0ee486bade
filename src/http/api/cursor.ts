/**
 * Keyset paging shared by the api's lists: an opaque cursor naming the position after
 * the last row — its timestamp in microseconds since the epoch (Postgres keeps
 * microseconds; a JS Date would round them to milliseconds and skip or repeat rows
 * that share a millisecond) and its id, the tie-breaker.
 */
import { z } from 'zod';

export interface Position { us: string; id: string }

const positionSchema = z.object({ us: z.string().regex(/^-?\d{1,17}$/), id: z.uuid() }).strict();

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
