-- Clinical decision support: rules are data (cds_rules), their findings are alerts
-- (cds_alerts) that clients watch live. The `evaluate_rules` consumer re-evaluates a
-- profile after each clinical change and on a daily sweep; an alert is keyed by a
-- stable fingerprint, so re-evaluation updates it in place, and it resolves itself
-- when its condition no longer holds. People acknowledge or dismiss alerts; neither
-- deletes them.

create table public.cds_rules (
  id uuid primary key default gen_random_uuid(),
  key text not null unique check (key ~ '^[a-z0-9][a-z0-9._-]{2,80}$'),
  kind text not null check (kind in ('drug_interaction', 'drug_allergy', 'lab_out_of_range', 'lab_trend',
                                     'overdue_immunization', 'duplicate_therapy', 'fhirpath')),
  title text not null,
  description text,
  params jsonb not null default '{}' check (jsonb_typeof(params) = 'object'),
  severity text not null check (severity in ('info', 'warning', 'critical')),
  enabled boolean not null default true,
  -- Where the rule comes from (CDS Hooks card `source`): a label and a link.
  source_label text not null,
  source_url text,
  -- Rules that can fire without any data change (an immunisation falls due) are
  -- re-evaluated by the daily sweep.
  time_based boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger cds_rules_touch_updated_at before update on public.cds_rules
  for each row execute function private.touch_updated_at();

create table public.cds_alerts (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  rule_id uuid not null references public.cds_rules (id) on delete cascade,
  -- sha256 of the rule key and what the finding is about (e.g. the two drugs' names),
  -- not of record ids: a re-extracted document keeps its alerts.
  fingerprint text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  status text not null default 'open' check (status in ('open', 'acknowledged', 'dismissed', 'resolved')),
  severity text not null check (severity in ('info', 'warning', 'critical')),
  summary text not null check (char_length(summary) between 1 and 140),
  detail text,
  -- The access-grant categories the finding draws on: a provider sees the alert only
  -- with a grant for each.
  categories text[] not null check (cardinality(categories) > 0),
  evidence jsonb not null default '[]',   -- [{"table": "medications", "id": "…"}]
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  resolved_at timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by uuid references auth.users (id) on delete set null,
  dismissed_at timestamptz,
  dismissed_by uuid references auth.users (id) on delete set null,
  dismiss_reason text check (char_length(dismiss_reason) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (profile_id, fingerprint)
);
create index cds_alerts_profile_live_idx on public.cds_alerts (profile_id) where status in ('open', 'acknowledged');
create index cds_alerts_rule_id_idx on public.cds_alerts (rule_id);
create trigger cds_alerts_touch_updated_at before update on public.cds_alerts
  for each row execute function private.touch_updated_at();

-- What a person may do to an alert: acknowledge it or dismiss it (with a reason), once
-- it is live. Who and when are stamped here, not taken from the client. The worker
-- (service role, or the database owner) manages every other transition.
create or replace function private.guard_alert_update() returns trigger
language plpgsql set search_path = '' as $$
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if old.status not in ('open', 'acknowledged') or new.status not in ('acknowledged', 'dismissed') then
    raise exception 'an alert that is % cannot become %', old.status, new.status
      using errcode = 'check_violation';
  end if;
  if new.status = 'acknowledged' then
    new.acknowledged_at := now();
    new.acknowledged_by := auth.uid();
    new.dismiss_reason := old.dismiss_reason;
  else
    new.dismissed_at := now();
    new.dismissed_by := auth.uid();
  end if;
  return new;
end
$$;
revoke all on function private.guard_alert_update() from public;
create trigger cds_alerts_guard_update before update on public.cds_alerts
  for each row execute function private.guard_alert_update();

revoke all on public.cds_rules, public.cds_alerts from anon, authenticated;
grant select on public.cds_rules to authenticated;
grant select on public.cds_alerts to authenticated;
grant update (status, dismiss_reason) on public.cds_alerts to authenticated;
grant all on public.cds_rules, public.cds_alerts to service_role;

alter table public.cds_rules enable row level security;
alter table public.cds_alerts enable row level security;

-- The rule catalogue holds no health data; signed-in users may read it (to explain
-- an alert's source).
create policy "signed-in users read the rule catalogue" on public.cds_rules
  for select to authenticated using (true);
create policy "readers of every category an alert draws on read it" on public.cds_alerts
  for select to authenticated using (private.can_read_all(profile_id, categories));
create policy "owners and managers acknowledge or dismiss alerts" on public.cds_alerts
  for update to authenticated
  using (private.can_edit(profile_id)) with check (private.can_edit(profile_id));

alter publication supabase_realtime add table public.cds_alerts;

-- Time-based rules need a sweep that runs once a day whatever the cron cadence: the
-- cron job claims the day here first (a second run the same day finds it taken).
create table private.sweep_runs (
  name text not null,
  period date not null,
  started_at timestamptz not null default now(),
  primary key (name, period)
);
alter table private.sweep_runs enable row level security;
revoke all on private.sweep_runs from public, anon, authenticated;
grant all on private.sweep_runs to service_role;
