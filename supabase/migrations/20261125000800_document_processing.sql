-- Document processing state the client watches: progress through long documents,
-- and the earlier upload a byte-identical document duplicates (not extracted twice).

alter table public.documents
  add column pages_total integer check (pages_total >= 0),
  add column pages_done integer check (pages_done >= 0),
  add column duplicate_of uuid references public.documents (id) on delete set null;

-- Finding an earlier identical upload on the profile uses documents_profile_sha256_idx.
comment on column public.documents.duplicate_of is
  'An earlier document of the same profile with the same sha256; this one was not extracted again.';
