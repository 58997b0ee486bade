/**
 * The change feed: Postgres changes on the published tables → per-subscriber,
 * RLS-checked `postgres_changes` deliveries.
 *
 * The triggers of migrations 1400, 1500 and 2200 NOTIFY `guardian_realtime`, only while
 * a gateway heartbeats `private.realtime_gateways` (a NOTIFY in a writing transaction
 * costs ~55% of one-row insert throughput, DESIGN.md), with the ids of the rows as
 * written (INSERT, UPDATE) or as they were (DELETE), kept in
 * private.realtime_row_versions; never data. For each notice: the versions are read
 * once; the subscribers of that table whose bindings want the event are grouped by
 * their claims, and which of the rows each group may see is decided ONCE per group,
 * as that caller, so RLS decides (500 sockets of 100 users are ≤ 100 reads here, not
 * 500). For an INSERT or UPDATE, as Supabase does: visibility of the row in the table
 * now, payload of the version the change wrote. For a DELETE, better than Supabase
 * (which sends every subscriber the key): the table's select policies evaluated on
 * the row as it was (deleted-row-access.ts), and only the key goes out. Filters are
 * then applied per binding on the version.
 *
 * Notices are handled one at a time, in arrival (= commit) order, so a subscriber
 * sees a table's changes in order; within a notice, groups read concurrently (≤ 8,
 * under the caller pool's own limit). A notice or subscriber that fails is logged by
 * ids and counts and skipped; the feed goes on.
 */
import type pg from 'pg';
import type { CallerPool } from '../db/caller-pool.js';
import type { DatabaseLink } from '../db/connection.js';
import { listenForNotifications, type NotificationListener } from '../events/notification-listener.js';
import type { Logger } from '../log.js';
import type { PostgresChangesData, Subscription, SubscriptionRegistry } from './registry.js';
import { deletedRowAccess } from './deleted-row-access.js';
import {
  keyOf,
  matchesFilter,
  parseNotice,
  primaryKeyOf,
  readStatement,
  type ChangeNotice,
  type PublishedTable,
  versionCoveredBy,
} from './row-reader.js';
import { purgeRowVersions, readRowVersions, tableColumnsCache, type RowVersions, type TableColumns } from './row-versions.js';

export const REALTIME_CHANNEL = 'guardian_realtime';
export const CHANGE_FEED_APPLICATION_NAME = 'guardian-realtime';
/** Heartbeat period; the trigger treats a gateway as gone after 30 s, i.e. six missed beats. */
export const HEARTBEAT_MS = 5_000;
/** Notices waiting beyond this are dropped (logged): at ~1 ms a notice that is ≥ 10 s of backlog, memory stays bounded. */
export const MAX_QUEUED_NOTICES = 10_000;
/** Concurrent group reads within one notice. */
const READ_CONCURRENCY = 8;
/**
 * Queued notices whose row versions are read in one query. Idle, a notice is read on
 * its own as it arrives; after a stall (a busy machine, a burst of writes) the backlog
 * drains with one version read per 64 notices instead of one each.
 */
const VERSION_READ_BATCH = 64;

export interface ChangeFeedOptions {
  /** For the LISTEN connection, on the session URL (DATABASE_LISTEN_URL). */
  databaseUrl: DatabaseLink;
  /** Reads as a signed-in user (role authenticated + their claims), under RLS. */
  callerPool: Pick<CallerPool, 'read'>;
  /** Superuser pool: heartbeats, pg_type lookups and service_role reads. */
  pool: pg.Pool;
  registry: Pick<SubscriptionRegistry, 'forTable'>;
  log: Logger;
  /** Unique per gateway process (its heartbeat row). */
  gatewayId: string;
  /** Tests shorten it; defaults to HEARTBEAT_MS. */
  heartbeatMs?: number;
}

export interface ChangeFeed {
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Group {
  role: 'authenticated' | 'service_role';
  claims: Record<string, unknown>;
  members: { subscription: Subscription; bindingIds: (row: Record<string, unknown>, types: ReadonlyMap<string, string>) => number[] }[];
}

export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { callerPool, pool, registry, log, gatewayId } = options;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const columnsOf = tableColumnsCache(pool);
  const deletedRows = deletedRowAccess(pool, callerPool);
  let listener: NotificationListener<ChangeNotice> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let queue: ChangeNotice[] = [];
  let draining: Promise<void> | undefined;
  let running = false;

  async function beat(): Promise<void> {
    await pool.query(
      `insert into private.realtime_gateways (gateway_id, seen_at) values ($1::text, now())
       on conflict (gateway_id) do update set seen_at = excluded.seen_at`,
      [gatewayId],
    );
    await purgeRowVersions(pool);
  }

  /**
   * Which of the keys' rows the group may see now: one read of key and policy columns,
   * as that caller. Key → the row as read.
   */
  async function visibleRows(group: Group, table: PublishedTable, keys: string[][]): Promise<Map<string, Record<string, unknown>>> {
    const { sql, params } = readStatement(table, keys, 'key');
    const result = group.role === 'service_role'
      ? await pool.query<Record<string, unknown>>(sql, params)
      : await callerPool.read<Record<string, unknown>>({ role: 'authenticated', claims: group.claims }, sql, params);
    return new Map(result.rows.map((row) => [keyOf(table, row).join('\u0000'), row]));
  }

  function deliver(subscription: Subscription, data: PostgresChangesData, bindingIds: number[], notice: ChangeNotice): void {
    if (bindingIds.length === 0) return;
    try {
      subscription.deliver(data, bindingIds);
    } catch (error) {
      log.warn({ table: notice.table.table, err: { message: (error as Error).message } }, 'realtime: a subscriber failed a delivery');
    }
  }

  /** Subscriptions of the table whose bindings want this event, grouped by (role, claims). */
  function groupsFor(notice: ChangeNotice): Map<string, Group> {
    const groups = new Map<string, Group>();
    const nowSeconds = Date.now() / 1000;
    for (const subscription of registry.forTable(notice.table.schema, notice.table.table)) {
      try {
        const bindings = subscription.bindings.filter(
          // A binding may name the whole schema (table '*') or every schema ('*'), as Supabase allows.
          (b) =>
            (b.schema === notice.table.schema || b.schema === '*') &&
            (b.table === notice.table.table || b.table === '*') &&
            (b.event === '*' || b.event === notice.type),
        );
        if (bindings.length === 0) continue;
        const role = subscription.role();
        // anon can read none of the published tables (their grants are revoked), so no read is spent on it.
        if (role === 'anon') continue;
        const claims = subscription.claims();
        // Belt and braces: the gateway closes expired channels, but a change racing that must not go out.
        if (typeof claims.exp === 'number' && claims.exp < nowSeconds) continue;
        const groupKey = `${role}\u0000${JSON.stringify(claims)}`;
        let group = groups.get(groupKey);
        if (!group) groups.set(groupKey, (group = { role, claims, members: [] }));
        group.members.push({
          subscription,
          bindingIds: (row, types) => bindings.filter((b) => matchesFilter(b.filter, row, types)).map((b) => b.id),
        });
      } catch (error) {
        log.warn({ table: notice.table.table, err: { message: (error as Error).message } }, 'realtime: skipped a subscriber');
      }
    }
    return groups;
  }

  /** INSERT, UPDATE: the versions whose row the group may see now, read from the table as that caller. */
  async function visibleVersions(group: Group, table: PublishedTable, records: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const keys = records.map((record) => keyOf(table, record));
    const visible = await visibleRows(group, table, keys);
    // Visible now, and the version drew on no more than the row now does.
    return records.filter((version, i) => {
      const now = visible.get(keys[i]!.join('\u0000'));
      return now !== undefined && versionCoveredBy(table, version, now);
    });
  }

  /**
   * DELETE: the deleted rows (as they were) the group could read, by the table's own
   * select policies evaluated as that caller (deleted-row-access.ts). Only rows of
   * profiles the user has access to are sent for evaluation: no policy of a published
   * table lets anyone else read a row (the same premise as the candidate prefilter).
   */
  async function readableDeleted(group: Group, table: PublishedTable, ids: string[], versions: RowVersions): Promise<Record<string, unknown>[]> {
    if (group.role === 'service_role') return ids.map((id) => versions.records.get(id)!); // bypasses RLS, on the table as here
    const sub = String(group.claims.sub);
    const candidates = ids.filter((id) => versions.deletedText.has(id) && versions.usersByProfile.get(String(versions.records.get(id)!.profile_id))?.has(sub));
    if (candidates.length === 0) return [];
    const readable = await deletedRows.readable(group.claims, table, candidates.map((id) => versions.deletedText.get(id)!));
    return candidates.filter((_, i) => readable.has(i)).map((id) => versions.records.get(id)!);
  }

  async function handleGroup(
    notice: ChangeNotice,
    group: Group,
    ids: string[],
    records: Record<string, unknown>[],
    versions: RowVersions,
    columns: TableColumns,
    committedAt: string,
  ): Promise<void> {
    const { table } = notice;
    const deliverable = notice.type === 'DELETE' ? await readableDeleted(group, table, ids, versions) : await visibleVersions(group, table, records);
    if (deliverable.length === 0) return; // RLS hides every changed row from this group
    // Column privileges, as Supabase applies them: a column the role may not select is left out.
    const shown = group.role === 'service_role' ? columns.all : columns.forAuthenticated;
    for (const version of deliverable) {
      const record: Record<string, unknown> = {};
      for (const column of shown) record[column.name] = version[column.name] ?? null;
      const data: PostgresChangesData = {
        schema: table.schema,
        table: table.table,
        commit_timestamp: committedAt,
        type: notice.type,
        columns: shown,
        // A DELETE carries the deleted row's primary key (what Supabase sends), real
        // values, to subscribers who could read the row; the rest of the row stays here.
        record: notice.type === 'DELETE' ? {} : record,
        old_record: notice.type === 'INSERT' ? {} : primaryKeyOf(table, notice.type === 'DELETE' ? record : version),
        errors: null,
      };
      // Filters match the version's selectable columns (a DELETE's: the row as it was).
      for (const member of group.members) deliver(member.subscription, data, member.bindingIds(record, columns.types), notice);
    }
  }

  async function handle(notice: ChangeNotice, versions: RowVersions): Promise<void> {
    const groups = groupsFor(notice);
    if (groups.size === 0) return;
    const ids = notice.versionIds.filter((id) => versions.records.has(id));
    const records = ids.map((id) => versions.records.get(id)!);
    if (records.length < notice.versionIds.length) {
      log.warn({ table: notice.table.table, missing: notice.versionIds.length - records.length }, 'realtime: row versions already purged; those changes are not delivered');
    }
    if (records.length === 0) return;
    const columns = await columnsOf(notice.table);
    // One statement's versions share a transaction: its commit time, else the statement's.
    const committedAt = notice.versionIds.map((id) => versions.committedAt.get(id)).find((at) => at !== undefined) ?? notice.timestamp;
    const candidateUsers = new Set(records.flatMap((r) => [...(versions.usersByProfile.get(String(r.profile_id))?.values() ?? [])]));
    // Groups of users without any access to the rows' profiles are skipped: RLS would
    // hide the rows from them anyway (every published table is profile-scoped). The
    // read as each remaining group (for a DELETE: the policies evaluated as that
    // group) stays the authority on what is delivered, so a
    // wrong candidate list can only withhold a change, never leak one. Measured
    // (bench:realtime, 100 users each with an unfiltered socket): 100 reads per
    // change became ~1.
    const pending = [...groups.values()].filter((g) => g.role === 'service_role' || candidateUsers.has(String(g.claims.sub)));
    const worker = async () => {
      for (let group = pending.shift(); group; group = pending.shift()) {
        try {
          await handleGroup(notice, group, ids, records, versions, columns, committedAt);
        } catch (error) {
          // One group's failure (e.g. a connection lost mid-read) costs that group this change only.
          log.warn({ table: notice.table.table, type: notice.type, err: { message: (error as Error).message } }, 'realtime: a change read failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, pending.length) }, worker));
  }

  async function drain(): Promise<void> {
    for (let batch = queue.splice(0, VERSION_READ_BATCH); batch.length > 0; batch = queue.splice(0, VERSION_READ_BATCH)) {
      let versions: RowVersions = { records: new Map(), committedAt: new Map(), usersByProfile: new Map(), deletedText: new Map() };
      const ids = batch.flatMap((notice) => notice.versionIds);
      const deletedIds = batch.flatMap((notice) => (notice.type === 'DELETE' ? notice.versionIds : []));
      try {
        if (ids.length > 0) versions = await readRowVersions(pool, ids, deletedIds);
      } catch (error) {
        // Those changes cannot be delivered; the feed goes on.
        log.warn({ notices: batch.length, err: { message: (error as Error).message } }, 'realtime: reading row versions failed');
      }
      // In order, one notice at a time: a subscriber sees a table's changes in commit order.
      for (const notice of batch) {
        if (!running) return;
        try {
          await handle(notice, versions);
        } catch (error) {
          log.warn({ table: notice.table.table, err: { message: (error as Error).message } }, 'realtime: a change failed');
        }
      }
    }
  }

  function enqueue(notice: ChangeNotice): void {
    if (queue.length >= MAX_QUEUED_NOTICES) {
      log.warn({ table: notice.table.table, queued: queue.length }, 'realtime: backlog full, dropped a change');
      return;
    }
    queue.push(notice);
    if (!draining) {
      draining = drain().finally(() => {
        draining = undefined;
      });
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      try {
        // The same dedicated, self-healing LISTEN connection as the worker's (backoff with
        // jitter, no deadline). Changes committed while disconnected are not replayed (nor
        // are they by Supabase Realtime). Payloads are validated by parseNotice, so a
        // malformed one is one warning, not an error.
        listener = await listenForNotifications({
          url: options.databaseUrl,
          channel: REALTIME_CHANNEL,
          applicationName: CHANGE_FEED_APPLICATION_NAME,
          parse: parseNotice,
          log,
        });
        listener.events$.subscribe((event) => {
          if (event.kind === 'notification') enqueue(event.payload);
        });
        // LISTEN (above) before the first heartbeat: no trigger notifies before we can hear it.
        // Rows of gateways gone for an hour are dead weight in the trigger's lookup.
        await pool.query(`delete from private.realtime_gateways where seen_at < now() - interval '1 hour'`);
        await beat();
      } catch (error) {
        running = false;
        await listener?.close().catch(() => {});
        listener = undefined;
        throw error;
      }
      heartbeat = setInterval(() => {
        beat().catch((error: Error) => log.warn({ err: { message: error.message } }, 'realtime heartbeat failed'));
      }, heartbeatMs);
      heartbeat.unref();
    },

    async stop() {
      if (!running) return;
      running = false;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = undefined;
      // Writers stop paying for NOTIFY at once rather than 30 s later.
      await pool
        .query(`delete from private.realtime_gateways where gateway_id = $1::text`, [gatewayId])
        .catch((error: Error) => log.warn({ err: { message: error.message } }, 'realtime: could not remove the heartbeat row'));
      const closing = listener;
      listener = undefined;
      await closing?.close().catch((error: Error) => log.warn({ err: { message: error.message } }, 'realtime: closing the listener failed'));
      // Changes already queued are dropped; the one in flight finishes.
      queue = [];
      await draining;
    },
  };
}
