-- The check a kept journey answer must pass before it is served again
-- (src/http/api/journey-statement.ts, CHECK_SQL; the cache is journey-cache.ts), as a
-- function, for one reason: PL/pgSQL keeps the plan of its query per server session.
-- The api prepares its hot statements where it can (a direct connection, a session
-- pooler); through a transaction pooler nothing can be prepared (PgBouncer 1.18 has no
-- prepared statements in transaction mode), and planning this statement, with the row
-- security of profiles and profile_access, cost more than running it: through
-- PgBouncer in transaction mode, ~3,000 checks/s planned every time against ~6,000/s
-- with the plan kept (8 clients, this machine).
--
-- The same statement as before, run as the caller (SECURITY INVOKER), so row-level
-- security decides exactly as it did: no row when the caller may not see the profile.
create function private.journey_check(p_profile uuid)
returns table (version text, access text)
language plpgsql stable security invoker set search_path = '' as $$
begin
  return query
    select private.journey_version(p_profile),
           (select coalesce(string_agg(distinct a.category, ',' order by a.category), '')
              from private.profile_access a
             where a.user_id = (select auth.uid()) and a.profile_id = p_profile
               and (a.expires_at is null or a.expires_at > now()))
      from public.profiles p
     where p.id = p_profile;
end $$;

revoke all on function private.journey_check(uuid) from public;
grant execute on function private.journey_check(uuid) to authenticated;
