-- The audit trail ("all Render operations logged to Supabase"): who read or changed
-- what, on which profile, under which request, with what outcome. Append-only for
-- every role: no UPDATE or DELETE privilege is granted, and triggers refuse both (and
-- TRUNCATE) even for the table owner and the service role, which bypass RLS.
-- Rows hold ids and codes only, never health data.

create table public.audit_log (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  actor_user_id uuid default auth.uid(),
  actor_kind text not null check (actor_kind in ('user', 'provider', 'service', 'system')),
  provider_id uuid,
  -- No foreign key: the trail outlives the profile it describes.
  profile_id uuid,
  action text not null check (action ~ '^[a-z_]+(\.[a-z_]+)*$'),
  resource_type text,
  resource_id text,
  request_id text,
  outcome text not null check (outcome in ('success', 'denied', 'error')),
  details jsonb not null default '{}'::jsonb
);
create index audit_log_profile_time_idx on public.audit_log (profile_id, occurred_at desc);
create index audit_log_actor_time_idx on public.audit_log (actor_user_id, occurred_at desc);

create or replace function private.refuse_audit_change() returns trigger
language plpgsql set search_path = '' as $$
begin
  raise exception 'audit_log is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_no_update_delete before update or delete on public.audit_log
  for each row execute function private.refuse_audit_change();
create trigger audit_log_no_truncate before truncate on public.audit_log
  for each statement execute function private.refuse_audit_change();
revoke all on function private.refuse_audit_change() from public;

revoke all on public.audit_log from anon, authenticated, service_role;
grant select, insert on public.audit_log to authenticated, service_role;

alter table public.audit_log enable row level security;
create policy "owners read who accessed their profile" on public.audit_log
  for select to authenticated using (private.is_owner(profile_id));
-- A user may only record what they did themselves, as themselves, about a profile
-- they can reach: no entries in someone else's trail, no posing as the service or as
-- another provider. The api writes most entries as the service role.
create policy "users append their own entries" on public.audit_log
  for insert to authenticated with check (
    actor_user_id = (select auth.uid())
    and (
      (actor_kind = 'user' and provider_id is null)
      or (actor_kind = 'provider' and provider_id = private.current_provider_id())
    )
    and (profile_id is null or private.is_member(profile_id) or private.has_grant(profile_id, null))
  );
