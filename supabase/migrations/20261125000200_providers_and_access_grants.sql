-- Provider portal: a person grants a provider read access to chosen categories of a
-- profile's record, optionally until a date, and may revoke it. A revoked or expired
-- grant stops access at once because every policy re-checks it (no cached decision).

create table public.providers (
  id uuid primary key default gen_random_uuid(),
  -- The provider's own sign-in; null until they claim the directory entry.
  user_id uuid unique references auth.users (id) on delete set null,
  display_name text not null check (char_length(btrim(display_name)) between 1 and 200),
  organization text,
  -- A registration number (e.g. AHPRA), so people can tell providers apart.
  identifier text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger providers_touch_updated_at before update on public.providers
  for each row execute function private.touch_updated_at();

create table public.access_grants (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  provider_id uuid not null references public.providers (id) on delete cascade,
  -- One category per clinical table (plus documents): what the provider may read.
  categories text[] not null constraint access_grants_categories_known check (
    cardinality(categories) > 0
    and categories <@ array['documents', 'observations', 'medications', 'conditions', 'allergies',
                            'immunizations', 'encounters', 'procedures']::text[]
  ),
  expires_at timestamptz,
  revoked_at timestamptz,
  granted_by uuid not null default auth.uid() references auth.users (id),
  created_at timestamptz not null default now()
);
create index access_grants_profile_id_idx on public.access_grants (profile_id);
create index access_grants_provider_id_idx on public.access_grants (provider_id);

-- A revoked grant is history: it may not be revived or widened (grant anew instead).
create or replace function private.freeze_revoked_grant() returns trigger
language plpgsql set search_path = '' as $$
begin
  if old.revoked_at is not null then
    raise exception 'access grant % was revoked and cannot change; create a new grant', old.id
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;
create trigger access_grants_freeze_revoked before update on public.access_grants
  for each row execute function private.freeze_revoked_grant();

create or replace function private.current_provider_id() returns uuid
language sql stable security definer set search_path = '' as $$
  select p.id from public.providers p where p.user_id = auth.uid()
$$;

-- Does the calling provider hold a live grant on this profile (for this category,
-- or for any category when p_category is null)?
create or replace function private.has_grant(p_profile uuid, p_category text) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1
    from public.access_grants g
    join public.providers p on p.id = g.provider_id
    where p.user_id = auth.uid()
      and g.profile_id = p_profile
      and g.revoked_at is null
      and (g.expires_at is null or g.expires_at > now())
      and (p_category is null or p_category = any (g.categories))
  )
$$;

-- The one read check for profile data: a member, or a provider granted this category.
create or replace function private.can_read(p_profile uuid, p_category text) returns boolean
language sql stable security definer set search_path = '' as $$
  select private.is_member(p_profile) or private.has_grant(p_profile, p_category)
$$;

revoke all on function private.freeze_revoked_grant(), private.current_provider_id(),
  private.has_grant(uuid, text), private.can_read(uuid, text) from public;
grant execute on function private.current_provider_id(), private.has_grant(uuid, text),
  private.can_read(uuid, text) to anon, authenticated, service_role;

revoke all on public.providers, public.access_grants from anon, authenticated;
grant select on public.providers to authenticated;
grant select, insert on public.access_grants to authenticated;
grant update (expires_at, revoked_at) on public.access_grants to authenticated;
grant all on public.providers, public.access_grants to service_role;

alter table public.providers enable row level security;
alter table public.access_grants enable row level security;

-- The directory (names and organisations, no health data) is visible to signed-in
-- users so they can choose whom to grant; providers are registered by the service.
create policy "signed-in users read the provider directory" on public.providers
  for select to authenticated using (true);

create policy "owners and the provider see a grant" on public.access_grants
  for select to authenticated
  using (private.is_owner(profile_id) or provider_id = private.current_provider_id());
create policy "owners grant access" on public.access_grants
  for insert to authenticated
  with check (private.is_owner(profile_id) and granted_by = (select auth.uid()) and revoked_at is null);
create policy "owners change or revoke a grant" on public.access_grants
  for update to authenticated
  using (private.is_owner(profile_id)) with check (private.is_owner(profile_id));

-- A provider with a live grant sees the profile itself (name, birth date), read-only.
create policy "granted providers read the profile" on public.profiles
  for select to authenticated using (private.has_grant(id, null));
