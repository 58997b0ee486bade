/**
 * Every job type Guardian queues, in one place: consumers register under these names,
 * producers enqueue them, the operator views list them. The derived-job triggers
 * (supabase/migrations, `private.enqueue_derived_jobs`) write the same names in SQL.
 */
export const JOB_TYPES = {
  /** A stored document read into clinical records (src/consumers/documents/). */
  processDocument: 'process_document',
  /** A profile's journey brought up to date (src/consumers/journey/). */
  recomputeJourney: 'recompute_journey',
  /** A profile's decision-support rules evaluated (src/consumers/decision-support/). */
  evaluateRules: 'evaluate_rules',
} as const;

export type JobType = (typeof JOB_TYPES)[keyof typeof JOB_TYPES];

/** The jobs queued per profile (their payload names the profile, their dedupe key is its id). */
export const PROFILE_JOB_TYPES = [JOB_TYPES.recomputeJourney, JOB_TYPES.evaluateRules] as const;
