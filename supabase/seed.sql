-- Demo data for local development (`npm start` loads it; `supabase db reset` would too).
-- Synthetic people only. Fixed ids so it loads once and stays put across restarts.
--
--   Alex Rivera   (user 1) owns: Alex (self), Sam (child), Pat (parent)
--   Jordan Rivera (user 2) manages Sam with Alex
--   Dr Morgan Lee (user 3) is a provider Alex granted observations and medications

insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values
  ('00000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'alex@example.test',
   '{"provider":"email"}', '{"name":"Alex Rivera"}', now(), now()),
  ('00000000-0000-4000-8000-000000000002', 'authenticated', 'authenticated', 'jordan@example.test',
   '{"provider":"email"}', '{"name":"Jordan Rivera"}', now(), now()),
  ('00000000-0000-4000-8000-000000000003', 'authenticated', 'authenticated', 'dr.lee@example.test',
   '{"provider":"email"}', '{"name":"Dr Morgan Lee"}', now(), now())
on conflict (id) do nothing;

insert into public.profiles (id, owner_id, display_name, birth_date, sex, relationship)
values
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'Alex Rivera', '1986-04-12', 'female', 'self'),
  ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'Sam Rivera', '2019-09-03', 'male', 'child'),
  ('10000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', 'Pat Rivera', '1951-01-27', 'male', 'parent')
on conflict (id) do nothing;

insert into public.profile_members (profile_id, user_id, role, added_by)
values ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000002', 'manager',
        '00000000-0000-4000-8000-000000000001')
on conflict (profile_id, user_id) do nothing;

insert into public.providers (id, user_id, display_name, organization, identifier)
values ('20000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003',
        'Dr Morgan Lee', 'Harbour Family Practice', 'MED0001234567')
on conflict (id) do nothing;

insert into public.access_grants (id, profile_id, provider_id, categories, expires_at, granted_by)
values ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
        '20000000-0000-4000-8000-000000000001', array['observations', 'medications'],
        now() + interval '1 year', '00000000-0000-4000-8000-000000000001')
on conflict (id) do nothing;

insert into public.observations (id, profile_id, category, code_system, code, name, value_numeric, unit,
                                 reference_low, reference_high, interpretation, effective_at, extractor)
values
  ('40000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'laboratory',
   'http://loinc.org', '4548-4', 'Hemoglobin A1c', 6.1, '%', 4.0, 5.6, 'H', '2026-03-02T09:00:00Z', 'manual'),
  ('40000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', 'laboratory',
   'http://loinc.org', '4548-4', 'Hemoglobin A1c', 6.4, '%', 4.0, 5.6, 'H', '2026-09-14T09:00:00Z', 'manual'),
  ('40000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000003', 'vital-signs',
   'http://loinc.org', '8480-6', 'Systolic blood pressure', 148, 'mm[Hg]', 90, 140, 'H', '2026-10-01T08:30:00Z', 'manual')
on conflict (id) do nothing;

insert into public.medications (id, profile_id, code_system, code, name, dose_text, dose_value, dose_unit,
                                route, frequency, start_date, status, extractor)
values
  ('50000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
   'http://www.nlm.nih.gov/research/umls/rxnorm', '860975', 'Metformin', '500 mg twice daily', 500, 'mg',
   'oral', 'BID', '2026-03-10', 'active', 'manual'),
  ('50000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000003',
   'http://www.nlm.nih.gov/research/umls/rxnorm', '197361', 'Amlodipine', '5 mg once daily', 5, 'mg',
   'oral', 'QD', '2026-10-02', 'active', 'manual')
on conflict (id) do nothing;

insert into public.allergies (id, profile_id, substance, category, criticality, reaction, clinical_status, extractor)
values ('60000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002', 'Penicillin',
        'medication', 'high', 'Hives', 'active', 'manual')
on conflict (id) do nothing;

insert into public.immunizations (id, profile_id, code_system, code, vaccine, occurrence_date, dose_number, extractor)
values ('70000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002',
        'http://hl7.org/fhir/sid/cvx', '03', 'MMR', '2020-09-10', 1, 'manual')
on conflict (id) do nothing;
