/**
 * Reconciling a profile's findings with its stored alerts, in one transaction:
 *
 *   finding, no alert            → a new open alert
 *   finding, alert changed       → updated in place (same fingerprint)
 *   finding, alert resolved      → reopened (acknowledgement cleared: it is news again)
 *   finding, alert dismissed     → left dismissed (the person's decision stands)
 *   no finding, alert live       → resolved
 *
 * Unchanged alerts are not written at all, so re-evaluating a quiet profile sends
 * clients nothing.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../../events/queue/job.js';
import type { Finding, Rule } from './types.js';
import { refreshOpenAlerts } from '../journey/summary.js';

export function fingerprint(ruleKey: string, subject: string): string {
  return createHash('sha256').update(`${ruleKey}\n${subject}`).digest('hex');
}

export interface ReconcileResult {
  opened: number;
  updated: number;
  resolved: number;
}

export async function reconcileAlerts(
  client: Queryable,
  profileId: string,
  findings: Array<Finding & { rule: Rule }>,
  evaluatedRuleIds: string[],
): Promise<ReconcileResult> {
  // One finding per fingerprint (two rules never share a key, but a rule could repeat a subject).
  const unique = new Map(findings.map((f) => [fingerprint(f.rule.key, f.subject), f]));
  const prints = [...unique.keys()];
  const list = [...unique.values()];
  const upserted = await client.query<{ inserted: boolean }>(
    `insert into public.cds_alerts as a (profile_id, rule_id, fingerprint, severity, summary, detail, categories, evidence)
     select $1::uuid, f.rule_id, f.fingerprint, f.severity, f.summary, f.detail,
            array(select jsonb_array_elements_text(f.categories)), f.evidence
     from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])
       as f(rule_id, fingerprint, severity, summary, detail, categories, evidence)
     on conflict (profile_id, fingerprint) do update
       set severity = excluded.severity, summary = excluded.summary, detail = excluded.detail,
           categories = excluded.categories, evidence = excluded.evidence, last_seen_at = now(),
           status = case when a.status = 'resolved' then 'open' else a.status end,
           resolved_at = case when a.status = 'resolved' then null else a.resolved_at end,
           acknowledged_at = case when a.status = 'resolved' then null else a.acknowledged_at end,
           acknowledged_by = case when a.status = 'resolved' then null else a.acknowledged_by end
       where a.status = 'resolved'
          or (a.severity, a.summary, a.detail, a.categories, a.evidence)
             is distinct from (excluded.severity, excluded.summary, excluded.detail, excluded.categories, excluded.evidence)
     returning (xmax = 0) as inserted`,
    [
      profileId,
      list.map((f) => f.rule.id),
      prints,
      list.map((f) => f.severity ?? f.rule.severity),
      list.map((f) => f.summary),
      list.map((f) => f.detail),
      list.map((f) => JSON.stringify(f.categories)),
      list.map((f) => JSON.stringify(f.evidence)),
    ],
  );
  const opened = upserted.rows.filter((r) => r.inserted).length;
  // Live alerts no longer found by a rule that was evaluated (a rule that failed keeps
  // its alerts until it runs again), or of a rule since disabled.
  const resolved = await client.query(
    `update public.cds_alerts a set status = 'resolved', resolved_at = now()
     where a.profile_id = $1::uuid and a.status in ('open', 'acknowledged') and a.fingerprint <> all ($2::text[])
       and (a.rule_id = any ($3::uuid[]) or a.rule_id in (select id from public.cds_rules where not enabled))`,
    [profileId, prints, evaluatedRuleIds],
  );
  await refreshOpenAlerts(client, profileId);
  return {
    opened,
    updated: upserted.rows.length - opened,
    resolved: resolved.rowCount ?? 0,
  };
}
