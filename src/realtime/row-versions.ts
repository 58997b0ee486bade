/**
 * The database reads of the change feed that run as the gateway itself (superuser
 * pool), never as a subscriber: the row versions a notice names, who could be
 * interested in them, and each published table's columns.
 */
import type pg from 'pg';
import type { PublishedTable } from './row-reader.js';

export interface RowVersions {
  /** The rows as written, by version id; versions already purged are missing. */
  records: Map<string, Record<string, unknown>>;
  /**
   * When each version's transaction committed (ISO 8601, UTC), by version id: only where
   * the server has track_commit_timestamp on (the embedded Postgres does).
   */
  committedAt: Map<string, string>;
  /** Per profile of those rows: the users with live access to it (private.profile_access). */
  usersByProfile: Map<string, Set<string>>;
  /**
   * The rows of DELETEs as stored (jsonb text), by version id: their access check
   * evaluates the policies on exactly these values (`records` went through JSON.parse,
   * where a number beyond a double's precision would round).
   */
  deletedText: Map<string, string>;
}

/**
 * One round trip for both, for any number of notices: the versions by id, and who may
 * see each of their profiles. The candidates only narrow which claims sets are read as;
 * the read as each subscriber still decides what is delivered.
 */
export async function readRowVersions(pool: pg.Pool, ids: string[], deletedIds: string[] = []): Promise<RowVersions> {
  const { rows } = await pool.query<{
    versions: { id: string; record: Record<string, unknown>; committed_at: string | null; text: string | null }[];
    access: Record<string, string[]>;
  }>(
    `with v as (
       select v.id, v.profile_id, v.record, case when v.id = any($2::bigint[]) then v.record::text end as text,
              -- Supabase sends the commit's time; without track_commit_timestamp the caller
              -- falls back to the statement's (pg_xact_commit_timestamp would raise).
              case when current_setting('track_commit_timestamp') = 'on'
                   then to_char(pg_catalog.pg_xact_commit_timestamp(v.xmin) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
              end as committed_at
       from private.realtime_row_versions v where v.id = any($1::bigint[])
     )
     select coalesce((select json_agg(json_build_object('id', v.id::text, 'record', v.record, 'committed_at', v.committed_at, 'text', v.text)) from v), '[]') as versions,
            coalesce((select json_object_agg(p.profile_id, p.users)
                      from (select a.profile_id, json_agg(distinct a.user_id) as users
                            from private.profile_access a
                            where a.profile_id in (select v.profile_id from v)
                              and (a.expires_at is null or a.expires_at > now())
                            group by a.profile_id) p), '{}') as access`,
    [ids, deletedIds],
  );
  const row = rows[0]!;
  return {
    records: new Map(row.versions.map((v) => [v.id, v.record])),
    committedAt: new Map(row.versions.flatMap((v): [string, string][] => (v.committed_at ? [[v.id, v.committed_at]] : []))),
    usersByProfile: new Map(Object.entries(row.access).map(([profile, users]) => [profile, new Set(users)])),
    deletedText: new Map(row.versions.flatMap((v): [string, string][] => (v.text === null ? [] : [[v.id, v.text]]))),
  };
}

/** Versions written longer ago are deleted (migration 1500 explains the bound). */
export const ROW_VERSION_RETENTION = '5 minutes';

export async function purgeRowVersions(pool: pg.Pool): Promise<void> {
  await pool.query(`delete from private.realtime_row_versions where written_at < now() - $1::interval`, [ROW_VERSION_RETENTION]);
}

export interface TableColumns {
  /** Every column in table order, with its Postgres type name (the payload's `columns`). */
  all: { name: string; type: string }[];
  /** The columns the `authenticated` role may select (column privileges, as Supabase checks). */
  forAuthenticated: { name: string; type: string }[];
  /** Column name → type name, for filters. */
  types: ReadonlyMap<string, string>;
}

/**
 * Each published table's columns, read once per table and kept for the process's life
 * (a migration that changes a published table is deployed with a restart).
 */
export function tableColumnsCache(pool: pg.Pool): (table: PublishedTable) => Promise<TableColumns> {
  const cache = new Map<string, Promise<TableColumns>>();
  return (table) => {
    const name = `"${table.schema}"."${table.table}"`;
    let columns = cache.get(name);
    if (!columns) {
      columns = pool
        .query<{ name: string; type: string; selectable: boolean }>(
          `select a.attname::text as name, t.typname::text as type,
                  has_column_privilege('authenticated', a.attrelid, a.attnum, 'SELECT') as selectable
           from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
           where a.attrelid = to_regclass($1::text) and a.attnum > 0 and not a.attisdropped
           order by a.attnum`,
          [name],
        )
        .then(({ rows }) => ({
          all: rows.map(({ name: n, type }) => ({ name: n, type })),
          forAuthenticated: rows.filter((r) => r.selectable).map(({ name: n, type }) => ({ name: n, type })),
          types: new Map(rows.map((r) => [r.name, r.type])),
        }));
      // A failed lookup is retried by the next change rather than cached.
      columns.catch(() => cache.delete(name));
      cache.set(name, columns);
    }
    return columns;
  };
}
