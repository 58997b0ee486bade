-- Structured clinical records, one table per kind (they map to FHIR R4 resources:
-- Observation, MedicationStatement, Condition, AllergyIntolerance, Immunization,
-- Encounter, Procedure). Each row belongs to a profile and keeps where it came from:
-- the source document, page, text span, the extractor's confidence, name and version.

create table public.observations (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  category text not null default 'laboratory' check (category in ('laboratory', 'vital-signs', 'other')),
  code_system text,            -- e.g. http://loinc.org
  code text,                   -- e.g. 2345-7
  name text not null,          -- as written: "Glucose, fasting"
  value_numeric numeric,
  value_text text,
  unit text,                   -- UCUM: mmol/L, mg/dL, mm[Hg]
  reference_low numeric,
  reference_high numeric,
  reference_text text,
  -- HL7 v3 ObservationInterpretation: L, N, H, LL, HH, A, AA
  interpretation text check (interpretation in ('L', 'N', 'H', 'LL', 'HH', 'A', 'AA')),
  effective_at timestamptz,
  status text not null default 'final' check (status in ('preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error')),
  constraint observations_has_value check (value_numeric is not null or value_text is not null),
  constraint observations_range_ordered check (reference_low is null or reference_high is null or reference_low <= reference_high)
);

create table public.medications (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  code_system text,            -- e.g. http://www.nlm.nih.gov/research/umls/rxnorm
  code text,
  name text not null,
  dose_text text,              -- as written: "500 mg twice daily"
  dose_value numeric,
  dose_unit text,              -- UCUM
  route text,
  frequency text,
  start_date date,
  end_date date,
  status text not null default 'active' check (status in ('active', 'completed', 'stopped', 'on-hold', 'unknown', 'entered-in-error')),
  prescriber text,
  reason text,
  constraint medications_dates_ordered check (end_date is null or start_date is null or start_date <= end_date)
);

create table public.conditions (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  code_system text,            -- e.g. http://snomed.info/sct
  code text,
  name text not null,
  clinical_status text not null default 'active' check (clinical_status in ('active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved')),
  severity text check (severity in ('mild', 'moderate', 'severe')),
  onset_date date,
  abatement_date date
);

create table public.allergies (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  code_system text,
  code text,
  substance text not null,
  category text check (category in ('food', 'medication', 'environment', 'biologic')),
  criticality text check (criticality in ('low', 'high', 'unable-to-assess')),
  reaction text,
  severity text check (severity in ('mild', 'moderate', 'severe')),
  clinical_status text not null default 'active' check (clinical_status in ('active', 'inactive', 'resolved')),
  recorded_date date
);

create table public.immunizations (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  code_system text,            -- e.g. http://hl7.org/fhir/sid/cvx
  code text,
  vaccine text not null,
  occurrence_date date,
  dose_number integer check (dose_number > 0),
  lot_number text,
  site text,
  performer text,
  status text not null default 'completed' check (status in ('completed', 'not-done', 'entered-in-error'))
);

create table public.encounters (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  -- HL7 v3 ActCode: AMB ambulatory, EMER emergency, IMP inpatient, VR virtual, HH home
  class text not null default 'AMB' check (class in ('AMB', 'EMER', 'IMP', 'VR', 'HH', 'OTHER')),
  type text,
  reason text,
  facility text,
  practitioner text,
  start_at timestamptz,
  end_at timestamptz,
  constraint encounters_times_ordered check (end_at is null or start_at is null or start_at <= end_at)
);

create table public.procedures (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  code_system text,
  code text,
  name text not null,
  performed_at timestamptz,
  body_site text,
  performer text,
  status text not null default 'completed' check (status in ('preparation', 'in-progress', 'completed', 'not-done', 'stopped', 'entered-in-error'))
);

-- What every clinical table shares: provenance, timestamps, indexes, grants and RLS.
-- One loop instead of seven copies, so the tables cannot drift apart. The grant
-- category of each table is its own name (see access_grants.categories).
do $$
declare
  t text;
begin
  foreach t in array array['observations', 'medications', 'conditions', 'allergies', 'immunizations', 'encounters', 'procedures']
  loop
    execute format($ddl$
      alter table public.%1$I
        add column source_document_id uuid,
        add column source_page integer check (source_page >= 1),
        add column source_span_start integer check (source_span_start >= 0),
        add column source_span_end integer,
        add column source_text text,
        add column confidence numeric(4, 3) check (confidence between 0 and 1),
        add column extractor text not null default 'manual',
        add column extractor_version text,
        add column recorded_by uuid default auth.uid() references auth.users (id) on delete set null,
        add column created_at timestamptz not null default now(),
        add column updated_at timestamptz not null default now(),
        add constraint %2$I check (source_span_end is null or source_span_end >= source_span_start),
        add constraint %6$I foreign key (source_document_id, profile_id)
          references public.documents (id, profile_id) on delete cascade;
      create index %3$I on public.%1$I (profile_id);
      create index %4$I on public.%1$I (source_document_id) where source_document_id is not null;
      create trigger %5$I before update on public.%1$I for each row execute function private.touch_updated_at();

      revoke all on public.%1$I from anon, authenticated;
      grant select, insert, update, delete on public.%1$I to authenticated;
      grant all on public.%1$I to service_role;

      alter table public.%1$I enable row level security;
      create policy "readers of the profile read %1$s" on public.%1$I
        for select to authenticated using (private.can_read(profile_id, %1$L));
      create policy "owners and managers add %1$s" on public.%1$I
        for insert to authenticated
        with check (private.can_edit(profile_id) and recorded_by = (select auth.uid()));
      create policy "owners and managers change %1$s" on public.%1$I
        for update to authenticated using (private.can_edit(profile_id)) with check (private.can_edit(profile_id));
      create policy "owners and managers delete %1$s" on public.%1$I
        for delete to authenticated using (private.can_edit(profile_id));
    $ddl$, t, t || '_span_ordered', t || '_profile_id_idx', t || '_source_document_idx', t || '_touch_updated_at',
      t || '_source_document_fk');
  end loop;
end
$$;
