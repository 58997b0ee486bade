-- The durable job queue from the v7 infrastructure guide ("Database Schema
-- Additions"), every column, check, index and policy as written there, extended with
-- what a correct queue needs:
--   run_at        when the job becomes due (retries back off by moving it forward)
--   locked_by     which worker holds the lease
--   locked_until  lease expiry: a crashed worker's job is rescued once it passes
--   dedupe_key    at most one pending job per (type, key), e.g. one journey
--                 recompute per profile however many records a document adds
--   updated_at    last state change, for the operator view
-- NOT NULL is added where the guide's defaults already imply a value.

-- Heartbeats rewrite locked_until (not indexed), so leave room for HOT updates.
create table public.job_queue (
  id uuid primary key default gen_random_uuid(),
  type text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'processing', 'completed', 'failed')),
  priority integer not null default 0,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  completed_at timestamptz,
  error text,
  result jsonb,
  retry_count integer not null default 0,
  max_retries integer not null default 3,
  run_at timestamptz not null default now(),
  locked_by text,
  locked_until timestamptz,
  dedupe_key text,
  updated_at timestamptz not null default now(),
  constraint job_queue_retries_sane check (retry_count >= 0 and max_retries >= 0),
  -- Job types travel in NOTIFY payloads: short names (enqueue() also checks their
  -- shape; a regex here would run on every claim and acknowledgement, ~20% of one).
  constraint job_queue_type_length check (char_length(type) between 1 and 63),
  constraint job_queue_lease_when_processing check (status <> 'processing' or locked_until is not null)
) with (fillfactor = 85);

-- Indexes for efficient polling (as in the guide).
create index idx_queue_status_priority on public.job_queue (status, priority desc, created_at);
create index idx_queue_type_status on public.job_queue (type, status);
-- The claim: due pending jobs of one type, best priority first, oldest first. Without
-- it the planner, lacking statistics right after a bulk enqueue, picks
-- idx_queue_type_status and sorts every pending job on each claim (measured: 100k
-- jobs drained at half speed). Partial, so only inserts and retries write to it:
-- a claim or an acknowledgement leaves the pending state and adds no entry. Every
-- other index on this hot table costs each of a job's three writes, so there are
-- no more (the lease sweep reads processing jobs through the first index).
create index job_queue_claim_idx on public.job_queue (type, priority desc, created_at) where status = 'pending';
-- De-duplication: one pending job per (type, key). Partial, so jobs without a key
-- never touch it.
create unique index job_queue_dedupe_idx on public.job_queue (type, dedupe_key)
  where dedupe_key is not null and status = 'pending';

-- RLS policies: only the service role can access the queue (as in the guide). The
-- API roles also lose their table privileges, so forged claims ("role":
-- "service_role" in a token the database did not verify) reach nothing.
alter table public.job_queue enable row level security;
revoke all on public.job_queue from anon, authenticated;
grant all on public.job_queue to service_role;

create policy "Service role full access" on public.job_queue
  for all to service_role using (auth.jwt() ->> 'role' = 'service_role');
