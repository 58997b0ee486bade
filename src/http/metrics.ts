/**
 * Prometheus metrics for the api: request latency and count per route pattern, the
 * job queue as the database sees it (read at scrape time), and the process's own
 * default metrics.
 *
 * Every app gets its own Registry: tests build dozens of apps in one process, and
 * prom-client's global registry would refuse the second "guardian_http_…" metric.
 * A worker running in the same process (`npm start`) adds its job metrics to this
 * registry with `createJobMetrics(metrics.registry)` (src/events/job-metrics.ts).
 *
 * Workers in processes of their own (Render's worker service cannot be scraped) publish
 * their job metrics to private.worker_metrics (src/events/job-metrics-publisher.ts); a
 * scrape adds those published in the last minute to this registry's own, each series
 * labelled with its `worker`. Not summed across workers: when one stops, a sum would
 * drop, and Prometheus would read the drop as a reset and the others' totals as new.
 *
 * Labels never carry a raw path, an id or a payload: route is the matched pattern
 * (`/api/profiles/:profileId`), job labels are the job type, which is a code name.
 */
import { timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { Pool } from '../db/pool.js';

export interface HttpMetrics {
  registry: Registry;
  /** Times every request; mount it first (outside the error middleware) so it sees final statuses. */
  middleware: Koa.Middleware;
  /** Answers GET /metrics in the Prometheus text format; passes any other request on. */
  handler: Koa.Middleware;
}

export interface MetricsDeps {
  pool: Pool;
  /**
   * Job types to report even when the queue holds none of them, so a drained type reads
   * 0 instead of vanishing (a vanished series makes `rate()` and alerts go blank).
   */
  jobTypes?: string[];
  /**
   * When set, /metrics requires `Authorization: Bearer <token>`. Render web services are
   * public, and the route list and queue depth are nobody else's business.
   */
  bearerToken?: string;
  /** How long a scrape waits for the queue query; default 2000 ms. */
  queueQueryTimeoutMs?: number;
}

/**
 * Latency buckets for an api whose p99 goal is 50 ms. Dense around the goal, with a
 * boundary exactly at 0.05 so "share of requests within 50 ms" is read straight from
 * the le="0.05" bucket, no interpolation; 0.035 and 0.075 show whether p99 is drifting
 * towards or past it; 2.5 ms–20 ms resolve the fast reads (a primary-key read through
 * RLS is ~2–5 ms); the tail stops at 10 s (beyond that the client has given up).
 * 13 buckets: each {method, route, status} series costs 15 lines per scrape.
 */
export const HTTP_DURATION_BUCKETS = [0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 10];

const QUEUE_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;

/** Node's parser accepts ~35 methods; anything unusual is folded into one label value. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface QueueRow {
  type: string;
  status: string;
  count: number;
  oldest_pending_seconds: number | null;
}

/**
 * One statement per scrape: queue depth per (type, status) and, for the pending group,
 * the age of the oldest job that is due (a retry backing off until later is not
 * waiting), read through idx_queue_type_status; and the job metrics that workers in
 * processes of their own published in the last minute (four times their 15 s period).
 */
const SCRAPE_SQL = `
  select coalesce((select json_agg(q) from (
           select type, status, count(*)::int as count,
                  extract(epoch from now() - min(run_at) filter (where status = 'pending' and run_at <= now()))::float8
                    as oldest_pending_seconds
             from public.job_queue
            group by type, status) q), '[]') as queue,
         coalesce((select json_agg(json_build_object('worker', w.worker_id, 'metrics', w.metrics)) from private.worker_metrics w
                    where w.published_at > now() - interval '1 minute'), '[]') as workers`;

interface ScrapeData {
  queue: QueueRow[];
  /** Per worker, its metrics as prom-client's getMetricsAsJSON() made them. */
  workers: { worker: string; metrics: unknown }[];
}

interface PublishedMetric {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/**
 * A worker's published metrics, checked (a malformed row is skipped, not fatal to the
 * scrape) and labelled with the worker's id, so each worker keeps series of its own.
 */
function labelledByWorker({ worker, metrics }: { worker: string; metrics: unknown }): PublishedMetric[] {
  if (!Array.isArray(metrics)) return [];
  return metrics.flatMap((m: unknown): PublishedMetric[] => {
    const { name, help, type, values } = (m ?? {}) as Partial<PublishedMetric>;
    if (typeof name !== 'string' || typeof type !== 'string' || !Array.isArray(values)) return [];
    return [{
      name,
      help: typeof help === 'string' ? help : name,
      type,
      aggregator: 'sum',
      values: values
        .filter((v) => typeof v?.value === 'number')
        .map((v) => ({ ...v, labels: { ...(v.labels ?? {}), worker } })),
    }];
  });
}

/** The route label: the pattern set by the api's route layer, else @koa/router's, else 'unmatched'. */
export function routeLabel(ctx: Koa.Context): string {
  const fromState: unknown = ctx.state.route;
  if (typeof fromState === 'string' && fromState !== '') return fromState;
  // @koa/router sets this (string, or RegExp for a regex route) on the context.
  const matched = (ctx as Koa.Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  if (typeof matched === 'string' && matched !== '') return matched;
  if (matched instanceof RegExp) return String(matched);
  return 'unmatched';
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function bearerMatches(header: string, token: string): boolean {
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createMetrics(deps: MetricsDeps): HttpMetrics {
  const registry = new Registry();
  const queueTimeoutMs = deps.queueQueryTimeoutMs ?? 2000;
  collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'guardian_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'guardian_http_requests_total',
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const scrapeErrors = new Counter({
    name: 'guardian_metrics_scrape_errors_total',
    help: 'Scrapes whose queue query failed or timed out (the queue gauges were left out).',
    registers: [registry],
    // Waits for this scrape's queue query, so its failure is counted in this very scrape.
    async collect() {
      await readQueue();
    },
  });

  // A scrape reads the database once: render() starts the read and holds it while
  // registry.metrics() runs every collect() (in the same tick, Promise.all), so the three
  // queue gauges await the same promise. It is dropped when the scrape ends (or, for a
  // registry.metrics() outside render(), once settled), so the next scrape reads afresh.
  let snapshot: Promise<ScrapeData | undefined> | undefined;
  let rendering = 0;
  const readScrape = (): Promise<ScrapeData | undefined> =>
    (snapshot ??= withTimeout(deps.pool.query<ScrapeData>(SCRAPE_SQL), queueTimeoutMs, 'metrics query')
      .then((result) => result.rows[0])
      .catch(() => {
        scrapeErrors.inc();
        return undefined;
      })
      .finally(() => {
        if (rendering === 0) snapshot = undefined;
      }));
  const readQueue = async (): Promise<QueueRow[] | undefined> => (await readScrape())?.queue;

  const typesOf = (rows: QueueRow[]) => new Set([...(deps.jobTypes ?? []), ...rows.map((r) => r.type)]);

  new Gauge({
    name: 'guardian_jobs',
    help: 'Jobs in public.job_queue by type and status.',
    labelNames: ['type', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await readQueue();
      if (!rows) return;
      for (const type of typesOf(rows)) for (const status of QUEUE_STATUSES) this.set({ type, status }, 0);
      for (const r of rows) this.set({ type: r.type, status: r.status }, r.count);
    },
  });
  new Gauge({
    name: 'guardian_job_oldest_pending_seconds',
    help: 'Age of the oldest due pending job by type (0 when none is waiting).',
    labelNames: ['type'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await readQueue();
      if (!rows) return;
      for (const type of typesOf(rows)) this.set({ type }, 0);
      for (const r of rows) if (r.status === 'pending' && r.oldest_pending_seconds !== null) this.set({ type: r.type }, Math.max(0, r.oldest_pending_seconds));
    },
  });
  new Gauge({
    name: 'guardian_jobs_failed',
    help: 'Jobs in the failed (dead-letter) state by type.',
    labelNames: ['type'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await readQueue();
      if (!rows) return;
      for (const type of typesOf(rows)) this.set({ type }, 0);
      for (const r of rows) if (r.status === 'failed') this.set({ type: r.type }, r.count);
    },
  });

  const middleware: Koa.Middleware = async (ctx, next) => {
    const started = performance.now();
    let status: number | undefined;
    try {
      await next();
    } catch (error) {
      // Only reached when no error middleware sits inside this one.
      const raw = Number((error as { status?: unknown } | null)?.status ?? 500);
      status = raw >= 400 && raw <= 599 ? raw : 500;
      throw error;
    } finally {
      const labels = {
        method: KNOWN_METHODS.has(ctx.method) ? ctx.method : 'OTHER',
        route: routeLabel(ctx),
        status: String(status ?? ctx.status),
      };
      duration.observe(labels, (performance.now() - started) / 1000);
      requests.inc(labels);
    }
  };

  /** This registry's metrics, with the workers' published job metrics summed into them. */
  const render = async (): Promise<string> => {
    rendering++;
    try {
      const workers = (await readScrape())?.workers ?? [];
      try {
        return await renderWith(workers);
      } catch {
        // Whatever the workers published, the api's own metrics still go out.
        scrapeErrors.inc();
        return await registry.metrics();
      }
    } finally {
      if (--rendering === 0) snapshot = undefined;
    }
  };
  const renderWith = async (workers: ScrapeData['workers']): Promise<string> => {
    const published = workers.map(labelledByWorker).filter((list) => list.length > 0);
    if (published.length === 0) return registry.metrics();
    const publishedNames = new Set(published.flatMap((list) => list.map((m) => m.name)));
    // Ours minus the metrics the workers publish; ours of those (a worker in this
    // process) join the sum instead, so no name is exposed twice.
    const rest = new Registry();
    const ownOfPublished: object[] = [];
    for (const object of registry.getMetricsAsArray()) {
      // getMetricsAsArray is typed as plain descriptions; the entries are the metric instances.
      const metric = object as unknown as Metric;
      if (publishedNames.has(object.name)) ownOfPublished.push(await metric.get());
      else rest.registerMetric(metric);
    }
    return Registry.merge([rest, AggregatorRegistry.aggregate([ownOfPublished, ...published])]).metrics();
  };

  const handler: Koa.Middleware = async (ctx, next) => {
    if (ctx.path !== '/metrics' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.state.route ??= '/metrics';
    if (deps.bearerToken !== undefined && !bearerMatches(ctx.get('authorization'), deps.bearerToken)) {
      ctx.status = 401;
      ctx.set('www-authenticate', 'Bearer');
      ctx.body = 'unauthorized\n';
      return;
    }
    ctx.set('cache-control', 'no-store');
    ctx.type = registry.contentType;
    ctx.body = await render();
  };

  return { registry, middleware, handler };
}
