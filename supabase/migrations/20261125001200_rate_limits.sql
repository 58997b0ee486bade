-- Rate limits shared by every api instance: fixed one-minute windows counted in
-- Postgres. Postgres rather than Redis because it is already there (Render + Supabase
-- need no extra service): each api instance adds its hits every 200 ms in one upsert
-- and reads the shared totals back (src/http/rate-limit.ts). The counters are soft
-- state, so the table is unlogged (cheap writes; a crash merely resets them).
-- Keys are `user:<uuid>`, `ip:<address>`, `upload:<uuid>`; rows older than ten minutes
-- are pruned by the api and the cron job.
create unlogged table private.rate_limits (
  key text not null,
  window_start timestamptz not null,
  hits integer not null,
  primary key (key, window_start)
);
alter table private.rate_limits enable row level security;
revoke all on private.rate_limits from public, anon, authenticated;
grant all on private.rate_limits to service_role;
