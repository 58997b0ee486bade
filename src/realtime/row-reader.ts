/**
 * The pieces of the change feed that need no connection: the allow-list of published
 * tables (every identifier the feed puts into SQL comes from here, never from a
 * payload), parsing the trigger's NOTIFY payload, the row-read statement, and
 * Supabase's `postgres_changes` filters evaluated against a row.
 */
import { createHash } from 'node:crypto';

/**
 * A primary-key column; `hashed`: the visibility read compares it as md5(value::text).
 * (Migration 1400's trigger sent such keys in NOTIFY payloads; since migrations 1500 and
 * 2200 every payload carries version ids only, and keys are computed from the stored
 * versions inside the gateway.)
 */
export interface KeyColumn {
  name: string;
  /** The array cast for the read parameter; from this fixed list only. */
  cast: 'uuid[]' | 'text[]' | 'bigint[]';
  hashed: boolean;
}

export interface PublishedTable {
  schema: 'public';
  table: string;
  key: readonly KeyColumn[];
  /**
   * Columns besides profile_id that the table's select policy reads. A stored version is
   * delivered only if these still hold the version's values: visibility is checked on the
   * row as it is now, and an older version may have drawn on more (e.g. an alert's
   * categories narrowed by a later evaluation).
   */
  policyColumns?: readonly string[];
}

const uuidKey = (name: string): KeyColumn => ({ name, cast: 'uuid[]', hashed: false });

/**
 * The tables in `supabase_realtime` (migrations 0300, 0900, 1000) and their primary
 * keys (an INSERT or UPDATE is looked up by them; old_record carries them). A table
 * published later needs a line here as well as its trigger (the migration creates
 * triggers at migration time).
 */
export const PUBLISHED_TABLES: ReadonlyMap<string, PublishedTable> = new Map(
  (
    [
      { schema: 'public', table: 'documents', key: [uuidKey('id')] },
      { schema: 'public', table: 'cds_alerts', key: [uuidKey('id')], policyColumns: ['categories'] },
      { schema: 'public', table: 'journey_timeline', key: [uuidKey('id')], policyColumns: ['category'] },
      {
        schema: 'public',
        table: 'journey_lab_series',
        key: [uuidKey('profile_id'), { name: 'series_key', cast: 'text[]', hashed: true }],
      },
      { schema: 'public', table: 'journey_lab_points', key: [uuidKey('observation_id')] },
      { schema: 'public', table: 'journey_summaries', key: [uuidKey('profile_id')] },
    ] satisfies PublishedTable[]
  ).map((t) => [`${t.schema}.${t.table}`, t]),
);

export type ChangeType = 'INSERT' | 'UPDATE' | 'DELETE';

export interface ChangeNotice {
  table: PublishedTable;
  type: ChangeType;
  /** When the statement ran (the trigger's clock; the commit follows within the transaction). */
  timestamp: string;
  /**
   * Ids of the rows in private.realtime_row_versions: as written (INSERT, UPDATE;
   * migration 1500) or as they were when deleted (DELETE; migration 2200).
   */
  versionIds: string[];
}

/** Most versions one notice may carry: the trigger sends ≤ 300; more means a forged or broken payload. */
export const MAX_VERSIONS_PER_NOTICE = 500;

/** The trigger's payload, validated; undefined for anything else (a foreign or malformed notify). */
export function parseNotice(payload: unknown): ChangeNotice | undefined {
  let value: unknown = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { s, t, op, ts, v } = value as Record<string, unknown>;
  if (typeof s !== 'string' || typeof t !== 'string' || typeof ts !== 'string') return undefined;
  const table = PUBLISHED_TABLES.get(`${s}.${t}`);
  if (!table) return undefined;
  if (op !== 'INSERT' && op !== 'UPDATE' && op !== 'DELETE') return undefined;
  // A DELETE carrying keys (`k`, migrations 1400/1500) is refused: it could only be
  // delivered unchecked.
  if (!Array.isArray(v) || v.length > MAX_VERSIONS_PER_NOTICE) return undefined;
  if (!v.every((id) => Number.isSafeInteger(id) && (id as number) > 0)) return undefined;
  return { table, type: op, timestamp: ts, versionIds: v.map(String) };
}

/**
 * Whether a stored version drew on no more than the row as it is now, in the columns
 * the select policy reads: arrays (an alert's categories) as a subset, anything else
 * equal. The policies are monotone in these (more categories, fewer readers), so a
 * subscriber who may see the row now may see such a version. A version that drew on
 * more is withheld from everyone: a missed intermediate version, never a leak.
 */
export function versionCoveredBy(table: PublishedTable, version: Record<string, unknown>, now: Record<string, unknown>): boolean {
  return (table.policyColumns ?? []).every((name) => {
    const was = version[name] ?? null;
    const is = now[name] ?? null;
    if (Array.isArray(was) && Array.isArray(is)) return was.every((value) => is.includes(value));
    return JSON.stringify(was) === JSON.stringify(is);
  });
}

/** A row's key as the trigger would send it: values as text, hashed columns as md5 of their text. */
export function keyOf(table: PublishedTable, row: Record<string, unknown>): string[] {
  return table.key.map((col) => {
    const text = String(row[col.name]);
    return col.hashed ? createHash('md5').update(text, 'utf8').digest('hex') : text;
  });
}

/**
 * The changed rows by key: whole rows (`select *`) or only their key columns (a
 * visibility check). Identifiers come from the allow-list only, values are parameters.
 */
export function readStatement(table: PublishedTable, keys: string[][], what: 'row' | 'key' = 'row'): { sql: string; params: unknown[] } {
  const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const from = `${ident(table.schema)}.${ident(table.table)}`;
  const select = what === 'row' ? '*' : [...table.key.map((col) => col.name), ...(table.policyColumns ?? [])].map(ident).join(', ');
  const params = table.key.map((_, i) => keys.map((key) => key[i]));
  if (table.key.length === 1) {
    const [col] = table.key as [KeyColumn];
    const expr = col.hashed ? `md5(${ident(col.name)}::text)` : ident(col.name);
    return { sql: `select ${select} from ${from} where ${expr} = any($1::${col.cast})`, params };
  }
  const exprs = table.key.map((col) => (col.hashed ? `md5(${ident(col.name)}::text)` : ident(col.name)));
  // Hashed columns are compared as md5 text, so their parameter is text[] whatever the column type.
  const casts = table.key.map((col, i) => `$${i + 1}::${col.hashed ? 'text[]' : col.cast}`);
  return { sql: `select ${select} from ${from} where (${exprs.join(', ')}) in (select * from unnest(${casts.join(', ')}))`, params };
}

/** The primary key of a row version (real values: old_record of an UPDATE or a DELETE). */
export function primaryKeyOf(table: PublishedTable, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const col of table.key) out[col.name] = row[col.name];
  return out;
}

// ---------------------------------------------------------------------------------
// Filters: "column=op.value", op one of eq neq lt lte gt gte in (Supabase Realtime's set).

export type FilterOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in';
export interface ParsedFilter {
  column: string;
  op: FilterOp;
  values: string[];
}

const FILTER_OPS = new Set<FilterOp>(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in']);
const filterCache = new Map<string, ParsedFilter | null>();

/** Parses (and caches: a few distinct filters serve thousands of sockets) a filter; null when malformed. */
export function parseFilter(filter: string): ParsedFilter | null {
  const cached = filterCache.get(filter);
  if (cached !== undefined) return cached;
  const parsed = parseFilterUncached(filter);
  // Bounded so crafted filters cannot grow the cache without limit (10,000 ≫ distinct filters in use).
  if (filterCache.size >= 10_000) filterCache.clear();
  filterCache.set(filter, parsed);
  return parsed;
}

function parseFilterUncached(filter: string): ParsedFilter | null {
  const m = /^([^=]+)=([a-z]+)\.(.*)$/s.exec(filter);
  if (!m) return null;
  const [, column, op, rest] = m as unknown as [string, string, string, string];
  if (!FILTER_OPS.has(op as FilterOp)) return null;
  if (op === 'in') {
    const list = /^\((.*)\)$/s.exec(rest);
    if (!list) return null;
    const values = splitList(list[1]!);
    return values ? { column, op: 'in', values } : null;
  }
  return { column, op: op as FilterOp, values: [rest] };
}

/** "a,b" or "\"a,1\",b" (PostgREST-style quoting) → values; null on an unterminated quote. */
function splitList(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  if (text.trim() === '') return [];
  while (i <= text.length) {
    if (text[i] === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (i >= text.length) return null;
      i++; // closing quote
      out.push(value);
      if (i < text.length && text[i] !== ',') return null;
      i++;
    } else {
      const end = text.indexOf(',', i);
      const stop = end === -1 ? text.length : end;
      out.push(text.slice(i, stop).trim());
      i = stop + 1;
    }
  }
  return out;
}

const NUMERIC_TYPES = new Set(['int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'oid']);
const TIME_TYPES = new Set(['timestamptz', 'timestamp', 'date']);

/**
 * Whether `row` passes `filter`. Values are compared by the column's Postgres type:
 * numbers numerically, timestamps as instants, everything else as text (so
 * `profile_id=eq.<uuid>` compares lower-case uuid text). A column the row lacks, a
 * null value or a malformed filter never matches (deliver less rather than more).
 */
export function matchesFilter(filter: string | undefined, row: Record<string, unknown>, types: ReadonlyMap<string, string>): boolean {
  if (filter === undefined || filter === '') return true;
  const parsed = parseFilter(filter);
  if (!parsed || !(parsed.column in row)) return false;
  const value = row[parsed.column];
  if (value === null || value === undefined) return false;
  const type = types.get(parsed.column) ?? 'text';
  const cmp = (target: string): number | undefined => compare(value, target, type);
  switch (parsed.op) {
    case 'eq':
      return cmp(parsed.values[0]!) === 0;
    case 'neq': {
      const c = cmp(parsed.values[0]!);
      return c !== undefined && c !== 0;
    }
    case 'lt':
      return (cmp(parsed.values[0]!) ?? 0) < 0;
    case 'lte': {
      const c = cmp(parsed.values[0]!);
      return c !== undefined && c <= 0;
    }
    case 'gt':
      return (cmp(parsed.values[0]!) ?? 0) > 0;
    case 'gte': {
      const c = cmp(parsed.values[0]!);
      return c !== undefined && c >= 0;
    }
    case 'in':
      return parsed.values.some((v) => cmp(v) === 0);
  }
}

/** -1/0/1, or undefined when the two cannot be compared (e.g. "abc" against a number). */
function compare(value: unknown, target: string, type: string): number | undefined {
  if (NUMERIC_TYPES.has(type) || typeof value === 'number') {
    const a = Number(value);
    const b = Number(target);
    if (Number.isNaN(a) || Number.isNaN(b) || target.trim() === '') return undefined;
    return Math.sign(a - b);
  }
  if (TIME_TYPES.has(type) || value instanceof Date) {
    const a = value instanceof Date ? value.getTime() : Date.parse(String(value));
    const b = Date.parse(target);
    if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
    return Math.sign(a - b);
  }
  const a = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const b = type === 'uuid' ? target.toLowerCase() : target;
  return a < b ? -1 : a > b ? 1 : 0;
}
