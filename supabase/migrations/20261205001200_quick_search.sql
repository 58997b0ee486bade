-- Quick search: Postgres full-text search over what a family's documents say (the OCR
-- text of each page), their file names and the records extracted from them, ranked, with
-- highlighted snippets, under the same row-level security as everything else: a member
-- searches the profile's every category, a provider only the categories of a live grant.

-- Each page's text as OCR read it, written by the document pipeline with the records.
create table public.document_pages (
  document_id uuid not null,
  profile_id uuid not null,
  page int not null check (page >= 1),
  body text not null,
  search tsvector generated always as (to_tsvector('english', body)) stored,
  primary key (document_id, page),
  foreign key (document_id, profile_id) references public.documents (id, profile_id) on delete cascade
);
create index document_pages_search_idx on public.document_pages using gin (search);
create index document_pages_profile_idx on public.document_pages (profile_id);

revoke all on public.document_pages from anon, authenticated;
grant select on public.document_pages to authenticated;
grant all on public.document_pages to service_role;
alter table public.document_pages enable row level security;
-- As the documents themselves are read (migration 1600): through private.profile_access.
create policy "readers of the documents category read page text" on public.document_pages
  for select to authenticated
  using (profile_id in (
    select a.profile_id from private.profile_access a
    where a.user_id = (select auth.uid()) and a.category = 'documents'
      and (a.expires_at is null or a.expires_at > now())));

-- What each kind of record is searched by. The query below repeats each expression
-- exactly, so these indexes serve it.
create index documents_name_search_idx on public.documents using gin (to_tsvector('english', file_name));
create index observations_search_idx on public.observations using gin (to_tsvector('english', name));
create index medications_search_idx on public.medications using gin (to_tsvector('english', name));
create index conditions_search_idx on public.conditions using gin (to_tsvector('english', name));
create index allergies_search_idx on public.allergies using gin (to_tsvector('english', substance));
create index immunizations_search_idx on public.immunizations using gin (to_tsvector('english', vaccine));
create index encounters_search_idx on public.encounters
  using gin (to_tsvector('english', coalesce(type, '') || ' ' || coalesce(reason, '') || ' ' || coalesce(facility, '')));
create index procedures_search_idx on public.procedures using gin (to_tsvector('english', name));

-- What a person types, as a query that matches while they type: every word of letters
-- and digits a prefix ("chol" finds cholesterol), all of them required. Anything else is
-- dropped, so no input is a syntax error. Null when nothing searchable is left.
create or replace function private.search_query(p_text text) returns tsquery
language sql immutable set search_path = '' as $$
  select case when count(*) = 0 then null
              else pg_catalog.to_tsquery('english', string_agg(w || ':*', ' & ')) end
  from (select w from pg_catalog.regexp_split_to_table(pg_catalog.lower(left(p_text, 200)), '[^[:alnum:]]+') as w
        where w <> '' limit 8) words;
$$;

-- The caller's profiles whose `category` they may read (as the policies decide it, through
-- private.profile_access), optionally only one. The search narrows each table to these
-- first: a family's rows are a few hundred, where every family's rows matching a common
-- word are tens of thousands, each of which the policies would otherwise have to check.
create or replace function private.searchable_profiles(p_category text, p_profile_id uuid) returns uuid[]
language sql stable set search_path = '' as $$
  select coalesce(array_agg(a.profile_id), '{}')
  from private.profile_access a
  where a.user_id = (select auth.uid()) and a.category = p_category
    and (a.expires_at is null or a.expires_at > now())
    and (p_profile_id is null or a.profile_id = p_profile_id);
$$;
revoke all on function private.searchable_profiles(text, uuid) from public, anon;
grant execute on function private.searchable_profiles(text, uuid) to authenticated, service_role;

-- The search, as the caller (security invoker): every table's own policies still decide
-- what is found. Ranked first, then snippets for the best p_limit only: ts_headline
-- re-parses the text, the costliest step. Matches are marked with U+0002 … U+0003,
-- characters no document text carries (they are removed from it first); the api turns
-- them into parts.
create or replace function public.quick_search(p_query text, p_profile_id uuid default null, p_limit int default 20)
returns table (kind text, id uuid, profile_id uuid, document_id uuid, page int, title text, snippet text, rank real)
language plpgsql stable security invoker set search_path = '' as $$
declare
  q tsquery := private.search_query(p_query);
  n int := greatest(1, least(coalesce(p_limit, 20), 50));
  v_documents uuid[] := private.searchable_profiles('documents', p_profile_id);
begin
  if q is null or pg_catalog.numnode(q) = 0 then
    return;
  end if;
  return query
  with hits as (
    (select 'document'::text as kind, d.id, d.profile_id, d.id as document_id, null::int as page, d.file_name as title, d.file_name as body,
            ts_rank(to_tsvector('english', d.file_name), q) * 2 as rank
       from public.documents d
      where d.profile_id = any (v_documents) and to_tsvector('english', d.file_name) @@ q
      order by 8 desc limit n)
    union all
    (select 'page', p.document_id, p.profile_id, p.document_id, p.page, d.file_name, p.body, ts_rank(p.search, q)
       from public.document_pages p join public.documents d on d.id = p.document_id
      where p.profile_id = any (v_documents) and p.search @@ q
      order by 8 desc limit n)
    union all
    (select 'observation', o.id, o.profile_id, o.source_document_id, o.source_page, o.name, coalesce(o.source_text, o.name),
            ts_rank(to_tsvector('english', o.name), q) * 3
       from public.observations o
      where o.profile_id = any (private.searchable_profiles('observations', p_profile_id)) and to_tsvector('english', o.name) @@ q
      order by 8 desc limit n)
    union all
    (select 'medication', m.id, m.profile_id, m.source_document_id, m.source_page, m.name, coalesce(m.source_text, m.name),
            ts_rank(to_tsvector('english', m.name), q) * 3
       from public.medications m
      where m.profile_id = any (private.searchable_profiles('medications', p_profile_id)) and to_tsvector('english', m.name) @@ q
      order by 8 desc limit n)
    union all
    (select 'condition', c.id, c.profile_id, c.source_document_id, c.source_page, c.name, coalesce(c.source_text, c.name),
            ts_rank(to_tsvector('english', c.name), q) * 3
       from public.conditions c
      where c.profile_id = any (private.searchable_profiles('conditions', p_profile_id)) and to_tsvector('english', c.name) @@ q
      order by 8 desc limit n)
    union all
    (select 'allergy', a.id, a.profile_id, a.source_document_id, a.source_page, a.substance, coalesce(a.source_text, a.substance),
            ts_rank(to_tsvector('english', a.substance), q) * 3
       from public.allergies a
      where a.profile_id = any (private.searchable_profiles('allergies', p_profile_id)) and to_tsvector('english', a.substance) @@ q
      order by 8 desc limit n)
    union all
    (select 'immunization', i.id, i.profile_id, i.source_document_id, i.source_page, i.vaccine, coalesce(i.source_text, i.vaccine),
            ts_rank(to_tsvector('english', i.vaccine), q) * 3
       from public.immunizations i
      where i.profile_id = any (private.searchable_profiles('immunizations', p_profile_id)) and to_tsvector('english', i.vaccine) @@ q
      order by 8 desc limit n)
    union all
    (select 'encounter', e.id, e.profile_id, e.source_document_id, e.source_page, coalesce(e.type, e.reason, e.facility, 'encounter'), coalesce(e.source_text, coalesce(e.type, '') || ' ' || coalesce(e.reason, '') || ' ' || coalesce(e.facility, '')),
            ts_rank(to_tsvector('english', coalesce(e.type, '') || ' ' || coalesce(e.reason, '') || ' ' || coalesce(e.facility, '')), q) * 3
       from public.encounters e
      where e.profile_id = any (private.searchable_profiles('encounters', p_profile_id)) and to_tsvector('english', coalesce(e.type, '') || ' ' || coalesce(e.reason, '') || ' ' || coalesce(e.facility, '')) @@ q
      order by 8 desc limit n)
    union all
    (select 'procedure', r.id, r.profile_id, r.source_document_id, r.source_page, r.name, coalesce(r.source_text, r.name),
            ts_rank(to_tsvector('english', r.name), q) * 3
       from public.procedures r
      where r.profile_id = any (private.searchable_profiles('procedures', p_profile_id)) and to_tsvector('english', r.name) @@ q
      order by 8 desc limit n)
  ),
  best as (select * from hits h order by h.rank desc, h.kind, h.id limit n)
  select b.kind, b.id, b.profile_id, b.document_id, b.page, b.title,
         ts_headline('english', translate(b.body, E'\x02\x03', ''), q,
                     E'StartSel=\x02, StopSel=\x03, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'),
         b.rank::real
    from best b
   order by b.rank desc, b.kind, b.id;
end $$;
revoke all on function public.quick_search(text, uuid, int) from public, anon;
grant execute on function public.quick_search(text, uuid, int) to authenticated, service_role;
revoke all on function private.search_query(text) from public, anon;
grant execute on function private.search_query(text) to authenticated, service_role;
