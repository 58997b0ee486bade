-- Clinical records, documents and alerts are read through private.profile_access, like
-- the journey tables (migration 0900), instead of per-row calls to private.can_read().
--
-- Same rule as before: a member of the profile reads every category; a provider reads
-- the categories of a live grant (not revoked, not expired; expiry checked when read).
-- Security-definer functions are not inlined, so the old policies cost one call per
-- row considered (~47 µs for a member, ~180 µs for a provider: two function calls and
-- their lookups); the subquery below is computed once per query and hashed. Measured
-- on a profile with 10,000 observations, as the caller, on this 2-core machine:
--   count(*)                    member 471 ms → 1.9 ms   provider 1,787 ms → 2.1 ms
--   newest 50 (order by date)   member 530 ms → 2.9 ms   provider 1,309 ms → 3.2 ms
-- `npm run bench:rls` prints the current figures beside the same reads without RLS.

do $$
declare
  t text;
begin
  foreach t in array array['observations', 'medications', 'conditions', 'allergies', 'immunizations', 'encounters', 'procedures', 'documents']
  loop
    if t = 'documents' then
      execute 'drop policy "readers of the profile read its documents" on public.documents';
    else
      execute format('drop policy %I on public.%I', 'readers of the profile read ' || t, t);
    end if;
    execute format(
      $ddl$create policy %I on public.%I for select to authenticated
             using (profile_id in (
               select a.profile_id from private.profile_access a
               where a.user_id = (select auth.uid()) and a.category = %L
                 and (a.expires_at is null or a.expires_at > now())))$ddl$,
      'readers of the category read ' || t, t, t);
  end loop;
end
$$;

-- An alert is read by those who may read every category it draws on.
drop policy "readers of every category an alert draws on read it" on public.cds_alerts;
create policy "readers of every category an alert draws on read it" on public.cds_alerts
  for select to authenticated
  using (categories <@ array(
    select a.category from private.profile_access a
    where a.user_id = (select auth.uid()) and a.profile_id = cds_alerts.profile_id
      and (a.expires_at is null or a.expires_at > now())));

-- Everything above now trusts private.profile_access, so its upkeep must hold under
-- concurrency. A refresh deletes and re-inserts a profile's rows; under READ COMMITTED
-- two refreshes of one profile could interleave (one adding a member while another
-- revokes a grant) and leave the revoked grant's rows behind: the delete of the second
-- skipped rows the first had just re-inserted but not committed. Refreshes of a profile
-- are now serialised by a transaction-level advisory lock per profile, taken in id order
-- (no deadlock between refreshes of several profiles); as this function is volatile,
-- each statement after the lock reads with a fresh snapshot, so it sees what the other
-- transaction committed.
create or replace function private.refresh_profile_access(p_profiles uuid[]) returns void
language sql security definer set search_path = '' as $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('guardian.profile_access:' || x.id::text, 0))
  from (select distinct p.id from unnest(p_profiles) as p(id) where p.id is not null order by p.id) x;
  delete from private.profile_access a where a.profile_id = any (p_profiles);
  insert into private.profile_access (user_id, profile_id, category, source, expires_at)
  select m.user_id, m.profile_id, c.category, 'member', null
  from public.profile_members m
  cross join unnest(array['documents', 'observations', 'medications', 'conditions', 'allergies',
                          'immunizations', 'encounters', 'procedures']) as c(category)
  where m.profile_id = any (p_profiles)
  union all
  select p.user_id, g.profile_id, c.category, g.id::text, g.expires_at
  from public.access_grants g
  join public.providers p on p.id = g.provider_id and p.user_id is not null
  cross join unnest(g.categories) as c(category)
  where g.profile_id = any (p_profiles) and g.revoked_at is null
  on conflict do nothing;
$$;
revoke all on function private.refresh_profile_access(uuid[]) from public;
