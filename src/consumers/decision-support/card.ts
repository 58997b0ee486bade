/**
 * A stored alert as a CDS Hooks 2.0 card (https://cds-hooks.hl7.org/2.0/#card-attributes),
 * for EHRs and apps that speak CDS Hooks. The card's uuid is the alert's id, so the
 * same alert renders as the same card every time (CDS Hooks feedback refers to it).
 */
import { clip } from './evaluators/finding-text.js';
import type { Rule, Severity } from './types.js';

export interface CdsHooksCard {
  uuid: string;
  /** At most 140 characters. */
  summary: string;
  indicator: 'info' | 'warning' | 'critical';
  /** Markdown; absent when the alert has none. */
  detail?: string;
  source: { label: string; url?: string };
}

export function toCdsHooksCard(
  alert: { id: string; summary: string; detail: string | null; severity: Severity },
  rule: Pick<Rule, 'source_label' | 'source_url' | 'title'>,
): CdsHooksCard {
  const card: CdsHooksCard = {
    uuid: alert.id,
    // A stored summary is already ≤ 140 characters (a check constraint); this guards other callers.
    summary: clip(alert.summary) || clip(rule.title),
    indicator: alert.severity,
    source: rule.source_url ? { label: rule.source_label, url: rule.source_url } : { label: rule.source_label },
  };
  if (alert.detail) card.detail = alert.detail;
  return card;
}
