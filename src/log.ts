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
