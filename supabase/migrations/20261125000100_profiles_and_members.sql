-- Profiles (the people whose records Guardian keeps) and who may manage them.
--
-- A signed-in user owns profiles (self, a child, a parent) and may share one with
-- other users as manager (reads and writes) or viewer (reads only), so two parents
-- can manage one child. Access is decided by RLS alone, through the helper
-- functions in schema `private` (security definer, so policies on profile_members
-- do not recurse into themselves).

create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;

create or replace function private.touch_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create table public.profiles (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  display_name text not null check (char_length(btrim(display_name)) between 1 and 200),
  birth_date date check (birth_date >= date '1880-01-01'),
  -- FHIR administrative gender
  sex text not null default 'unknown' check (sex in ('female', 'male', 'other', 'unknown')),
  relationship text not null check (relationship in ('self', 'child', 'parent', 'partner', 'other')),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index profiles_owner_id_idx on public.profiles (owner_id);
create trigger profiles_touch_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();

create table public.profile_members (
  profile_id uuid not null references public.profiles (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('owner', 'manager', 'viewer')),
  added_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  primary key (profile_id, user_id)
);
create index profile_members_user_id_idx on public.profile_members (user_id);
create unique index profile_members_one_owner_idx on public.profile_members (profile_id) where role = 'owner';

-- The owner is a member like any other, so every access check reads one table.
create or replace function private.add_owner_membership() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profile_members (profile_id, user_id, role, added_by)
  values (new.id, new.owner_id, 'owner', new.owner_id);
  return new;
end
$$;
create trigger profiles_add_owner_membership after insert on public.profiles
  for each row execute function private.add_owner_membership();

-- Access helpers. Security definer: they read profile_members whatever the caller's
-- policies on it; `search_path = ''` so no caller-created object can shadow them.
create or replace function private.member_role(p_profile uuid) returns text
language sql stable security definer set search_path = '' as $$
  select m.role from public.profile_members m
  where m.profile_id = p_profile and m.user_id = auth.uid()
$$;

create or replace function private.is_member(p_profile uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select private.member_role(p_profile) is not null
$$;

create or replace function private.can_edit(p_profile uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce(private.member_role(p_profile) in ('owner', 'manager'), false)
$$;

create or replace function private.is_owner(p_profile uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce(private.member_role(p_profile) = 'owner', false)
$$;

revoke all on all functions in schema private from public;
grant execute on function private.member_role(uuid), private.is_member(uuid), private.can_edit(uuid),
  private.is_owner(uuid) to anon, authenticated, service_role;

-- Least privilege: Supabase grants every table in public to anon and authenticated by
-- default; take that back and give each role only what its policies need.
revoke all on public.profiles, public.profile_members from anon, authenticated;
grant select, insert on public.profiles to authenticated;
grant update (display_name, birth_date, sex, relationship, archived_at) on public.profiles to authenticated;
grant select, insert, delete on public.profile_members to authenticated;
grant update (role) on public.profile_members to authenticated;
grant all on public.profiles, public.profile_members to service_role;

alter table public.profiles enable row level security;
alter table public.profile_members enable row level security;

-- owner_id as well as membership: `insert … returning` checks this policy before the
-- owner's membership row (added by the after-insert trigger) is visible.
create policy "members read their profiles" on public.profiles
  for select to authenticated using (owner_id = (select auth.uid()) or private.is_member(id));
create policy "users create profiles they own" on public.profiles
  for insert to authenticated with check (owner_id = (select auth.uid()));
create policy "owners and managers edit profiles" on public.profiles
  for update to authenticated using (private.can_edit(id)) with check (private.can_edit(id));

create policy "members see who shares the profile" on public.profile_members
  for select to authenticated using (private.is_member(profile_id));
create policy "owners add managers and viewers" on public.profile_members
  for insert to authenticated
  with check (private.is_owner(profile_id) and role <> 'owner' and added_by = (select auth.uid()));
create policy "owners change managers and viewers" on public.profile_members
  for update to authenticated
  using (private.is_owner(profile_id) and role <> 'owner')
  with check (private.is_owner(profile_id) and role <> 'owner');
create policy "owners remove members, members leave" on public.profile_members
  for delete to authenticated
  using (role <> 'owner' and (private.is_owner(profile_id) or user_id = (select auth.uid())));
