/**
 * Structured JSON logs on stdout (Render's convention), through pino.
 *
 * Health data never goes into a log line: callers log ids, counts, codes and
 * durations only. The redaction list is a safety net for the obvious keys, not
 * a licence to log objects wholesale.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export function createLogger(level: LogLevel, name = 'guardian'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['password', 'token', 'authorization', '*.password', '*.token', '*.authorization', 'payload', '*.payload'],
      censor: '[redacted]',
    },
  });
}

/**
 * An unexpected error as a log field that cannot echo input: its class, Postgres'
 * SQLSTATE and constraint where it has them, and where it was thrown. Never the message:
 * messages repeat what they failed on ('invalid input syntax for type uuid: "…"',
 * 'Cannot convert … to a BigInt', a key's values in a constraint's detail), and what a
 * request failed on may be health data.
 */
export function errorForLog(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { type: typeof error };
  const { name, code, constraint, stack } = error as { name?: unknown; code?: unknown; constraint?: unknown; stack?: unknown };
  const frames = typeof stack === 'string' ? stack.split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 6).map((line) => line.trim()) : [];
  return {
    name: typeof name === 'string' ? name : 'Error',
    ...(typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code) ? { code } : {}),
    ...(typeof constraint === 'string' ? { constraint } : {}),
    ...(frames.length > 0 ? { at: frames } : {}),
  };
}
