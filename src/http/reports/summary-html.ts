/**
 * The printable HTML page of the health summary report: one self-contained HTML5
 * document (inline CSS with print rules, inline SVG charts, no script, no external
 * asset), so it can be saved, printed or mailed as is.
 *
 * Everything that comes from data (names, units, titles, file names: written by
 * people or extracted from their documents) goes through escapeHtml. The page also
 * carries a Content-Security-Policy that forbids scripts and every external load, as
 * a second line should an unescaped value ever slip in; the route should send the same
 * policy as a header (a <meta> CSP cannot set frame-ancestors).
 */
import type { HealthSummaryReport } from './summary-report.js';
import { escapeHtml, formatNumber, isoDay, renderTrendChart } from './trend-chart.js';

export { escapeHtml } from './trend-chart.js';

export const SUMMARY_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** The page's one stylesheet; exported so the /app page can allow exactly it (by hash) when it opens the report. */
export const SUMMARY_STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1b1f24;
       margin: 0 auto; max-width: 920px; padding: 24px; }
header { border-bottom: 2px solid #1b1f24; margin-bottom: 16px; padding-bottom: 8px; }
h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 1px solid #c8ccd1; padding-bottom: 2px; }
h3 { font-size: 14px; margin: 0 0 4px; overflow-wrap: anywhere; }
.meta { color: #4a5159; margin: 0; }
.note, .empty { color: #5d6670; font-size: 12px; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e3e6e9; vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; background: #f3f4f6; }
td.num { text-align: right; white-space: nowrap; }
ul { margin: 0; padding-left: 20px; }
.alert { border-left: 4px solid #8a939c; padding: 4px 8px; margin: 4px 0; background: #f6f7f8; }
.alert.critical { border-color: #b3261e; background: #fdecea; }
.alert.warning { border-color: #b26a00; background: #fff4e0; }
.sev { font-weight: 700; text-transform: uppercase; font-size: 11px; margin-right: 6px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(430px, 1fr)); gap: 12px; }
.chart { border: 1px solid #e3e6e9; padding: 8px; break-inside: avoid; page-break-inside: avoid; }
.chart .latest { font-size: 12px; color: #4a5159; margin: 0 0 4px; }
figure { margin: 0; }
figcaption { font-size: 11px; color: #5d6670; }
svg.trend { display: block; max-width: 100%; height: auto; }
svg.trend .frame { fill: none; stroke: #9aa1a9; stroke-width: 1; }
svg.trend .band { fill: #d9f0de; }
svg.trend .ref { stroke: #5c9c6a; stroke-width: 1; stroke-dasharray: 3 3; }
svg.trend .line { fill: none; stroke: #1f5fa8; stroke-width: 1.5; }
svg.trend .pt { fill: #1f5fa8; }
svg.trend .pt.out { fill: #b3261e; }
svg.trend text { font: 10px system-ui, Arial, sans-serif; fill: #4a5159; }
svg.trend .reflabel { fill: #3f7a4d; }
footer { margin-top: 24px; font-size: 11px; color: #5d6670; border-top: 1px solid #c8ccd1; padding-top: 6px; }
@media print {
  @page { margin: 14mm 12mm; }
  body { padding: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, .alert { break-inside: avoid; page-break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

const SEX_LABEL: Record<HealthSummaryReport['profile']['sex'], string> = {
  female: 'Female', male: 'Male', other: 'Other', unknown: 'Not recorded',
};

/** The complete HTML document for a report. */
export function renderSummaryHtml(report: HealthSummaryReport): string {
  const { profile } = report;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    '<meta name="referrer" content="no-referrer">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(SUMMARY_HTML_CSP)}">`,
    `<title>${escapeHtml(`Health summary: ${profile.display_name}`)}</title>`,
    `<style>${SUMMARY_STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(profile.display_name)}</h1>`,
    `<p class="meta">Date of birth: ${escapeHtml(profile.birth_date ?? 'not recorded')} · Sex: ${escapeHtml(SEX_LABEL[profile.sex] ?? profile.sex)}</p>`,
    `<p class="meta">Health summary generated ${escapeHtml(formatTimestamp(report.generated_at))}</p>`,
    '</header>',
    '<main>',
    section('Alerts', renderAlerts(report.alerts)),
    ...renderSummarySections(report.summary),
    section('Lab trends', renderLabTrends(report.lab_series)),
    section('Recent timeline', renderTimeline(report.timeline_highlights)),
    section('Source documents', renderDocuments(report.documents)),
    '</main>',
    '<footer>Generated from the records and documents stored in Guardian. Dates are in UTC. ' +
      'This summary does not replace the original documents or professional medical advice.</footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

const empty = (text: string): string => `<p class="empty">${escapeHtml(text)}</p>`;

/** "2026-03-02 14:05 UTC" from an ISO timestamp. */
function formatTimestamp(timestamp: string): string {
  return `${timestamp.slice(0, 10)} ${timestamp.slice(11, 16)} UTC`;
}

function table(headers: string[], rows: string[][], numeric: number[] = []): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((cells) => `<tr>${cells.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function renderAlerts(alerts: HealthSummaryReport['alerts']): string {
  if (alerts.length === 0) return empty('No open alerts you can see.');
  return alerts
    .map((a) =>
      `<div class="alert ${escapeHtml(a.severity)}"><span class="sev">${escapeHtml(a.severity)}</span>${escapeHtml(a.summary)}` +
      `<div class="note">${escapeHtml(a.status === 'acknowledged' ? 'Acknowledged' : 'Open')} · first seen ${escapeHtml(isoDay(a.first_seen_at))}</div></div>`)
    .join('\n');
}

function renderSummarySections(summary: HealthSummaryReport['summary']): string[] {
  if (!summary) {
    const unavailable = empty('Not available: the summary is not shared with you, or nothing has been summarised yet.');
    return ['Active medications', 'Problems', 'Allergies', 'Latest vitals'].map((t) => section(t, unavailable));
  }
  const meds = summary.active_medications.length === 0
    ? empty('No active medications recorded.')
    : table(['Medication', 'Dose', 'Since'], summary.active_medications.map((m) => [m.name, m.dose ?? '', m.start_date ?? '']));
  const problems = summary.active_problems.length === 0
    ? empty('No active problems recorded.')
    : table(['Problem', 'Severity', 'Onset'], summary.active_problems.map((p) => [p.name, p.severity ?? '', p.onset_date ?? '']));
  const allergies = summary.allergies.length === 0
    ? empty('No allergies recorded.')
    : table(['Substance', 'Criticality', 'Reaction'], summary.allergies.map((a) => [a.substance, a.criticality ?? '', a.reaction ?? '']));
  const vitals = summary.latest_vitals.length === 0
    ? empty('No vital signs recorded.')
    : table(['Vital sign', 'Value', 'Measured'],
      summary.latest_vitals.map((v) => [v.name, `${formatNumber(v.value)} ${v.unit ?? ''}`.trim(), v.at ? isoDay(v.at) : '']), [1]);
  return [
    section('Active medications', meds),
    section('Problems', problems),
    section('Allergies', allergies),
    section('Latest vitals', vitals),
  ];
}

function renderLabTrends(series: HealthSummaryReport['lab_series']): string {
  if (series.length === 0) return empty('No lab results you can see.');
  const charts = series.map((s) => {
    const unit = s.unit ?? '';
    const latest = s.latest_value !== null
      ? `Latest ${formatNumber(s.latest_value)} ${unit}`.trim() + (s.latest_at ? ` on ${isoDay(s.latest_at)}` : '')
      : 'No numeric result';
    const range = referenceText(s.reference_low, s.reference_high, unit);
    return `<div class="chart"><h3>${escapeHtml(s.name)}${unit ? ` <span class="note">(${escapeHtml(unit)})</span>` : ''}</h3>` +
      `<p class="latest">${escapeHtml(latest)}${range ? ` · reference ${escapeHtml(range)}` : ''}</p>` +
      `${renderTrendChart(s)}</div>`;
  });
  return `<div class="charts">\n${charts.join('\n')}\n</div>`;
}

function referenceText(low: number | null, high: number | null, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  if (low !== null && high !== null) return `${formatNumber(low)}–${formatNumber(high)}${u}`;
  if (low !== null) return `≥ ${formatNumber(low)}${u}`;
  if (high !== null) return `≤ ${formatNumber(high)}${u}`;
  return '';
}

const KIND_LABEL: Record<string, string> = {
  encounter: 'Visit', document: 'Document', results: 'Results', diagnosis: 'Diagnosis', medication_start: 'Medication started',
  medication_stop: 'Medication stopped', immunization: 'Immunisation', procedure: 'Procedure', allergy: 'Allergy',
};

function renderTimeline(entries: HealthSummaryReport['timeline_highlights']): string {
  if (entries.length === 0) return empty('No events you can see.');
  return table(['Date', 'Event', ''], entries.map((e) => [isoDay(e.occurred_at), KIND_LABEL[e.kind] ?? e.kind, e.title]));
}

function renderDocuments(documents: HealthSummaryReport['documents']): string {
  if (documents.length === 0) return empty('No processed documents you can see.');
  return table(['Document', 'Uploaded'], documents.map((d) => [d.file_name, isoDay(d.created_at)]));
}
