/**
 * Which deleted rows a subscriber could read.
 *
 * An INSERT or UPDATE is delivered after reading the row from its table as the
 * subscriber, so RLS decides. A deleted row cannot be read any more, and Supabase
 * Realtime sends DELETEs to everyone (key only); Guardian does better without a second
 * copy of its access rules: the table's own select policies are taken from the
 * catalogue (pg_policy, deparsed by pg_get_expr) and evaluated against the stored old
 * rows (private.realtime_row_versions, migration 2200), in a statement run as the
 * subscriber (role authenticated, their claims), i.e. with the same auth.uid() and the
 * same privileges as RLS would evaluate them on the table:
 *
 *   select … from jsonb_array_elements($1) with ordinality as v(rec, ord)
 *   where exists (select from jsonb_populate_record(null::public.t, v.rec) as t
 *                 where (<permissive policies OR-ed>) and (<restrictive policies AND-ed>))
 *
 * Why this is the same decision RLS makes:
 * - The policies are combined as Postgres combines them for a SELECT by a role
 *   (rowsecurity.c): those for SELECT or ALL whose roles include `authenticated` (or
 *   PUBLIC, or a role it has the privileges of); a policy without USING adds nothing; no
 *   permissive policy means no row. A table without row security is readable by
 *   whoever may select from it, and that privilege is checked in the statement too.
 * - pg_get_expr prints columns of the table unqualified, and as `<table>.<column>` inside
 *   sub-selects; the populated record is the only relation in its sub-select and is
 *   aliased with the table's name, so every reference binds to the old row's values.
 * - The expression is deparsed with an empty search_path, so every name outside
 *   pg_catalog comes out schema-qualified and means the same thing in any session.
 * - The old row is the row as it was: its stored jsonb text is passed as it is (never
 *   through JavaScript numbers), and to_jsonb → jsonb_populate_record round-trips
 *   every type these tables use; what the policies look up besides the row
 *   (private.profile_access) is read as it is now, as for INSERT and UPDATE.
 * Where the two could differ, it is towards delivering less: a policy reading the
 *   table itself finds the row gone, and a value that would not convert back raises,
 *   which costs that subscriber this change (logged), never leaks it.
 *
 * Policies are read once per table and cached; each evaluation checks in the same
 * statement that the table's policies are still the ones cached (a fingerprint of
 * pg_policy), and a changed or failing policy is read again, so a policy changed by a
 * migration while the gateway runs applies to the very next DELETE.
 */
import type pg from 'pg';
import type { CallerPool } from '../db/caller-pool.js';
import type { PublishedTable } from './row-reader.js';
import { inTransaction } from '../db/transaction.js';

export interface SelectPolicy {
  /** The combined USING expression for a SELECT as `authenticated` ('false' without a permissive policy). */
  predicate: string;
  /** Changes whenever the table's policies or its row-security switch change. */
  fingerprint: string;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const relationName = (table: PublishedTable) => `${ident(table.schema)}.${ident(table.table)}`;

/** The fingerprint of a table's policies, the table given as parameter `$n` (readable by any role). */
const fingerprintSql = (param: number) => `(select pg_catalog.md5(c.relrowsecurity::text || coalesce((
      select string_agg(p.oid::text || p.polpermissive::text || p.polcmd::text || p.polroles::text || coalesce(p.polqual::text, ''), ',' order by p.oid)
      from pg_catalog.pg_policy p where p.polrelid = c.oid), ''))
    from pg_catalog.pg_class c where c.oid = $${param}::regclass)`;

const POLICY_SQL = `
  with p as (
    select p.polpermissive as permissive, '(' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || ')' as qual
    from pg_catalog.pg_policy p
    where p.polrelid = $1::regclass and p.polcmd in ('r', '*') and p.polqual is not null
      -- 0 is PUBLIC (no such role to ask about); otherwise the roles whose privileges
      -- authenticated has, as RLS picks policies (it is noinherit: itself only, today).
      and exists (select 1 from unnest(p.polroles) as r(role)
                  where case when r.role = 0 then true else pg_catalog.pg_has_role('authenticated', r.role, 'USAGE') end)
  )
  select c.relrowsecurity as rls,
         (select string_agg(qual, ' or ' order by qual) from p where permissive) as permissive,
         (select string_agg(qual, ' and ' order by qual) from p where not permissive) as restrictive,
         ${fingerprintSql(1)} as fingerprint
  from pg_catalog.pg_class c where c.oid = $1::regclass`;

/** Reads the policies as the gateway (superuser pool), deparsed with an empty search_path. */
async function readSelectPolicy(pool: pg.Pool, table: PublishedTable): Promise<SelectPolicy> {
  const row = await inTransaction(pool, async (client) => {
    await client.query(`select pg_catalog.set_config('search_path', '', true)`);
    const { rows } = await client.query<{ rls: boolean; permissive: string | null; restrictive: string | null; fingerprint: string }>(POLICY_SQL, [relationName(table)]);
    return rows[0];
  });
  if (!row) throw new Error(`${table.table}: no such table`);
  let predicate: string;
  if (!row.rls) predicate = 'true'; // no row security: the SELECT privilege is all it takes (checked as well)
  else if (row.permissive === null) predicate = 'false'; // row security without a permissive policy: no row
  else predicate = row.restrictive === null ? row.permissive : `(${row.permissive}) and (${row.restrictive})`;
  return { predicate, fingerprint: row.fingerprint };
}

/**
 * The evaluation statement, run as the subscriber. Identifiers come from the allow-list
 * and the predicate from the catalogue; the rows, the table name and the fingerprint
 * are parameters.
 */
export function readableStatement(table: PublishedTable, policy: SelectPolicy, rows: readonly string[]): { sql: string; params: unknown[] } {
  const sql = `
    select ${fingerprintSql(2)} = $3::text as fresh,
           pg_catalog.has_any_column_privilege($2::regclass, 'SELECT') as granted,
           array(select v.ord::int
                 from pg_catalog.jsonb_array_elements($1::jsonb) with ordinality as v(rec, ord)
                 where exists (select from pg_catalog.jsonb_populate_record(null::${relationName(table)}, v.rec) as ${ident(table.table)}
                               where (${policy.predicate}))
                 order by v.ord) as readable`;
  return { sql, params: [`[${rows.join(',')}]`, relationName(table), policy.fingerprint] };
}

export interface DeletedRowAccess {
  /** Indexes (0-based) of the rows (each a JSON object as stored) this subscriber could read. */
  readable(claims: Record<string, unknown>, table: PublishedTable, rows: readonly string[]): Promise<Set<number>>;
}

export function deletedRowAccess(pool: pg.Pool, callerPool: Pick<CallerPool, 'read'>): DeletedRowAccess {
  const cache = new Map<string, Promise<SelectPolicy>>();
  const policyOf = (table: PublishedTable): Promise<SelectPolicy> => {
    const name = relationName(table);
    let policy = cache.get(name);
    if (!policy) {
      policy = readSelectPolicy(pool, table);
      // A failed lookup is retried by the next change rather than cached.
      policy.catch(() => cache.delete(name));
      cache.set(name, policy);
    }
    return policy;
  };

  async function evaluate(claims: Record<string, unknown>, table: PublishedTable, rows: readonly string[]) {
    const { sql, params } = readableStatement(table, await policyOf(table), rows);
    try {
      const result = await callerPool.read<{ fresh: boolean; granted: boolean; readable: number[] }>({ role: 'authenticated', claims }, sql, params);
      const answer = result.rows[0]!;
      return { fresh: answer.fresh, readable: new Set(answer.granted ? answer.readable.map((ord) => ord - 1) : []) };
    } catch (error) {
      // A policy that no longer parses (dropped or changed by a migration) is read again next time.
      cache.delete(relationName(table));
      throw error;
    }
  }

  return {
    async readable(claims, table, rows) {
      if (rows.length === 0) return new Set();
      const first = await evaluate(claims, table, rows);
      if (first.fresh) return first.readable;
      // The policies changed since they were cached: decide with the current ones.
      cache.delete(relationName(table));
      const second = await evaluate(claims, table, rows);
      return second.fresh ? second.readable : new Set();
    },
  };
}
