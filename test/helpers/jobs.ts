/**
 * Job-queue test helpers: fast settings, a table that records every handler run,
 * and a consumer whose behaviour the payload chooses.
 */
import type pg from 'pg';
import { z } from 'zod';
import type { JobSettings } from '../../src/config.js';
import { defineConsumer, type Consumer } from '../../src/events/consumer.js';

export function testSettings(overrides: Partial<JobSettings> = {}): JobSettings {
  return {
    leaseMs: 30_000,
    // Tests that prove wake-ups come from NOTIFY or the reconnect catch-up set this far out.
    pollIntervalMs: 500,
    claimBatchSize: 50,
    defaultConcurrency: 4,
    shutdownGraceMs: 5000,
    completedRetentionHours: 24,
    failedRetentionDays: 30,
    ...overrides,
  };
}

/** test_runs: one row per handler start; test_effects: the job's effect, written idempotently. */
export async function createRunTables(pool: pg.Pool): Promise<void> {
  await pool.query(`
    create table if not exists public.test_runs (
      job_id uuid not null, worker text, key text,
      started_at timestamptz not null default clock_timestamp(), finished_at timestamptz);
    create table if not exists public.test_effects (job_id uuid primary key, effect_count int not null default 1);
  `);
}

export const testPayload = z.object({
  kind: z.enum(['ok', 'sleep', 'poison', 'throw_string']).default('ok'),
  ms: z.number().int().nonnegative().default(0),
  key: z.string().optional(),
});
export type TestPayload = z.infer<typeof testPayload>;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Records its start, sleeps or fails as told, then writes its effect with
 * `on conflict do nothing`: like every real consumer, running twice changes nothing.
 */
export function recordingConsumer(
  pool: pg.Pool,
  options: { type?: string; concurrency?: number; workerName?: string; ordered?: boolean; backoffBaseMs?: number; honourAbort?: boolean } = {},
): Consumer {
  return defineConsumer<TestPayload>({
    type: options.type ?? 'test_job',
    concurrency: options.concurrency ?? 4,
    payload: testPayload,
    backoff: { baseMs: options.backoffBaseMs ?? 20, maxMs: 10_000 },
    ...(options.ordered ? { orderingKey: (job) => job.payload.key } : {}),
    async handle(job, { signal }) {
      const { rows } = await pool.query<{ ctid: string }>(
        `insert into public.test_runs (job_id, worker, key) values ($1::uuid, $2::text, $3::text) returning ctid::text`,
        [job.id, options.workerName ?? 'w', job.payload.key ?? null],
      );
      if (job.payload.kind === 'poison') throw new Error('poison pill: this job always fails');
      if (job.payload.kind === 'throw_string') throw 'not an Error object';
      if (job.payload.ms > 0) await sleep(job.payload.ms, options.honourAbort === false ? undefined : signal);
      await pool.query(`update public.test_runs set finished_at = clock_timestamp() where ctid = $1::tid`, [rows[0]!.ctid]);
      await pool.query(`insert into public.test_effects (job_id) values ($1::uuid) on conflict do nothing`, [job.id]);
      return { ok: true };
    },
  });
}

export async function jobStatuses(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    `select status, count(*)::int as n from public.job_queue group by status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
