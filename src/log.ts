/**
 * Logs on stdout, through pino: one JSON object a line where machines read them (Render's
 * log pipeline, a file, a pipe, the tests), one readable line where a person does (a
 * terminal, src/log-line.ts).
 *
 * Health data never goes into a log line: callers log ids, counts, codes and
 * durations only. The redaction list is a safety net for the obvious keys, not
 * a licence to log objects wholesale.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { formatLogLine } from './log-line.js';

export type { Logger };

export type LogFormat = 'pretty' | 'json';

/** The stream a logger writes to: stdout, or what a test gives. */
export interface LogStream {
  write(text: string): unknown;
  /** Set on a terminal (tty.WriteStream). */
  isTTY?: boolean;
  /** A terminal's colour support; it honours NO_COLOR and FORCE_COLOR itself. */
  hasColors?(): boolean;
}

/** Readable lines at a terminal, JSON everywhere else, and always JSON on Render (its log search reads the fields). */
export function chooseLogFormat(stream: LogStream, onRender = false): LogFormat {
  return stream.isTTY === true && !onRender ? 'pretty' : 'json';
}

export interface LoggerOptions {
  /** Default stdout. */
  stream?: LogStream;
  /** Default chooseLogFormat(stream, onRender). */
  format?: LogFormat;
  onRender?: boolean;
}

function destination(stream: LogStream | undefined, format: LogFormat): DestinationStream {
  // stdout written synchronously (pino's own destination), so the last lines before a
  // process.exit are never lost, whatever kind of file stdout is.
  const out: DestinationStream = stream ? { write: (text: string) => void stream.write(text) } : pino.destination({ dest: 1, sync: true });
  if (format === 'json') return out;
  const colour = (stream ?? process.stdout).hasColors?.() ?? false;
  // pino writes each record as one JSON line; each is rewritten before it reaches the terminal.
  return { write: (line: string) => out.write(`${formatLogLine(line.trimEnd(), { colour })}\n`) };
}

export function createLogger(level: LogLevel, name = 'guardian', options: LoggerOptions = {}): Logger {
  const format = options.format ?? chooseLogFormat(options.stream ?? process.stdout, options.onRender);
  return pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['password', 'token', 'authorization', '*.password', '*.token', '*.authorization', 'payload', '*.payload'],
        censor: '[redacted]',
      },
    },
    destination(options.stream, format),
  );
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
