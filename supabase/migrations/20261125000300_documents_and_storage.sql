-- Uploaded medical documents and the private Storage bucket that holds their files.
-- The file lives at documents/<profile id>/<document id>/<file name>; the row tracks
-- its processing status, which clients watch live through Realtime.

create table public.documents (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  storage_path text not null unique,
  file_name text not null check (char_length(file_name) between 1 and 255),
  media_type text not null check (media_type ~ '^[a-z0-9.+-]+/[a-z0-9.+-]+$'),
  size_bytes bigint not null check (size_bytes >= 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  status text not null default 'uploaded'
    check (status in ('uploaded', 'queued', 'processing', 'processed', 'failed')),
  -- A stable reason code (e.g. 'ocr_no_text') and a readable message when failed.
  error_code text,
  error text,
  uploaded_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  processed_at timestamptz,
  -- A file can only sit under its own profile's folder.
  constraint documents_path_in_profile_folder check (split_part(storage_path, '/', 1) = profile_id::text),
  -- Lets clinical records reference (document, profile) so a record can only cite a
  -- document of its own profile.
  constraint documents_id_profile_key unique (id, profile_id)
);
create index documents_profile_created_idx on public.documents (profile_id, created_at desc);
create index documents_profile_sha256_idx on public.documents (profile_id, sha256);
create trigger documents_touch_updated_at before update on public.documents
  for each row execute function private.touch_updated_at();

revoke all on public.documents from anon, authenticated;
-- A user creates a document as uploaded, by themselves; status, errors and processing
-- times are the worker's (service role) to write.
grant select, delete on public.documents to authenticated;
grant insert (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256) on public.documents to authenticated;
grant update (file_name) on public.documents to authenticated;
grant all on public.documents to service_role;

alter table public.documents enable row level security;
create policy "readers of the profile read its documents" on public.documents
  for select to authenticated using (private.can_read(profile_id, 'documents'));
create policy "owners and managers add documents" on public.documents
  for insert to authenticated with check (private.can_edit(profile_id));
create policy "owners and managers rename documents" on public.documents
  for update to authenticated using (private.can_edit(profile_id)) with check (private.can_edit(profile_id));
create policy "owners and managers delete documents" on public.documents
  for delete to authenticated using (private.can_edit(profile_id));

alter publication supabase_realtime add table public.documents;

-- Storage ------------------------------------------------------------------------
insert into storage.buckets (id, name, public)
values ('documents', 'documents', false)
on conflict (id) do nothing;

-- The profile an object belongs to is its first folder; anything else is nobody's.
create or replace function private.object_profile_id(p_name text) returns uuid
language plpgsql immutable set search_path = '' as $$
declare
  folder text := (storage.foldername(p_name))[1];
begin
  if folder ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return folder::uuid;
  end if;
  return null;
end
$$;
revoke all on function private.object_profile_id(text) from public;
grant execute on function private.object_profile_id(text) to anon, authenticated, service_role;

create policy "guardian documents: readers of the profile read files" on storage.objects
  for select to authenticated
  using (bucket_id = 'documents' and private.can_read(private.object_profile_id(name), 'documents'));
create policy "guardian documents: owners and managers upload files" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'documents' and private.can_edit(private.object_profile_id(name)));
create policy "guardian documents: owners and managers replace files" on storage.objects
  for update to authenticated
  using (bucket_id = 'documents' and private.can_edit(private.object_profile_id(name)))
  with check (bucket_id = 'documents' and private.can_edit(private.object_profile_id(name)));
create policy "guardian documents: owners and managers delete files" on storage.objects
  for delete to authenticated
  using (bucket_id = 'documents' and private.can_edit(private.object_profile_id(name)));
