/**
 * Decision-support alerts: list a profile's alerts (each with its rule and its CDS
 * Hooks card), acknowledge one, dismiss one with a reason.
 *
 * Who may do what is the database's call: RLS shows an alert to readers of every
 * category it draws on and lets owners and managers update it; the
 * cds_alerts_guard_update trigger allows only open/acknowledged → acknowledged/dismissed
 * and stamps who and when (never taken from the client). This module only turns those
 * answers into statuses: not visible → 404, visible but not editable → 403, no longer
 * live → 409.
 */
import { z } from 'zod';
import { toCdsHooksCard } from '../../consumers/decision-support/card.js';
import type { AuditEntry } from '../audit.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute, type RouteContext } from '../route.js';
import { profileParams, requireVisibleProfile, timestamp, toIso } from './common.js';
import { PG } from '../../db/postgres-errors.js';

export const ALERT_STATUSES = ['open', 'acknowledged', 'dismissed', 'resolved'] as const;
type AlertStatus = (typeof ALERT_STATUSES)[number];
const SEVERITIES = ['info', 'warning', 'critical'] as const;

/** Alerts per list: live ones are few (the report prints ≤ 50); 500 bounds a history of resolved ones. */
const ALERTS_DEFAULT_LIMIT = 100;
const ALERTS_MAX_LIMIT = 500;


const cardSchema = z.object({
  uuid: z.uuid(),
  summary: z.string().max(140),
  indicator: z.enum(SEVERITIES),
  detail: z.string().optional(),
  source: z.object({ label: z.string(), url: z.string().optional() }),
}).describe('the alert as a CDS Hooks 2.0 card');

export const alertSchema = z.object({
  id: z.uuid(),
  profile_id: z.uuid(),
  rule_key: z.string(),
  rule_title: z.string(),
  severity: z.enum(SEVERITIES),
  summary: z.string(),
  detail: z.string().nullable(),
  status: z.enum(ALERT_STATUSES),
  first_seen_at: timestamp,
  last_seen_at: timestamp,
  resolved_at: timestamp.nullable(),
  acknowledged_at: timestamp.nullable(),
  acknowledged_by: z.uuid().nullable(),
  dismissed_at: timestamp.nullable(),
  dismissed_by: z.uuid().nullable(),
  dismiss_reason: z.string().nullable(),
  card: cardSchema,
});
type Alert = z.infer<typeof alertSchema>;

interface AlertRow {
  id: string; profile_id: string; rule_key: string; rule_title: string; source_label: string; source_url: string | null;
  severity: Alert['severity']; summary: string; detail: string | null; status: AlertStatus;
  first_seen_at: Date; last_seen_at: Date; resolved_at: Date | null; acknowledged_at: Date | null; acknowledged_by: string | null;
  dismissed_at: Date | null; dismissed_by: string | null; dismiss_reason: string | null;
}

const ALERT_COLUMNS = `a.id, a.profile_id, r.key as rule_key, r.title as rule_title, r.source_label, r.source_url,
  a.severity, a.summary, a.detail, a.status, a.first_seen_at, a.last_seen_at, a.resolved_at,
  a.acknowledged_at, a.acknowledged_by, a.dismissed_at, a.dismissed_by, a.dismiss_reason`;

// Live statuses read through cds_alerts_profile_live_idx (partial), others through the
// (profile_id, fingerprint) unique index's profile prefix.
const LIST_SQL = `
  select ${ALERT_COLUMNS}
  from public.cds_alerts a join public.cds_rules r on r.id = a.rule_id
  where a.profile_id = $1::uuid and a.status = any ($2::text[])
  order by case a.severity when 'critical' then 0 when 'warning' then 1 else 2 end,
           case a.status when 'open' then 0 when 'acknowledged' then 1 else 2 end,
           a.last_seen_at desc, a.id
  limit $3::int`;

// The trigger stamps acknowledged_*/dismissed_* and rejects a non-live alert (check_violation).
// RLS: a caller who may not edit the profile matches no row.
const UPDATE_SQL = `
  update public.cds_alerts a
  set status = $2::text, dismiss_reason = case when $2::text = 'dismissed' then $3::text else a.dismiss_reason end
  from public.cds_rules r
  where a.id = $1::uuid and r.id = a.rule_id
  returning ${ALERT_COLUMNS}`;

function toAlert(row: AlertRow): Alert {
  const { source_label, source_url, ...alert } = row;
  return {
    ...alert,
    first_seen_at: row.first_seen_at.toISOString(),
    last_seen_at: row.last_seen_at.toISOString(),
    resolved_at: toIso(row.resolved_at),
    acknowledged_at: toIso(row.acknowledged_at),
    dismissed_at: toIso(row.dismissed_at),
    card: toCdsHooksCard(row, { source_label, source_url, title: row.rule_title }),
  };
}

const statusParam = z.string()
  .transform((value) => [...new Set(value.split(',').map((v) => v.trim()).filter(Boolean))])
  .pipe(z.array(z.enum(ALERT_STATUSES)).min(1))
  .default(['open', 'acknowledged'])
  .describe(`statuses, comma-separated (${ALERT_STATUSES.join(', ')}); default the live ones: open,acknowledged`);

const alertParams = z.object({ alertId: z.uuid() });

async function changeAlert(
  ctx: RouteContext<z.infer<typeof alertParams>, unknown, unknown>,
  status: 'acknowledged' | 'dismissed',
  reason: string | null,
): Promise<void> {
  const { alertId } = ctx.params;
  // Audited first (so a 404 is recorded as denied); the profile is filled in once the
  // alert is known to be visible, so a denied probe names no one's profile.
  const entry: AuditEntry = { action: `alert.${status === 'acknowledged' ? 'acknowledge' : 'dismiss'}`, resourceType: 'alert', resourceId: alertId };
  ctx.audit(entry);
  const row = await ctx.db(async (c) => {
    const visible = (await c.query<{ profile_id: string }>(`select profile_id from public.cds_alerts where id = $1::uuid`, [alertId])).rows[0];
    if (!visible) throw new HttpProblem(404, 'alert_not_found', 'no such alert (or it is not shared with you)');
    entry.profileId = visible.profile_id;
    try {
      const updated = (await c.query<AlertRow>(UPDATE_SQL, [alertId, status, reason])).rows[0];
      if (!updated) throw new HttpProblem(403, 'alert_read_only', 'only the owner or a manager of the profile may acknowledge or dismiss its alerts');
      return updated;
    } catch (error) {
      if ((error as { code?: string }).code === PG.checkViolation) {
        throw new HttpProblem(409, 'alert_not_live', 'this alert is no longer open: it was resolved or dismissed');
      }
      throw error;
    }
  });
  ctx.koa.body = toAlert(row);
}

export function alertRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/api/profiles/:profileId/alerts', operationId: 'listAlerts', tags: ['alerts'], auth: 'user',
      summary: "A profile's decision-support alerts (live ones by default), most severe first, each with its CDS Hooks card",
      params: profileParams,
      query: z.object({
        status: statusParam,
        limit: z.coerce.number().int().min(1).max(ALERTS_MAX_LIMIT).default(ALERTS_DEFAULT_LIMIT),
      }),
      responses: { 200: { description: 'the alerts you may see', schema: z.object({ alerts: z.array(alertSchema) }) } },
      async handle(ctx) {
        const { profileId } = ctx.params;
        ctx.audit({ action: 'alerts.list', profileId, resourceType: 'profile', resourceId: profileId });
        const rows = await ctx.db(async (c) => {
          await requireVisibleProfile(c, profileId);
          return (await c.query<AlertRow>(LIST_SQL, [profileId, ctx.query.status, ctx.query.limit])).rows;
        });
        ctx.koa.body = { alerts: rows.map(toAlert) };
      },
    }),
    defineRoute({
      method: 'post', path: '/api/alerts/:alertId/acknowledge', operationId: 'acknowledgeAlert', tags: ['alerts'], auth: 'user',
      summary: 'Acknowledge a live alert (owner or manager); it stays listed until resolved',
      params: alertParams,
      responses: { 200: { description: 'the acknowledged alert', schema: alertSchema } },
      handle: (ctx) => changeAlert(ctx, 'acknowledged', null),
    }),
    defineRoute({
      method: 'post', path: '/api/alerts/:alertId/dismiss', operationId: 'dismissAlert', tags: ['alerts'], auth: 'user',
      summary: 'Dismiss a live alert with an optional reason (owner or manager)',
      params: alertParams,
      body: z.object({ reason: z.string().trim().min(1).max(500).optional() }),
      responses: { 200: { description: 'the dismissed alert', schema: alertSchema } },
      handle: (ctx) => changeAlert(ctx, 'dismissed', ctx.body.reason ?? null),
    }),
  ];
}
