/**
 * The contract between the WebSocket gateway (which owns sockets, channels and auth)
 * and the Postgres change feed (which decides what each subscriber may see).
 *
 * The gateway adds a Subscription when a channel with `postgres_changes` bindings is
 * joined and removes it on leave, close, expiry or a dropped socket. The feed asks
 * `forTable` for every change and calls `deliver` with the ids of the bindings that
 * matched; `claims()` is read at delivery time because an `access_token` event can
 * swap them while the channel stays joined.
 */

export interface PostgresChangeBinding {
  /** Unique within the gateway; the client routes a change by these ids. Always ≥ 1 (the client ignores id 0). */
  id: number;
  event: 'INSERT' | 'UPDATE' | 'DELETE' | '*';
  schema: string;
  /** `*` when the client bound a whole schema (Supabase allows `{ schema: 'public' }` without a table). */
  table: string;
  /** PostgREST-style, e.g. "profile_id=eq.<uuid>"; the gateway checks only its syntax. */
  filter?: string;
}

export interface PostgresChangesData {
  schema: string;
  table: string;
  commit_timestamp: string;
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  columns: { name: string; type: string }[];
  record: Record<string, unknown>;
  old_record: Record<string, unknown>;
  errors: null;
}

export interface Subscription {
  /** Unique per (socket, channel). */
  readonly key: string;
  readonly bindings: readonly PostgresChangeBinding[];
  /** The subscriber's current verified claims (they change on `access_token`). */
  claims(): Record<string, unknown>;
  role(): 'anon' | 'authenticated' | 'service_role';
  /** Sends the `postgres_changes` event to the subscriber; never throws. */
  deliver(data: PostgresChangesData, bindingIds: number[]): void;
}

/**
 * Subscriptions indexed by (schema, table) so a change costs a lookup, not a scan of
 * every socket. Bindings with table `*` are indexed under their schema alone.
 */
export class SubscriptionRegistry {
  readonly #byKey = new Map<string, Subscription>();
  // "schema.table" (or "schema.*") → keys of subscriptions with at least one binding there.
  readonly #byTable = new Map<string, Set<string>>();

  add(s: Subscription): void {
    if (this.#byKey.has(s.key)) this.remove(s.key);
    this.#byKey.set(s.key, s);
    for (const slot of slots(s)) {
      let keys = this.#byTable.get(slot);
      if (!keys) this.#byTable.set(slot, (keys = new Set()));
      keys.add(s.key);
    }
  }

  remove(key: string): void {
    const s = this.#byKey.get(key);
    if (!s) return;
    this.#byKey.delete(key);
    for (const slot of slots(s)) {
      const keys = this.#byTable.get(slot);
      keys?.delete(key);
      if (keys && keys.size === 0) this.#byTable.delete(slot);
    }
  }

  /** Subscriptions with a binding on this table (or on the whole schema, or on every schema). */
  forTable(schema: string, table: string): Subscription[] {
    const seen = new Set<string>();
    const out: Subscription[] = [];
    for (const slot of [`${schema}.${table}`, `${schema}.*`, '*.*']) {
      for (const key of this.#byTable.get(slot) ?? []) {
        if (seen.has(key)) continue;
        seen.add(key);
        const s = this.#byKey.get(key);
        if (s) out.push(s);
      }
    }
    return out;
  }

  size(): number {
    return this.#byKey.size;
  }
}

function slots(s: Subscription): Set<string> {
  // schema `*` means every schema (the client allows it); it is indexed as "*.*".
  return new Set(s.bindings.map((b) => (b.schema === '*' ? '*.*' : `${b.schema}.${b.table}`)));
}
