/**
 * One log record as a person reads it at a terminal: time, level, message, then the
 * fields as key=value, e.g.
 *
 *   09:14:03 INFO  document processed document_id=5b0… pages=2 records.observations=7
 *
 * Nested objects become dotted keys (a summary of counts reads as counts); long values
 * are cut (a stack's frames, a token) so one record stays about one line; the JSON format
 * keeps everything.
 */

/** Fields every record has that the line shows elsewhere, or that say nothing at a terminal. */
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'service', 'name', 'pid', 'hostname']);
const MAX_VALUE = 120;

const LEVEL_COLOURS: Record<string, number> = { trace: 90, debug: 90, info: 32, warn: 33, error: 31, fatal: 35 };

function value(raw: unknown): string {
  const text = typeof raw === 'string' ? (/^[^\s"=]+$/.test(raw) ? raw : JSON.stringify(raw)) : JSON.stringify(raw) ?? String(raw);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function fields(entries: [string, unknown][], prefix = ''): string[] {
  return entries.flatMap(([key, raw]) =>
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length > 0
      ? fields(Object.entries(raw), `${prefix}${key}.`)
      : [`${prefix}${key}=${value(raw)}`],
  );
}

function clock(time: unknown): string {
  const date = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** A pino JSON record (one line) as a readable line; a line that is not JSON passes through. */
export function formatLogLine(json: string, options: { colour: boolean }): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const label = typeof record.level === 'string' ? record.level : 'info';
  const level = label.toUpperCase().padEnd(5);
  const shown = fields(Object.entries(record).filter(([key]) => !SHOWN_ELSEWHERE.has(key)));
  const head = options.colour ? `\x1b[90m${clock(record.time)}\x1b[0m \x1b[${LEVEL_COLOURS[label] ?? 0}m${level}\x1b[0m` : `${clock(record.time)} ${level}`;
  return [head, String(record.msg ?? ''), ...shown].join(' ').trimEnd();
}
