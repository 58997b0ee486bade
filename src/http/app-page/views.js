// What the /app page draws from the api's answers: documents, alerts and the journey.
// Pure rendering: actions (acknowledge, dismiss) are handed in by app.js.
import { $, day, el, emptyItem, plainText } from './dom.js';
import { countOf, displayUnit, displayUnitsIn, recordCount, severityLabel } from './format.js';

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };
const LIVE_ALERT_STATUSES = new Set(['open', 'acknowledged']);

const newestFirst = (a, b) => (a.created_at < b.created_at ? 1 : -1);

/**
 * The earlier upload a document repeats: the worker marks it (duplicate_of) once it has
 * looked; until then the same bytes (sha256) already on the list say so at once.
 */
function originalOf(document, all) {
  if (document.duplicate_of) return all.get(document.duplicate_of) ?? { id: document.duplicate_of };
  if (!document.sha256) return undefined;
  for (const other of all.values()) {
    if (other.id !== document.id && other.sha256 === document.sha256 && !other.duplicate_of && other.created_at < document.created_at) return other;
  }
  return undefined;
}

function documentItem(d, original) {
  if (original) {
    const sameAs = original.file_name ? `same file as ${original.file_name}${original.created_at ? ` (${day(original.created_at)})` : ''}` : 'same file as an earlier upload';
    return el('li', { 'data-id': d.id, 'data-status': d.status, 'data-duplicate': 'true', class: 'duplicate' },
      el('span', { class: 'name' }, d.file_name),
      el('span', { class: 'status status-duplicate' }, 'duplicate'),
      el('small', {}, `${day(d.created_at)} · ${sameAs}: not read again`));
  }
  const progress = d.pages_total ? ` · page ${d.pages_done ?? 0} of ${d.pages_total}` : '';
  return el('li', { 'data-id': d.id, 'data-status': d.status },
    el('span', { class: 'name' }, d.file_name),
    el('span', { class: `status status-${d.status}` }, d.status),
    el('small', {}, `${day(d.created_at)}${progress}${d.error_code ? ` · ${d.error_code}` : ''}`));
}

export function renderDocuments(documents) {
  const rows = [...documents.values()].sort(newestFirst);
  const items = rows.map((d) => ({ d, original: originalOf(d, documents) }));
  const duplicates = items.filter((i) => i.original).length;
  $('documents').replaceChildren(...items.map(({ d, original }) => documentItem(d, original)));
  if (rows.length === 0) $('documents').append(emptyItem('No documents yet. Upload a lab report, a letter or a photo of a prescription.'));
  $('documents-count').textContent = rows.length === 0 ? ''
    : `${countOf(rows.length - duplicates, 'document')}${duplicates ? ` · ${countOf(duplicates, 'duplicate')}` : ''}`;
}

export function renderAlerts(alerts, actions) {
  const rows = [...alerts.values()]
    .filter((a) => LIVE_ALERT_STATUSES.has(a.status))
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.first_seen_at < b.first_seen_at ? 1 : -1));
  $('alerts').replaceChildren(...rows.map((a) => el('li', { 'data-id': a.id, 'data-severity': a.severity, 'data-status': a.status, class: `alert severity-${a.severity}` },
    el('span', { class: `severity badge-${a.severity}` }, severityLabel(a.severity)),
    el('span', { class: 'summary' }, displayUnitsIn(a.summary)),
    a.detail ? el('small', {}, displayUnitsIn(plainText(a.detail))) : null,
    el('span', { class: 'actions' },
      a.status === 'open'
        ? el('button', { type: 'button', class: 'acknowledge', onclick: () => actions.acknowledge(a.id) }, 'Acknowledge')
        : el('small', { class: 'status' }, 'acknowledged'),
      el('button', { type: 'button', class: 'dismiss', title: 'Hide this alert: it does not apply, or has been dealt with', onclick: () => actions.dismiss(a.id) }, 'Dismiss')))));
  if (rows.length === 0) $('alerts').append(emptyItem('No open alerts.'));
  $('alerts-count').textContent = rows.length === 0 ? '' : countOf(rows.length, 'alert');
}

const withUnit = (value, unit) => `${value}${displayUnit(unit) ? ` ${displayUnit(unit)}` : ''}`;

export function renderJourney(journey) {
  const s = journey.summary;
  const items = (list, text) => (list.length ? list.map(text).join(', ') : 'none recorded');
  const counts = s ? Object.entries(s.counts).filter(([, n]) => n > 0) : [];
  $('summary').replaceChildren(...(s ? [
    ['Active medications', items(s.active_medications, (m) => (m.dose ? `${m.name} ${m.dose}` : m.name))],
    ['Active problems', items(s.active_problems, (p) => p.name)],
    ['Allergies', items(s.allergies, (a) => a.substance)],
    ['Latest vitals', items(s.latest_vitals, (v) => `${v.name} ${withUnit(v.value, v.unit)}`)],
    ['Records', counts.length ? counts.map(([table, n]) => recordCount(table, n)).join(', ') : 'none yet'],
  ] : [['Summary', 'not shared with you']]).flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));

  $('series').replaceChildren(...journey.lab_series.map((x) => el('li', { 'data-series': x.series_key },
    el('span', { class: 'name' }, x.name),
    el('span', { class: 'value' }, x.latest_value === null ? '' : withUnit(x.latest_value, x.unit)),
    el('small', {}, [x.direction, countOf(x.point_count, 'result')].filter(Boolean).join(' · ')))));
  if (journey.lab_series.length === 0) {
    $('series').append(emptyItem('No lab results yet. Upload a lab report: each test becomes a trend here.'));
  }

  $('timeline').replaceChildren(...journey.timeline.entries.map((e) => el('li', { 'data-kind': e.kind },
    el('time', {}, day(e.occurred_at)),
    el('span', { class: 'name' }, displayUnitsIn(e.title)),
    el('small', {}, e.kind.replace(/_/g, ' ')))));
  if (journey.timeline.entries.length === 0) $('timeline').append(emptyItem('Nothing yet: uploads and records appear here by date.'));
}

const SEARCH_KINDS = {
  document: 'document', page: 'document text', observation: 'result', medication: 'medicine', condition: 'condition',
  allergy: 'allergy', immunization: 'vaccine', encounter: 'visit', procedure: 'procedure',
};

/** Search results: the snippet's matched words in <mark>, every part added as text. */
export function renderSearch(results, query) {
  const list = $('search-results');
  list.hidden = false;
  list.replaceChildren(...results.map((r) => el('li', { 'data-kind': r.kind },
    el('span', { class: 'name' }, r.title),
    el('small', {}, `${SEARCH_KINDS[r.kind] ?? r.kind}${r.page ? ` · page ${r.page}` : ''}`),
    el('p', { class: 'snippet' }, ...r.snippet.map((part) => (part.match ? el('mark', {}, part.text) : part.text))))));
  if (results.length === 0) list.append(emptyItem(`Nothing found for "${query}" in this profile.`));
}
