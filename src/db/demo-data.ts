/** The demo people of supabase/seed.sql that local tools point at: Alex Rivera and her own profile. */
export const DEMO_USER = '00000000-0000-4000-8000-000000000001';
export const DEMO_PROFILE = '10000000-0000-4000-8000-000000000001';
