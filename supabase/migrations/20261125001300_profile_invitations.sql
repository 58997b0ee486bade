-- Inviting someone to help manage a profile: the owner invites an email address with
-- a role; the person with that (verified) email accepts once signed in. Invitations do
-- not reveal whether an email has an account, and expire after 14 days.
create table public.profile_invitations (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  email text not null check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+$' and char_length(email) <= 320),
  role text not null check (role in ('manager', 'viewer')),
  invited_by uuid not null default auth.uid() references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '14 days',
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null
);
create unique index profile_invitations_open_idx on public.profile_invitations (profile_id, email) where accepted_at is null;
create index profile_invitations_email_idx on public.profile_invitations (email) where accepted_at is null;

revoke all on public.profile_invitations from anon, authenticated;
grant select, insert, delete on public.profile_invitations to authenticated;
-- Re-inviting the same address renews the open invitation (insert … on conflict do update).
grant update (role, expires_at) on public.profile_invitations to authenticated;
grant all on public.profile_invitations to service_role;
alter table public.profile_invitations enable row level security;

create policy "owners and invitees see invitations" on public.profile_invitations
  for select to authenticated
  using (private.is_owner(profile_id) or email = lower(coalesce((select auth.jwt()) ->> 'email', '')));
create policy "owners invite" on public.profile_invitations
  for insert to authenticated
  with check (private.is_owner(profile_id) and invited_by = (select auth.uid()) and accepted_at is null);
create policy "owners renew open invitations" on public.profile_invitations
  for update to authenticated
  using (private.is_owner(profile_id) and accepted_at is null)
  with check (private.is_owner(profile_id) and accepted_at is null);
create policy "owners withdraw invitations" on public.profile_invitations
  for delete to authenticated using (private.is_owner(profile_id) and accepted_at is null);

-- Accepting: the caller's email must be the invited one; adds the membership (the
-- membership insert policy is for owners, so this runs as definer) and stamps it.
create or replace function public.accept_profile_invitation(p_invitation uuid) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  invite public.profile_invitations;
begin
  select * into invite from public.profile_invitations i
  where i.id = p_invitation and i.accepted_at is null and i.expires_at > now()
    and i.email = lower(coalesce(auth.jwt() ->> 'email', ''))
  for update;
  if invite.id is null then
    raise exception 'no open invitation % for this account', p_invitation using errcode = 'no_data_found';
  end if;
  insert into public.profile_members (profile_id, user_id, role, added_by)
  values (invite.profile_id, auth.uid(), invite.role, invite.invited_by)
  on conflict (profile_id, user_id) do nothing;
  update public.profile_invitations set accepted_at = now(), accepted_by = auth.uid() where id = invite.id;
  return invite.profile_id;
end
$$;
revoke all on function public.accept_profile_invitation(uuid) from public, anon;
grant execute on function public.accept_profile_invitation(uuid) to authenticated;
