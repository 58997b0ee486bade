-- fhirpath.hba1c-possible-diabetes (migration 1100), the same test written so that
-- fhirpath.js evaluates it in half the time: `code.coding.exists(code in (…))` instead
-- of `code.coding.code.intersect(…).exists()`, whose set operation compares values
-- deeply for each of the profile's observations. Measured on a profile with 2,000
-- results: 15.9 ms → 7.4 ms for the expression, the whole rule evaluation (bench:journey
-- rules_p50_ms) about 8 ms less. Changed only where the expression is still the shipped one.
update public.cds_rules
   set params = jsonb_set(params, '{expression}', to_jsonb(replace(
         params ->> 'expression',
         $old$where(code.coding.code.intersect('4548-4' | '17856-6' | '59261-8').exists())$old$,
         $new$where(code.coding.exists(code in ('4548-4' | '17856-6' | '59261-8')))$new$)))
 where key = 'fhirpath.hba1c-possible-diabetes'
   and strpos(params ->> 'expression', $old$where(code.coding.code.intersect('4548-4' | '17856-6' | '59261-8').exists())$old$) > 0;
