// The /app page: sign in with a token, pick a profile, upload, and watch documents,
// alerts and the journey change live. Plain browser JavaScript, no build step; every
// value from the server is written with textContent, never parsed as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };
const LIVE_ALERT_STATUSES = new Set(['open', 'acknowledged']);

const state = {
  token: null,
  config: null,
  client: null,
  channel: null,
  profileId: null,
  documents: new Map(),
  alerts: new Map(),
  journeyTimer: null,
};

// --- small helpers ---------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Alert details are short Markdown: shown as plain text, emphasis and escapes removed. */
function plainText(markdown) {
  return markdown.replace(/\*\*|__|`/g, '').replace(/\\([\\`*_{}[\]()#+\-.!])/g, '$1');
}

function showMessage(text) {
  const box = $('message');
  box.textContent = text;
  box.hidden = !text;
}

function setLive(label, liveState) {
  const live = $('live');
  live.textContent = label;
  live.dataset.state = liveState;
}

function day(iso) {
  return iso ? iso.slice(0, 10) : '';
}

/** Reads the token's claims for display only; the server verifies it on every call. */
function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return null;
  }
}

async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: { Accept: 'application/json', Authorization: `Bearer ${state.token}`, ...(init.headers ?? {}) },
  });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    // problem+json: `detail` is this request's message for a person, `title` the code's short name.
    const problem = body && body.code ? (body.detail ?? body.title ?? body.code) : `HTTP ${response.status}`;
    const error = new Error(problem);
    error.status = response.status;
    throw error;
  }
  return body;
}

// --- sign in / out -----------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  const claims = claimsOf(token);
  if (!claims || !claims.sub) return showMessage('That does not look like a user access token.');
  state.token = token;
  try {
    const { profiles } = await api('/api/profiles');
    showMessage('');
    $('token').value = '';
    $('who').textContent = claims.email ?? `user ${claims.sub.slice(0, 8)}…`;
    $('sign-in-panel').hidden = true;
    $('workspace').hidden = false;
    connectRealtime();
    fillProfiles(profiles);
  } catch (error) {
    state.token = null;
    showMessage(error.status === 401 ? 'The token was refused (expired, or signed with another secret).' : error.message);
  }
}

async function signOut() {
  await leaveChannel();
  if (state.client) await state.client.realtime.disconnect();
  clearTimeout(state.journeyTimer);
  state.client = null;
  state.token = null;
  state.profileId = null;
  // Nothing of the last person's data stays in the page.
  state.documents.clear();
  state.alerts.clear();
  for (const id of ['documents', 'alerts', 'summary', 'series', 'timeline', 'profile']) $(id).replaceChildren();
  $('who').textContent = '';
  $('workspace').hidden = true;
  $('sign-in-panel').hidden = false;
  setLive('offline', 'offline');
}

function fillProfiles(profiles) {
  const select = $('profile');
  select.replaceChildren(...profiles.map((p) => el('option', { value: p.id }, `${p.display_name} (${p.relationship})`)));
  if (profiles.length === 0) return showMessage('No profiles are shared with this user.');
  void openProfile(profiles[0].id);
}

// --- realtime ------------------------------------------------------------------------------

function connectRealtime() {
  const realtime = state.config.realtime;
  // Locally the gateway accepts the user's token as the apikey; against Supabase the
  // project's publishable key opens the socket and the user's token rules each channel.
  state.client = supabase.createClient(realtime.url ?? window.location.origin, realtime.publishableKey ?? state.token, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  state.client.realtime.setAuth(state.token);
}

async function leaveChannel() {
  if (state.channel) await state.client.removeChannel(state.channel);
  state.channel = null;
}

function subscribe(profileId) {
  const filter = `profile_id=eq.${profileId}`;
  const on = (table, handler) => ({ table, handler });
  const bindings = [
    on('documents', onDocumentChange),
    on('cds_alerts', onAlertChange),
    on('journey_timeline', scheduleJourney),
    on('journey_summaries', scheduleJourney),
    on('journey_lab_series', scheduleJourney),
  ];
  let channel = state.client.channel(`profile:${profileId}`);
  for (const { table, handler } of bindings) {
    channel = channel.on('postgres_changes', { event: '*', schema: 'public', table, filter }, (change) => {
      if (state.profileId === profileId) handler(change);
    });
  }
  setLive('connecting…', 'connecting');
  channel.subscribe((status, error) => {
    if (state.channel !== channel) return;
    if (status === 'SUBSCRIBED') {
      setLive('live', 'live');
      // Anything that changed between the first load and the join.
      void refresh(profileId);
    } else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') {
      setLive('disconnected', 'error');
      if (error) showMessage(`Live updates stopped: ${error.message}. Sign in again with a fresh token.`);
    } else if (status === 'CLOSED') {
      setLive('offline', 'offline');
    }
  });
  state.channel = channel;
}

// --- a profile -------------------------------------------------------------------------------

async function openProfile(profileId) {
  await leaveChannel();
  state.profileId = profileId;
  state.documents.clear();
  state.alerts.clear();
  renderDocuments();
  renderAlerts();
  subscribe(profileId);
  await refresh(profileId);
}

async function refresh(profileId) {
  try {
    const [documents, alerts] = await Promise.all([
      api(`/api/profiles/${profileId}/documents?limit=50`),
      api(`/api/profiles/${profileId}/alerts`),
      loadJourney(profileId),
    ]);
    if (state.profileId !== profileId) return;
    mergeLoaded(state.documents, documents.documents);
    mergeLoaded(state.alerts, alerts.alerts);
    renderDocuments();
    renderAlerts();
  } catch (error) {
    showMessage(error.message);
  }
}

/**
 * Rows read from the api fill in what Realtime has not told us; a row Realtime delivered
 * is never replaced by a read that may have started before that change.
 */
function mergeLoaded(rows, loaded) {
  for (const row of loaded) if (!rows.get(row.id)?.live) rows.set(row.id, row);
}

function fromRealtime(row) {
  return { ...row, live: true };
}

async function upload(event) {
  event.preventDefault();
  const file = $('upload-file').files[0];
  if (!file || !state.profileId) return;
  const form = new FormData();
  form.append('file', file, file.name);
  $('upload').disabled = true;
  try {
    const document = await api(`/api/profiles/${state.profileId}/documents`, { method: 'POST', body: form });
    mergeLoaded(state.documents, [document]);
    renderDocuments();
    $('upload-form').reset();
    showMessage('');
  } catch (error) {
    showMessage(`Upload failed: ${error.message}`);
  } finally {
    $('upload').disabled = false;
  }
}

// --- documents ------------------------------------------------------------------------------

function onDocumentChange(change) {
  if (change.eventType === 'DELETE') state.documents.delete(change.old.id);
  else state.documents.set(change.new.id, fromRealtime(change.new));
  renderDocuments();
}

function renderDocuments() {
  const rows = [...state.documents.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  $('documents').replaceChildren(...rows.map((d) => {
    const progress = d.pages_total ? ` · page ${d.pages_done ?? 0} of ${d.pages_total}` : '';
    return el('li', { 'data-id': d.id, 'data-status': d.status },
      el('span', { class: 'name' }, d.file_name),
      el('span', { class: `status status-${d.status}` }, d.status),
      el('small', {}, `${day(d.created_at)}${progress}${d.error_code ? ` · ${d.error_code}` : ''}`));
  }));
  if (rows.length === 0) $('documents').append(el('li', { class: 'empty' }, 'No documents yet.'));
}

// --- alerts -----------------------------------------------------------------------------------

function onAlertChange(change) {
  if (change.eventType === 'DELETE') state.alerts.delete(change.old.id);
  else state.alerts.set(change.new.id, fromRealtime(change.new));
  renderAlerts();
}

async function acknowledge(alertId) {
  try {
    // The change comes back through Realtime like any other.
    await api(`/api/alerts/${alertId}/acknowledge`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  } catch (error) {
    showMessage(error.message);
  }
}

function renderAlerts() {
  const rows = [...state.alerts.values()]
    .filter((a) => LIVE_ALERT_STATUSES.has(a.status))
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.first_seen_at < b.first_seen_at ? 1 : -1));
  $('alerts').replaceChildren(...rows.map((a) => {
    const button = a.status === 'open' ? el('button', { type: 'button', onclick: () => acknowledge(a.id) }, 'Acknowledge') : null;
    return el('li', { 'data-id': a.id, 'data-severity': a.severity, 'data-status': a.status, class: `alert severity-${a.severity}` },
      el('span', { class: 'severity' }, a.severity),
      el('span', { class: 'summary' }, a.summary),
      a.detail ? el('small', {}, plainText(a.detail)) : null,
      button ?? el('small', { class: 'status' }, a.status));
  }));
  if (rows.length === 0) $('alerts').append(el('li', { class: 'empty' }, 'No open alerts.'));
}

// --- journey ------------------------------------------------------------------------------------

/** Journey tables change in bursts (one recompute writes many rows): reload once per burst. */
function scheduleJourney() {
  clearTimeout(state.journeyTimer);
  const profileId = state.profileId;
  state.journeyTimer = setTimeout(() => void loadJourney(profileId).catch((error) => showMessage(error.message)), 150);
}

async function loadJourney(profileId) {
  const journey = await api(`/api/healthcare-journey?profile=${profileId}&limit=20`);
  if (state.profileId === profileId) renderJourney(journey);
}

function renderJourney(journey) {
  const s = journey.summary;
  const items = (list, text) => (list.length ? list.map(text).join(', ') : 'none');
  $('summary').replaceChildren(...(s ? [
    ['Active medications', items(s.active_medications, (m) => (m.dose ? `${m.name} ${m.dose}` : m.name))],
    ['Active problems', items(s.active_problems, (p) => p.name)],
    ['Allergies', items(s.allergies, (a) => a.substance)],
    ['Latest vitals', items(s.latest_vitals, (v) => `${v.name} ${v.value}${v.unit ? ` ${v.unit}` : ''}`)],
    ['Records', items(Object.entries(s.counts), ([table, n]) => `${n} ${table}`)],
  ] : [['Summary', 'not shared with you']]).flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));

  $('series').replaceChildren(...journey.lab_series.map((x) => el('li', { 'data-series': x.series_key },
    el('span', { class: 'name' }, x.name),
    el('span', {}, x.latest_value === null ? '' : `${x.latest_value}${x.unit ? ` ${x.unit}` : ''}`),
    el('small', {}, [x.direction, `${x.point_count} point${x.point_count === 1 ? '' : 's'}`].filter(Boolean).join(' · ')))));

  $('timeline').replaceChildren(...journey.timeline.entries.map((e) => el('li', { 'data-kind': e.kind },
    el('time', {}, day(e.occurred_at)),
    el('span', { class: 'name' }, e.title),
    el('small', {}, e.kind))));
  if (journey.timeline.entries.length === 0) $('timeline').append(el('li', { class: 'empty' }, 'Nothing yet.'));
}

// --- start ------------------------------------------------------------------------------------

async function start() {
  state.config = await (await fetch('/app/config.json')).json();
  $('sign-in-form').addEventListener('submit', signIn);
  $('upload-form').addEventListener('submit', upload);
  $('sign-out').addEventListener('click', () => void signOut());
  $('profile').addEventListener('change', (event) => void openProfile(event.target.value));
  document.body.dataset.ready = 'true';
}

void start().catch((error) => showMessage(`The page could not start: ${error.message}`));
