/**
 * The healthcare-journey answers this api instance gave, kept in memory so the same
 * read can be answered again without rebuilding it, but never without asking the
 * database first.
 *
 * Why: the check costs a fraction of the statement, so a repeated read answered from a
 * kept answer is much cheaper: npm run bench:api (a profile with 10,000 records, 50
 * connections) serves ~1.4 to 1.8× the requests a second with kept answers than
 * without, with a lower p99 in most runs; a read whose kept answer the check finds outdated
 * (the check, then the statement) was mostly within the noise of reads with none kept
 * (journey_cache_outdated_rps against journey_cache_off_rps).
 *
 * An entry is one user's answer to one query (profile, filters, page) together with
 * what it was built from: the profile's journey version (private.journey_writes: the
 * count of committed writes to its timeline, series and summary) and the categories
 * the user could read (their live rows in private.profile_access). A later identical request
 * is served from the entry only when a check, run as that user under RLS in the
 * database, returns the same version and the same categories: any write to the
 * journey, a revoked, narrowed or expired grant, or a profile the user may no longer
 * see (no row: 404) sends the request to the full statement. Entries are never shared
 * between users.
 *
 * Bounded by the bytes of the answers held (least recently used go first); 0 turns it
 * off. Memory only: nothing is written anywhere, and a restart forgets everything.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { JourneyQuery } from './journey-statement.js';

export interface CachedJourney {
  /** The profile's journey version the answer was built at. */
  version: string;
  /** The categories the user could read then, sorted and comma-separated. */
  access: string;
  /** The response body. */
  body: string;
}

/** One user's query: the same query from another user is another answer. */
export type JourneyCacheKey = JourneyQuery & { userId: string };

export class JourneyCache {
  private readonly entries = new Map<string, CachedJourney>();
  private bytes = 0;
  /** Answers served from an entry, checks that found one outdated, answers built by the statement. */
  hits = 0;
  stale = 0;
  built = 0;

  constructor(readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  static key(k: JourneyCacheKey): string {
    return JSON.stringify([k.userId, k.profile, k.from ?? null, k.to ?? null, k.kind ?? null, k.limit, k.cursor?.us ?? null, k.cursor?.id ?? null]);
  }

  /** The entry, marked most recently used. */
  get(key: string): CachedJourney | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: CachedJourney): void {
    if (!this.enabled) return;
    this.delete(key);
    const size = entryBytes(key, entry);
    if (size > this.maxBytes) return;
    this.entries.set(key, entry);
    this.bytes += size;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entryBytes(oldest, old);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entryBytes(key, entry);
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}

// Two bytes a character (what the heap holds for a string at most), and ~200 bytes for
// the entry's objects and the map's slot.
const ENTRY_OVERHEAD = 200;
const entryBytes = (key: string, entry: CachedJourney) =>
  2 * (key.length + entry.body.length + entry.access.length + entry.version.length) + ENTRY_OVERHEAD;

/**
 * `guardian_journey_answers_total{answer="kept|stale|built"}` and
 * `guardian_journey_cache_bytes` on the api's /metrics: how often a kept answer was
 * good, how often the check found it outdated, how often the statement ran.
 */
export function registerJourneyCacheMetrics(registry: Registry, cache: JourneyCache): void {
  // A registry shared with an earlier app (tests, a restarted server) reports the newest cache.
  for (const name of ['guardian_journey_answers_total', 'guardian_journey_cache_bytes']) registry.removeSingleMetric(name);
  new Counter({
    name: 'guardian_journey_answers_total',
    help: 'Healthcare-journey answers: kept (served after the check), stale (the check found it outdated), built (the statement ran).',
    labelNames: ['answer'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ answer: 'kept' }, cache.hits);
      this.inc({ answer: 'stale' }, cache.stale);
      this.inc({ answer: 'built' }, cache.built);
    },
  });
  new Gauge({
    name: 'guardian_journey_cache_bytes',
    help: 'Memory held by kept healthcare-journey answers (JOURNEY_CACHE_MB bounds it).',
    registers: [registry],
    collect() {
      this.set(cache.size.bytes);
    },
  });
}
