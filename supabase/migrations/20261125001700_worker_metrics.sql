-- Job metrics of workers that run in a process of their own.
--
-- On Render the worker is a background worker: it receives no traffic, so nothing can
-- scrape it. Each such worker publishes its job metrics here every 15 s (prom-client's
-- JSON form: metric names, job types, outcomes, bucket counts; never ids or payloads),
-- and the api's GET /metrics sums the rows published in the last minute with its own
-- (src/http/metrics.ts). Unlogged: soft state, rewritten at the next publish; a row of
-- a worker that stopped ages out (counters then drop, which Prometheus reads as a reset).
create unlogged table private.worker_metrics (
  worker_id text primary key,
  published_at timestamptz not null default now(),
  metrics jsonb not null check (jsonb_typeof(metrics) = 'array')
);
alter table private.worker_metrics enable row level security;
revoke all on private.worker_metrics from public, anon, authenticated;
grant all on private.worker_metrics to service_role;
