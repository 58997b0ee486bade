-- A document's file is named in one canonical form at every layer (issue 12, defect 1):
--
--   <profile id>/<document id>/<file name>
--
-- with lower-case uuids and a file name of safe characters (letters, digits, space and
-- . _ ( ) + , ! ' -, at most 200, never starting with a dot), so no `.` or `..` step,
-- no empty segment, no backslash, no percent-encoding. Until now the documents row only
-- compared the first segment with its profile, and the Storage policies only looked at
-- the first folder: `<own profile>/../<other profile>/<document>/<file>` passed both, and
-- the api's download, the worker's processing and the delete then reached another
-- family's file. src/providers/storage/object-path.ts checks the same form before any
-- file is touched; this migration makes the database refuse such rows and objects.

-- The profile whose folder a canonical object name is in; null for any other name, so
-- the four Storage policies (migration 0300), which all ask this function, refuse it.
create or replace function private.object_profile_id(p_name text) returns uuid
language sql immutable set search_path = '' as $$
  select case
    when p_name ~ ('^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/'
                   '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/'
                   '[A-Za-z0-9_()+,!''-][A-Za-z0-9 ._()+,!''-]{0,199}$')
    then split_part(p_name, '/', 1)::uuid
  end
$$;

-- Whether a document row's storage_path is its own: canonical, in its profile's folder
-- and in its own document folder (so two rows never share a file, and deleting a row
-- removes exactly its file). coalesce: a CHECK passes on null, this must not.
create or replace function private.is_own_document_path(p_path text, p_profile uuid, p_document uuid) returns boolean
language sql immutable set search_path = '' as $$
  select coalesce(private.object_profile_id(p_path) = p_profile and split_part(p_path, '/', 2) = p_document::text, false)
$$;
revoke all on function private.is_own_document_path(text, uuid, uuid) from public;
-- Users insert document rows themselves (supabase-js), so the check runs as them.
grant execute on function private.is_own_document_path(text, uuid, uuid) to authenticated, service_role;

-- Rows written before this migration that fail the check are quarantined, so that the
-- constraint holds for every row (a NOT VALID constraint would still refuse any later
-- update of such a row, leaving it stuck). Such a row could only come from a direct
-- insert (the api always wrote the canonical form), and at worst it is the attack above:
--   - its path is kept for an operator in private.quarantined_document_paths (only the
--     service role reads it: the path may name another family's folder);
--   - the row now names a file that does not exist in its own folder, and is marked
--     failed (storage_path_invalid): it can no longer reach any file, and its owner can
--     still see and delete it;
--   - the records read from it are deleted: they came from a file that was not the
--     profile's (another family's data, or at best unverifiable), and a wrong value is
--     worse than a missing one. The records' own triggers queue the journey's recompute.
create table private.quarantined_document_paths (
  document_id uuid primary key,
  profile_id uuid not null,
  original_path text not null,
  quarantined_at timestamptz not null default now()
);
alter table private.quarantined_document_paths enable row level security;
revoke all on private.quarantined_document_paths from public, anon, authenticated;
grant all on private.quarantined_document_paths to service_role;

do $$
declare
  t text;
  quarantined bigint;
begin
  insert into private.quarantined_document_paths (document_id, profile_id, original_path)
  select d.id, d.profile_id, d.storage_path from public.documents d
  where not private.is_own_document_path(d.storage_path, d.profile_id, d.id);
  get diagnostics quarantined = row_count;
  if quarantined = 0 then
    return;
  end if;
  foreach t in array array['observations', 'medications', 'conditions', 'allergies', 'immunizations', 'encounters', 'procedures']
  loop
    execute format('delete from public.%I r where r.source_document_id in (select q.document_id from private.quarantined_document_paths q)', t);
  end loop;
  update public.documents d
  set storage_path = d.profile_id::text || '/' || d.id::text || '/quarantined',
      status = 'failed', error_code = 'storage_path_invalid',
      error = 'the document named a file outside its own folder; upload it again'
  from private.quarantined_document_paths q
  where q.document_id = d.id;
  raise warning 'documents: % rows named a file that was not their own; quarantined (private.quarantined_document_paths)', quarantined;
end
$$;

alter table public.documents drop constraint documents_path_in_profile_folder;
alter table public.documents add constraint documents_storage_path_is_own
  check (private.is_own_document_path(storage_path, profile_id, id));
