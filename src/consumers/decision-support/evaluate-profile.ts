/**
 * One evaluation of a profile: load the enabled rules and the profile's facts,
 * evaluate, reconcile the alerts. A rule that cannot be evaluated (bad parameters, a
 * FHIRPath expression that fails) is logged by key and skipped; the others still run
 * and its existing alerts are left as they were.
 */
import type { Pool } from '../../db/pool.js';
import { inTransaction } from '../../db/transaction.js';
import type { Logger } from '../../log.js';
import { reconcileAlerts, type ReconcileResult } from './alerts.js';
import { evaluateRules } from './evaluate.js';
import { loadFacts } from './facts.js';
import type { Rule } from './types.js';

const LOCK = `select pg_advisory_xact_lock(hashtextextended('guardian.rules:' || $1::text, 0))`;

export async function loadEnabledRules(pool: Pick<Pool, 'query'>): Promise<Rule[]> {
  const { rows } = await pool.query<Rule>(
    `select id, key, kind, title, description, params, severity, source_label, source_url, time_based
     from public.cds_rules where enabled order by key`,
  );
  return rows;
}

export interface EvaluationResult extends ReconcileResult {
  findings: number;
  failedRules: string[];
}

export async function evaluateProfile(
  pool: Pool,
  profileId: string,
  options: { log?: Logger; today?: Date } = {},
): Promise<EvaluationResult | null> {
  return inTransaction(pool, async (client) => {
    // One evaluation per profile at a time across workers, so two never race to
    // insert and resolve the same alerts.
    await client.query(LOCK, [profileId]);
    const facts = await loadFacts(client, profileId, options.today ?? new Date());
    if (!facts) return null; // the profile was deleted (and its alerts with it)
    const rules = await loadEnabledRules(client);
    const failed = new Set<string>();
    const findings = evaluateRules(rules, facts, {
      onRuleError: (rule, error) => {
        failed.add(rule.id);
        // The rule key and the error message only: evaluator errors name no patient data.
        options.log?.warn({ rule: rule.key, err: { message: error.message } }, 'rule could not be evaluated');
      },
    });
    const evaluated = rules.filter((r) => !failed.has(r.id)).map((r) => r.id);
    const result = await reconcileAlerts(client, profileId, findings, evaluated);
    return { ...result, findings: findings.length, failedRules: rules.filter((r) => failed.has(r.id)).map((r) => r.key) };
  });
}
