/**
 * The clinical tables, and the categories access is granted in: one category per
 * clinical table plus `documents`. The database knows the same names (the
 * access_grants_categories_known check, private.refresh_profile_access, the tables
 * themselves); in TypeScript this is the one list.
 */
export const CLINICAL_TABLES = ['observations', 'medications', 'conditions', 'allergies', 'immunizations', 'encounters', 'procedures'] as const;
export type ClinicalTable = (typeof CLINICAL_TABLES)[number];

export const RECORD_CATEGORIES = ['documents', ...CLINICAL_TABLES] as const;
export type RecordCategory = (typeof RECORD_CATEGORIES)[number];
