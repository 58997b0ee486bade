// The /app page: sign in (locally with one click, as the demo user), pick a profile,
// upload, and watch documents, alerts and the journey change live. Plain browser
// JavaScript modules, no build step; every value from the server is written with
// textContent (dom.js), never parsed as HTML.
import { $, showMessage } from './dom.js';
import { renderAlerts, renderDocuments, renderJourney, renderSearch } from './views.js';

const state = {
  token: null,
  config: null,
  client: null,
  channel: null,
  profileId: null,
  documents: new Map(),
  alerts: new Map(),
  journeyTimer: null,
  reportUrl: null,
};

function setLive(label, liveState) {
  const live = $('live');
  live.textContent = label;
  live.dataset.state = liveState;
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
    const error = new Error(body && body.code ? (body.detail ?? body.title ?? body.code) : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

const postJson = (path, body = {}) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

// --- sign in / out -----------------------------------------------------------------------

async function signInWith(token) {
  const claims = claimsOf(token);
  if (!claims || !claims.sub) return showMessage('That does not look like a user access token.');
  state.token = token;
  try {
    const [{ profiles }, me] = await Promise.all([api('/api/profiles'), api('/api/me')]);
    showMessage('');
    $('token').value = '';
    $('who').textContent = me.name ?? me.email ?? `user ${claims.sub.slice(0, 8)}…`;
    $('sign-in-panel').hidden = true;
    $('workspace').hidden = false;
    connectRealtime();
    fillProfiles(profiles);
  } catch (error) {
    state.token = null;
    showMessage(error.status === 401 ? 'The token was refused (expired, or signed with another secret).' : error.message);
  }
}

async function signInWithToken(event) {
  event.preventDefault();
  await signInWith($('token').value.trim());
}

/** Local development only: the server mints a token for the seeded demo user (config.demoSignIn). */
async function signInAsDemoUser() {
  $('demo-sign-in').disabled = true;
  try {
    const response = await fetch('/app/demo-token', { method: 'POST' });
    if (!response.ok) throw new Error(`the demo sign-in is not available here (HTTP ${response.status})`);
    await signInWith((await response.json()).access_token);
  } catch (error) {
    showMessage(error.message);
  } finally {
    $('demo-sign-in').disabled = false;
  }
}

async function signOut() {
  await leaveChannel();
  if (state.client) await state.client.realtime.disconnect();
  clearTimeout(state.journeyTimer);
  forgetReport();
  state.client = null;
  state.token = null;
  state.profileId = null;
  // Nothing of the last person's data stays in the page.
  state.documents.clear();
  state.alerts.clear();
  for (const id of ['documents', 'alerts', 'summary', 'series', 'timeline', 'profile']) $(id).replaceChildren();
  for (const id of ['who', 'documents-count', 'alerts-count']) $(id).textContent = '';
  $('workspace').hidden = true;
  $('sign-in-panel').hidden = false;
  setLive('offline', 'offline');
}

function fillProfiles(profiles) {
  const select = $('profile');
  select.replaceChildren(...profiles.map((p) => {
    const option = document.createElement('option');
    option.value = p.id;
    option.textContent = p.relationship === 'self' ? `${p.display_name} (you)` : `${p.display_name} (${p.relationship})`;
    return option;
  }));
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
  const bindings = [
    ['documents', onDocumentChange],
    ['cds_alerts', onAlertChange],
    ['journey_timeline', scheduleJourney],
    ['journey_summaries', scheduleJourney],
    ['journey_lab_series', scheduleJourney],
  ];
  let channel = state.client.channel(`profile:${profileId}`);
  for (const [table, handler] of bindings) {
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

const alertActions = { acknowledge, dismiss };

async function openProfile(profileId) {
  // Results of another profile's search do not belong under this one.
  $('search-results').hidden = true;
  $('search-results').replaceChildren();
  await leaveChannel();
  state.profileId = profileId;
  state.documents.clear();
  state.alerts.clear();
  renderDocuments(state.documents);
  renderAlerts(state.alerts, alertActions);
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
    renderDocuments(state.documents);
    renderAlerts(state.alerts, alertActions);
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
    renderDocuments(state.documents);
    $('upload-form').reset();
    showMessage('');
  } catch (error) {
    showMessage(`Upload failed: ${error.message}`);
  } finally {
    $('upload').disabled = false;
  }
}

/**
 * The printable summary report, one click away: it needs the token, which a plain link
 * cannot send, so it is fetched and opened as a blob: page in a new tab (opened at the
 * click, so pop-up blockers let it through).
 */
async function openReport() {
  const tab = window.open('', '_blank');
  try {
    const response = await fetch(`/api/reports/${state.profileId}/summary?format=html`, { headers: { Authorization: `Bearer ${state.token}`, Accept: 'text/html' } });
    if (!response.ok) throw new Error(`the report could not be made (HTTP ${response.status})`);
    forgetReport();
    state.reportUrl = URL.createObjectURL(new Blob([await response.text()], { type: 'text/html' }));
    if (tab) tab.location.href = state.reportUrl;
    else showMessage('Allow pop-ups for this page to open the report.');
  } catch (error) {
    tab?.close();
    showMessage(error.message);
  }
}

function forgetReport() {
  if (state.reportUrl) URL.revokeObjectURL(state.reportUrl);
  state.reportUrl = null;
}

// --- documents and alerts ------------------------------------------------------------------------

function onDocumentChange(change) {
  if (change.eventType === 'DELETE') state.documents.delete(change.old.id);
  else state.documents.set(change.new.id, fromRealtime(change.new));
  renderDocuments(state.documents);
}

function onAlertChange(change) {
  if (change.eventType === 'DELETE') state.alerts.delete(change.old.id);
  else state.alerts.set(change.new.id, fromRealtime(change.new));
  renderAlerts(state.alerts, alertActions);
}

// Each change comes back through Realtime like any other; the answer is applied too, so
// the list is right even when the socket is slow.
async function acknowledge(alertId) {
  await changeAlert(() => postJson(`/api/alerts/${alertId}/acknowledge`));
}

async function dismiss(alertId) {
  await changeAlert(() => postJson(`/api/alerts/${alertId}/dismiss`));
}

async function changeAlert(request) {
  try {
    const alert = await request();
    if (alert.profile_id === state.profileId && !state.alerts.get(alert.id)?.live) {
      state.alerts.set(alert.id, alert);
      renderAlerts(state.alerts, alertActions);
    }
  } catch (error) {
    showMessage(error.message);
  }
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

// --- search -------------------------------------------------------------------------------------

async function search(event) {
  event.preventDefault();
  const q = $('search-q').value.trim();
  if (!q || !state.profileId) return;
  try {
    const { results } = await api(`/api/search?${new URLSearchParams({ q, profile_id: state.profileId })}`);
    renderSearch(results, q);
  } catch (error) {
    showMessage(error.message);
  }
}

// --- start ------------------------------------------------------------------------------------

async function start() {
  state.config = await (await fetch('/app/config.json')).json();
  $('demo-panel').hidden = !state.config.demoSignIn;
  $('sign-in-form').addEventListener('submit', signInWithToken);
  $('demo-sign-in').addEventListener('click', () => void signInAsDemoUser());
  $('upload-form').addEventListener('submit', upload);
  $('report').addEventListener('click', () => void openReport());
  $('sign-out').addEventListener('click', () => void signOut());
  $('profile').addEventListener('change', (event) => void openProfile(event.target.value));
  $('search-form').addEventListener('submit', (event) => void search(event));
  document.body.dataset.ready = 'true';
}

void start().catch((error) => showMessage(`The page could not start: ${error.message}`));
