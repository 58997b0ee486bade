/**
 * The worker runtime: claims jobs for the registered consumers and runs each job
 * type through its own RxJS pipeline.
 *
 *   wake-ups ─┬─ NOTIFY for this type (listener)
 *             ├─ (re)connect of the listener: catch up
 *             ├─ slow poll timer: the backstop for lost notifications
 *             └─ a job finished: capacity to refill
 *        ▼
 *   claim (single flight, batch, SKIP LOCKED) ─▶ Subject<Job> per type
 *        ▼
 *   mergeMap(run, concurrency) ─▶ handler ─▶ complete/fail, batched naturally
 *
 * A lane holds at most concurrency + claimBatchSize jobs (running or buffered) and
 * refills once it is down to concurrency + half a batch, so the handlers never
 * starve while a claim is on the wire and no claim fetches a handful. Held jobs
 * keep their lease by heartbeat; a job whose lease is lost is aborted and not acked.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { mergeMap, Subject, type Subscription } from 'rxjs';
import type { JobSettings } from '../config.js';
import type { DatabaseTarget } from '../db/connection.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { Batcher } from './batcher.js';
import { acknowledgeWithRetry } from './acknowledge.js';
import { LazyAbort } from './lazy-abort.js';
import { renewLeases } from './lease-renewal.js';
import type { Consumer } from './consumer.js';
import { createListener, type Listener } from './listener.js';
import { createQueuePool, type QueuePool } from './queue-pool.js';
import { backoffDelay } from './queue/backoff.js';
import { claimJobs, clearIdle } from './queue/claim.js';
import { completeJobs } from './queue/complete.js';
import { failJobs, type FailedAttempt } from './queue/fail.js';
import { PermanentJobError, type Job } from './queue/job.js';
import { releaseJobs } from './queue/lease.js';
import { startSweeps, type PeriodicSweep } from '../sweeps/sweep.js';
import { retryWhileDatabaseUnavailable } from './transient-retry.js';

export interface WorkerOptions {
  /** Used for queue bookkeeping when no database is given. */
  pool: Pool;
  /**
   * For the dedicated LISTEN connection (on its session URL) and a small bookkeeping
   * pool of the worker's own; omit to rely on polling and `pool` alone.
   */
  database?: DatabaseTarget;
  /** A plain URL instead of `database` (tests, benches): direct, or as declared. */
  databaseUrl?: string;
  consumers: Consumer[];
  settings: JobSettings;
  log: Logger;
  workerId?: string;
  /** The sweeps this worker runs on timers (the worker's share of src/sweeps), stopped with it. */
  sweeps?: readonly PeriodicSweep[];
  /** Called once a job's outcome is written (e.g. createJobMetrics(registry).onJobSettled); seconds = handler run time. */
  onJobSettled?: (type: string, outcome: 'completed' | 'failed' | 'retried', seconds: number) => void;
}

export interface WorkerStats {
  claimed: number;
  completed: number;
  failed: number;
  retried: number;
  running: number;
  held: number;
}

interface Lane {
  consumer: Consumer;
  concurrency: number;
  held: Map<string, Job>;
  running: Map<string, LazyAbort>;
  jobs$: Subject<Job>;
  subscription?: Subscription;
  dirty: boolean;
  /** The last claim found the type drained (and marked this worker idle for it). */
  idle: boolean;
  keyTails: Map<string, Promise<void>>;
}

export class Worker {
  readonly id: string;
  private readonly lanes = new Map<string, Lane>();
  private readonly completer: Batcher<{ id: string; result: unknown; type: string; seconds: number }>;
  private readonly failer: Batcher<FailedAttempt & { type: string; seconds: number }>;
  private readonly runs = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private listener: Listener | undefined;
  private sweeps: { stop(): Promise<void> } | undefined;
  private fetching: Promise<void> | undefined;
  private stopping = false;
  private started = false;
  private readonly counts = { claimed: 0, completed: 0, failed: 0, retried: 0 };
  private readonly debug: boolean;
  /** Claims, acknowledgements, heartbeats: see the constructor. */
  private readonly queue: QueuePool;
  private readonly ownsQueuePool: boolean;
  private readonly database: DatabaseTarget | string | undefined;

  constructor(private readonly options: WorkerOptions) {
    this.debug = options.log.isLevelEnabled('debug');
    this.database = options.database ?? options.databaseUrl;
    this.ownsQueuePool = this.database !== undefined;
    this.queue = this.database ? createQueuePool(this.database, options.log) : options.pool;
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    for (const consumer of options.consumers) {
      if (this.lanes.has(consumer.type)) throw new Error(`two consumers for job type ${consumer.type}`);
      this.lanes.set(consumer.type, {
        consumer,
        concurrency: consumer.concurrency ?? options.settings.defaultConcurrency,
        held: new Map(),
        running: new Map(),
        jobs$: new Subject<Job>(),
        dirty: true,
        idle: false,
        keyTails: new Map(),
      });
    }
    this.completer = new Batcher((items) => acknowledgeWithRetry('complete', () => this.complete(items), options.log));
    this.failer = new Batcher((items) => acknowledgeWithRetry('fail', () => this.fail(items), options.log));
  }

  get types(): string[] {
    return [...this.lanes.keys()];
  }

  stats(): WorkerStats {
    let running = 0;
    let held = 0;
    for (const lane of this.lanes.values()) {
      running += lane.running.size;
      held += lane.held.size;
    }
    return { ...this.counts, running, held };
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('worker already started');
    this.started = true;
    const { settings, log } = this.options;
    for (const lane of this.lanes.values()) {
      lane.subscription = lane.jobs$
        .pipe(mergeMap((job) => this.track(this.run(lane, job)), lane.concurrency)) // project runs only when a slot is free
        .subscribe();
    }
    if (this.database) {
      this.listener = await createListener(this.database, log);
      this.listener.events$.subscribe((event) => {
        if (event.kind === 'connected') this.wake();
        else if (event.kind === 'jobs') this.wake(event.types);
      });
    }
    this.every(settings.pollIntervalMs, () => this.wake());
    this.every(Math.max(250, Math.floor(settings.leaseMs / 3)), () => renewLeases(this.queue, this.id, this.lanes.values(), settings.leaseMs, log));
    this.sweeps = startSweeps(this.options.sweeps ?? [], log, (outcome) => outcome.wake && this.wake());
    log.info({ worker_id: this.id, types: this.types }, 'worker started');
    this.wake();
  }

  /**
   * Graceful stop: claim nothing more, let running jobs finish within the grace
   * period, abort the rest, write pending acknowledgements, and hand every job still
   * held back to pending so none is left `processing`.
   */
  async stop(graceMs = this.options.settings.shutdownGraceMs): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { log } = this.options;
    const pool = this.queue;
    for (const timer of this.timers) clearInterval(timer);
    const sweepsStopped = this.sweeps?.stop();
    await this.listener?.close().catch(() => undefined);
    await this.fetching;
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled([...this.runs]), graceOver]);
    clearTimeout(graceTimer);
    let aborted = 0;
    for (const lane of this.lanes.values()) {
      for (const controller of lane.running.values()) {
        controller.abort(new Error('worker shutting down'));
        aborted++;
      }
    }
    await this.completer.flush();
    await this.failer.flush();
    const held = [...this.lanes.values()].flatMap((lane) => [...lane.held.keys()]);
    const released = await releaseJobs(pool, this.id, held).catch((error: Error) => {
      log.error({ err: { message: error.message } }, 'could not release held jobs; their leases will expire');
      return 0;
    });
    await clearIdle(pool, this.id).catch(() => undefined);
    await sweepsStopped;
    for (const lane of this.lanes.values()) {
      lane.jobs$.complete();
      lane.subscription?.unsubscribe();
      lane.held.clear();
    }
    if (this.ownsQueuePool) await this.queue.end().catch(() => undefined);
    log.info({ worker_id: this.id, released, aborted, ...this.counts }, 'worker stopped');
  }

  /** Ask for a claim round for these types (all when omitted). */
  wake(types?: string[]): void {
    if (this.stopping || !this.started) return;
    for (const [type, lane] of this.lanes) if (!types || types.includes(type)) lane.dirty = true;
    this.fetching ??= this.fetchLoop().finally(() => {
      this.fetching = undefined;
      // A wake-up that arrived while the last claim was finishing.
      if (!this.stopping && [...this.lanes.values()].some((l) => l.dirty && this.wants(l) > 0)) this.wake();
    });
  }

  /** How many jobs a lane should claim now: 0 until it is down to its refill mark. */
  private wants(lane: Lane): number {
    const batch = this.options.settings.claimBatchSize;
    if (lane.held.size > lane.concurrency + Math.floor(batch / 2)) return 0;
    return lane.concurrency + batch - lane.held.size;
  }

  private async fetchLoop(): Promise<void> {
    const { settings, log } = this.options;
    const pool = this.queue;
    try {
      for (;;) {
        const lanes = [...this.lanes.values()].filter((l) => l.dirty);
        if (lanes.length === 0 || this.stopping) return;
        for (const lane of lanes) {
          lane.dirty = false;
          const limit = this.wants(lane);
          if (limit <= 0) continue;
          const jobs = await claimJobs(pool, { type: lane.consumer.type, limit, workerId: this.id, leaseMs: settings.leaseMs });
          this.counts.claimed += jobs.length;
          for (const job of jobs) lane.held.set(job.id, job);
          for (const job of jobs) lane.jobs$.next(job);
          if (jobs.length === limit) {
            // A full batch means more may be waiting: come back once there is room.
            lane.dirty = true;
            lane.idle = false;
          } else if (!lane.idle) {
            // This claim just marked the lane idle. A job inserted while it ran saw no
            // idle worker and sent no NOTIFY; one more claim, after the mark is
            // committed, picks it up. Only an insert whose transaction spans both
            // claims can still slip through, and then the poll timer finds it.
            lane.idle = true;
            lane.dirty = true;
          }
        }
      }
    } catch (error) {
      // The database is unreachable or restarting: the poll timer tries again.
      log.warn({ err: { message: (error as Error).message } }, 'claiming jobs failed');
    }
  }

  private track(run: Promise<void>): Promise<void> {
    this.runs.add(run);
    return run.finally(() => this.runs.delete(run));
  }

  /** Runs one job; never rejects (one bad job never ends its lane's stream). */
  private async run(lane: Lane, job: Job): Promise<void> {
    if (this.stopping || !lane.held.has(job.id)) return; // released at stop, or lease lost
    const key = lane.consumer.orderingKey?.(job);
    if (key === undefined) return this.execute(lane, job);
    // Per-key ordering: chain behind the previous job with the same key.
    const previous = lane.keyTails.get(key) ?? Promise.resolve();
    const mine = previous.then(() => (this.stopping ? undefined : this.execute(lane, job)));
    lane.keyTails.set(key, mine);
    await mine;
    if (lane.keyTails.get(key) === mine) lane.keyTails.delete(key);
  }

  private async execute(lane: Lane, job: Job): Promise<void> {
    const { consumer } = lane;
    // A child logger costs more than a trivial job: made only when someone logs.
    let childLog: Logger | undefined;
    const jobLog = () => (childLog ??= this.options.log.child({ job_id: job.id, type: job.type }));
    const controller = new LazyAbort();
    lane.running.set(job.id, controller);
    const started = performance.now();
    try {
      let payload = job.payload;
      if (consumer.payload) {
        const parsed = consumer.payload.safeParse(payload);
        if (!parsed.success) {
          // Paths and messages only: the values may be health data.
          const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
          throw new PermanentJobError('invalid_payload', `payload does not match ${job.type}: ${where}`);
        }
        payload = parsed.data;
      }
      const context = {
        get signal() {
          return controller.signal;
        },
        get log() {
          return jobLog();
        },
      };
      const input = payload === job.payload ? job : { ...job, payload };
      const result = await retryWhileDatabaseUnavailable(() => consumer.handle(input, context), {
        stillWanted: () => !this.stopping && lane.held.has(job.id),
        signal: () => controller.signal,
        onRetry: (retry, delayMs) => jobLog().warn({ retry, delay_ms: delayMs }, 'database unavailable; running the job again'),
      });
      if (!lane.held.delete(job.id)) return; // lease lost meanwhile: its new holder acks
      this.completer.add({ id: job.id, result, type: job.type, seconds: (performance.now() - started) / 1000 });
      if (this.debug) jobLog().debug({ ms: Math.round(performance.now() - started) }, 'job completed');
    } catch (error) {
      if (!lane.held.delete(job.id)) return;
      const permanent = error instanceof PermanentJobError;
      // A stable lower_snake code leads the stored error when the failure has one (the
      // profile's job view shows it); otherwise the error's class.
      const code = (error as { code?: unknown } | null)?.code;
      const coded = typeof code === 'string' && /^[a-z][a-z0-9_]{0,62}$/.test(code) ? code : undefined;
      const message = error instanceof Error ? `${coded ?? error.name}: ${error.message}` : String(error);
      this.failer.add({
        id: job.id,
        type: job.type,
        error: message,
        delayMs: backoffDelay(job.retryCount, consumer.backoff),
        permanent,
        seconds: (performance.now() - started) / 1000,
      });
      // The message stays in the job row (service role only); logs get its kind.
      jobLog().warn(
        { error_name: (error as Error)?.name, error_code: coded, retry_count: job.retryCount, ms: Math.round(performance.now() - started) },
        'job failed',
      );
    } finally {
      lane.running.delete(job.id);
      if (!this.stopping && this.wants(lane) > 0) this.wake([job.type]);
    }
  }

  private async complete(items: { id: string; result: unknown; type: string; seconds: number }[]): Promise<void> {
    await completeJobs(this.queue, this.id, items, this.options.settings.completedRetentionHours > 0);
    this.counts.completed += items.length;
    for (const i of items) this.settled(i.type, 'completed', i.seconds);
  }

  private async fail(items: (FailedAttempt & { type: string; seconds: number })[]): Promise<void> {
    const outcomes = await failJobs(this.queue, this.id, items);
    const types = new Map(items.map((i) => [i.id, i.type]));
    const seconds = new Map(items.map((i) => [i.id, i.seconds]));
    for (const o of outcomes) {
      this.settled(types.get(o.id) ?? 'unknown', o.status === 'failed' ? 'failed' : 'retried', seconds.get(o.id) ?? 0);
      if (o.status === 'failed') {
        this.counts.failed++;
        continue;
      }
      this.counts.retried++;
      // No insert announces a retry: wake up when it falls due instead of at the next poll.
      const type = types.get(o.id);
      if (type) this.wakeAt(o.runAt, type);
    }
  }

  /** A throwing hook must not fail the acknowledgement (ack() would retry and count twice). */
  private settled(type: string, outcome: 'completed' | 'failed' | 'retried', seconds: number): void {
    try {
      this.options.onJobSettled?.(type, outcome, seconds);
    } catch {
      // Metrics are best effort.
    }
  }

  private wakeAt(at: Date, type: string): void {
    const timer = setTimeout(() => this.wake([type]), Math.max(0, at.getTime() - Date.now()) + 5);
    timer.unref();
  }

  private every(ms: number, task: () => unknown): void {
    const timer = setInterval(() => void task(), ms);
    timer.unref();
    this.timers.push(timer);
  }
}
