-- Every upload path queues its document at once. Through the api, the api queues it;
-- a client may also upload straight to Storage and insert the document row itself (the
-- policies allow both for a profile it manages), in either order. Whichever of the two
-- arrives second queues the document, in its own transaction, so its job exists as
-- soon as both halves do, not when the stranded-upload sweep next looks (minutes).
--
-- private.queue_upload is the one place an upload becomes `queued`, and
-- private.enqueue_processing the one definition of its job: the api, the sweep and
-- re-analysis call them too (src/consumers/documents/lifecycle.ts).

-- A document's process_document job. Keyed by the document: a job already waiting for it
-- is not doubled.
create or replace function private.enqueue_processing(p_document_id uuid, out job_id uuid, out deduplicated boolean)
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.job_queue (type, payload, dedupe_key)
  values ('process_document', jsonb_build_object('document_id', p_document_id), p_document_id::text)
  on conflict (type, dedupe_key) where dedupe_key is not null and status = 'pending' do nothing
  returning id into job_id;
  deduplicated := job_id is null;
  if deduplicated then
    select q.id into job_id from public.job_queue q
     where q.type = 'process_document' and q.dedupe_key = p_document_id::text and q.status = 'pending';
  end if;
end $$;
revoke all on function private.enqueue_processing(uuid) from public, anon, authenticated;
grant execute on function private.enqueue_processing(uuid) to service_role;

create or replace function private.queue_upload(p_document_id uuid) returns boolean
language plpgsql security definer set search_path = '' as $$
begin
  update public.documents set status = 'queued' where id = p_document_id and status = 'uploaded';
  if not found then
    return false;
  end if;
  perform private.enqueue_processing(p_document_id);
  return true;
end $$;
revoke all on function private.queue_upload(uuid) from public, anon, authenticated;
grant execute on function private.queue_upload(uuid) to service_role;

-- The row arrives second: its file is already in the bucket.
create or replace function private.queue_upload_if_stored() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if exists (select 1 from storage.objects o where o.bucket_id = 'documents' and o.name = new.storage_path) then
    perform private.queue_upload(new.id);
  end if;
  return null;
end $$;
revoke all on function private.queue_upload_if_stored() from public, anon, authenticated;

create trigger documents_queue_if_stored after insert on public.documents
  for each row when (new.status = 'uploaded') execute function private.queue_upload_if_stored();

-- The file arrives second: Storage inserts its object row once the upload is complete.
create or replace function private.queue_upload_of_object() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_document uuid;
begin
  select d.id into v_document from public.documents d where d.storage_path = new.name and d.status = 'uploaded';
  if found then
    perform private.queue_upload(v_document);
  end if;
  return null;
end $$;
revoke all on function private.queue_upload_of_object() from public, anon, authenticated;

-- storage.objects belongs to Supabase's storage service. Where the migrating role may not
-- add a trigger to it, a file that arrives after its row is queued by the
-- enqueue-document Edge Function the client calls, or by the sweep.
do $$
begin
  create trigger guardian_queue_upload_of_object after insert on storage.objects
    for each row when (new.bucket_id = 'documents') execute function private.queue_upload_of_object();
exception when insufficient_privilege then
  raise notice 'storage.objects: no trigger permitted here; uploads whose file arrives after their row are queued by the enqueue-document function or the stranded-upload sweep';
end $$;
