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

-- What is searched, one row per document name, page and record: title, body for the
-- snippet, the category whose readers may find it, and the words it is found by (a
-- record by its name, a page by its text). One definition, used to fill the index below
-- and to keep it current.
create view private.search_source as
  select 'document'::text as kind, d.id, 0 as page, d.profile_id, 'documents'::text as category, d.id as document_id,
         d.file_name as title, d.file_name as body, 2::real as weight, to_tsvector('english', d.file_name) as search
    from public.documents d
  union all
  select 'page', p.document_id, p.page, p.profile_id, 'documents', p.document_id, d.file_name, p.body, 1, p.search
    from public.document_pages p join public.documents d on d.id = p.document_id
  union all
  select 'observation', o.id, 0, o.profile_id, 'observations', o.source_document_id, o.name, coalesce(o.source_text, o.name), 3,
         to_tsvector('english', o.name)
    from public.observations o
  union all
  select 'medication', m.id, 0, m.profile_id, 'medications', m.source_document_id, m.name, coalesce(m.source_text, m.name), 3,
         to_tsvector('english', m.name)
    from public.medications m
  union all
  select 'condition', c.id, 0, c.profile_id, 'conditions', c.source_document_id, c.name, coalesce(c.source_text, c.name), 3,
         to_tsvector('english', c.name)
    from public.conditions c
  union all
  select 'allergy', a.id, 0, a.profile_id, 'allergies', a.source_document_id, a.substance, coalesce(a.source_text, a.substance), 3,
         to_tsvector('english', a.substance)
    from public.allergies a
  union all
  select 'immunization', i.id, 0, i.profile_id, 'immunizations', i.source_document_id, i.vaccine, coalesce(i.source_text, i.vaccine), 3,
         to_tsvector('english', i.vaccine)
    from public.immunizations i
  union all
  select 'encounter', e.id, 0, e.profile_id, 'encounters', e.source_document_id, coalesce(e.type, e.reason, e.facility, 'encounter'),
         coalesce(e.source_text, concat_ws(' ', e.type, e.reason, e.facility)), 3, to_tsvector('english', concat_ws(' ', e.type, e.reason, e.facility))
    from public.encounters e
  union all
  select 'procedure', r.id, 0, r.profile_id, 'procedures', r.source_document_id, r.name, coalesce(r.source_text, r.name), 3,
         to_tsvector('english', r.name)
    from public.procedures r;
revoke all on private.search_source from public, anon, authenticated;

-- The index quick search reads: one table, so a search is one index scan over the
-- caller's profiles instead of one per kind (measured: a third of the time). Kept
-- current by statement-level triggers on every source table, in the writing
-- transaction, so what is found is what is committed.
create table private.search_entries (
  kind text not null,
  id uuid not null,
  page int not null,
  profile_id uuid not null references public.profiles (id) on delete cascade,
  category text not null,
  document_id uuid,
  title text not null,
  body text not null,
  weight real not null,
  search tsvector not null,
  primary key (kind, id, page)
);
create index search_entries_profile_idx on private.search_entries (profile_id);
create index search_entries_search_idx on private.search_entries using gin (search);
revoke all on private.search_entries from public, anon, authenticated;
grant select on private.search_entries to authenticated;
grant all on private.search_entries to service_role;
alter table private.search_entries enable row level security;
-- Found by whoever may read its category of its profile, as the source rows are read.
create policy "readers of the category find it" on private.search_entries
  for select to authenticated
  using ((profile_id, category) in (
    select a.profile_id, a.category from private.profile_access a
    where a.user_id = (select auth.uid()) and (a.expires_at is null or a.expires_at > now())));

create or replace function private.sync_search_entries() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_kind text := tg_argv[0];
begin
  if tg_op in ('UPDATE', 'DELETE') then
    if v_kind = 'page' then
      delete from private.search_entries e using old_rows o where e.kind = 'page' and e.id = o.document_id and e.page = o.page;
    else
      delete from private.search_entries e using old_rows o where e.kind = v_kind and e.id = o.id;
    end if;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    if v_kind = 'page' then
      insert into private.search_entries
      select s.* from private.search_source s join new_rows n on s.id = n.document_id and s.page = n.page where s.kind = 'page'
      on conflict (kind, id, page) do update set title = excluded.title, body = excluded.body, search = excluded.search;
    else
      insert into private.search_entries
      select s.* from private.search_source s where s.kind = v_kind and s.id in (select n.id from new_rows n)
      on conflict (kind, id, page) do update
        set profile_id = excluded.profile_id, document_id = excluded.document_id, title = excluded.title,
            body = excluded.body, search = excluded.search;
      -- A renamed document's pages carry its name as their title.
      if v_kind = 'document' and tg_op = 'UPDATE' then
        update private.search_entries e set title = n.file_name
          from new_rows n where e.kind = 'page' and e.id = n.id and e.title is distinct from n.file_name;
      end if;
    end if;
  end if;
  return null;
end $$;
revoke all on function private.sync_search_entries() from public, anon, authenticated;

do $$
declare
  source record;
  op text;
begin
  for source in select * from (values ('documents', 'document'), ('document_pages', 'page'), ('observations', 'observation'),
                                      ('medications', 'medication'), ('conditions', 'condition'), ('allergies', 'allergy'),
                                      ('immunizations', 'immunization'), ('encounters', 'encounter'), ('procedures', 'procedure')) as t(tab, kind)
  loop
    -- Transition tables allow one event per trigger.
    foreach op in array array['insert', 'update', 'delete'] loop
      execute format(
        'create trigger %I after %s on public.%I referencing %s for each statement execute function private.sync_search_entries(%L)',
        source.tab || '_search_' || op, op, source.tab,
        case op when 'insert' then 'new table as new_rows' when 'delete' then 'old table as old_rows'
                else 'old table as old_rows new table as new_rows' end,
        source.kind);
    end loop;
  end loop;
end
$$;

-- What is already there.
insert into private.search_entries select * from private.search_source;

-- The search, as the caller (security invoker): the index's policy decides what is found.
-- The caller's profiles are listed first (the index scan is then over a family's few
-- hundred entries, not every family's entries for a common word); ranked; snippets for
-- the best p_limit only, as ts_headline re-parses the text. Matches are marked with
-- U+0002 … U+0003, characters no document text carries (they are removed from it first);
-- the api turns them into parts.
create or replace function public.quick_search(p_query text, p_profile_id uuid default null, p_limit int default 20)
returns table (kind text, id uuid, profile_id uuid, document_id uuid, page int, title text, snippet text, rank real)
language sql stable security invoker set search_path = '' as $$
  with query as (select private.search_query(p_query) as q),
  profiles as (
    select coalesce(array_agg(distinct a.profile_id), '{}') as ids
    from private.profile_access a
    where a.user_id = (select auth.uid()) and (a.expires_at is null or a.expires_at > now())
      and (p_profile_id is null or a.profile_id = p_profile_id)),
  best as (
    select e.kind, e.id, e.profile_id, e.document_id, e.page, e.title, e.body, ts_rank(e.search, query.q) * e.weight as rank
    from private.search_entries e, query, profiles
    where query.q is not null and e.profile_id = any (profiles.ids) and e.search @@ query.q
    order by rank desc, e.kind, e.id, e.page
    limit greatest(1, least(coalesce(p_limit, 20), 50)))
  select b.kind, b.id, b.profile_id, b.document_id, nullif(b.page, 0), b.title,
         ts_headline('english', translate(b.body, E'\x02\x03', ''), query.q,
                     E'StartSel=\x02, StopSel=\x03, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'),
         b.rank::real
  from best b, query
  order by b.rank desc, b.kind, b.id, b.page;
$$;
revoke all on function public.quick_search(text, uuid, int) from public, anon;
grant execute on function public.quick_search(text, uuid, int) to authenticated, service_role;
revoke all on function private.search_query(text) from public, anon;
grant execute on function private.search_query(text) to authenticated, service_role;
