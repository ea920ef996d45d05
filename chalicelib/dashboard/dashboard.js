// The moderators' dashboard: sign-in (Cognito user pool), live STREAM_MODERATION alerts
// over the IVS Chat Messaging WebSocket, Stop stream, and the decision history.
// Plain ES module, no build step; the API serves it (GET /static/dashboard.js).

const $ = (selector, root = document) => root.querySelector(selector);
const SESSION_KEY = 'ivs-moderation-session';
const MAX_QUIET_ATTEMPTS = 5; // reconnect attempts before the status says we could not

let config; // GET config: region, userPoolId, clientId, cognitoEndpoint
const channels = new Map(); // channelArn -> {card, alerts: Set(decisionId), state}

// --- session: Cognito user pool tokens, kept in sessionStorage (this tab only) -------------

function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY));
  } catch {
    return null;
  }
}

function saveSession(result, username) {
  const previous = session() || {};
  const value = {
    username: username || previous.username,
    idToken: result.IdToken,
    refreshToken: result.RefreshToken || previous.refreshToken,
    expiresAt: Date.now() + result.ExpiresIn * 1000,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
  $('#username').textContent = value.username;
  $('#sign-out').hidden = false;
}

class CognitoError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

async function cognito(action, body) {
  let response;
  try {
    response = await fetch(config.cognitoEndpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new CognitoError('Network', 'Cannot reach the sign-in service. Check your connection.');
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(data.__type || '').split('#').pop();
    throw new CognitoError(type, data.message || `Sign-in failed (${response.status})`);
  }
  return data;
}

let signInWaiters = [];
let challenge = null; // {session, username} while a new password is required

function requireSignIn(reason) {
  const dialog = $('#sign-in');
  $('#sign-in-reason').textContent = reason || '';
  if (!dialog.open) {
    dialog.showModal();
    $('#sign-in-username').value = session()?.username || '';
    ($('#sign-in-username').value ? $('#sign-in-password') : $('#sign-in-username')).focus();
  }
  return new Promise((resolve) => signInWaiters.push(resolve));
}

async function submitSignIn(event) {
  event.preventDefault();
  const submit = $('#sign-in-submit');
  if (submit.disabled) return;
  submit.disabled = true;
  $('#sign-in-error').textContent = '';
  const username = $('#sign-in-username').value.trim();
  try {
    let result;
    if (challenge) {
      result = await cognito('RespondToAuthChallenge', {
        ClientId: config.clientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: challenge.session,
        ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: $('#new-password').value },
      });
    } else {
      result = await cognito('InitiateAuth', {
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: config.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: $('#sign-in-password').value },
      });
    }
    if (result.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
      challenge = { session: result.Session, username };
      $('#new-password-fields').hidden = false;
      $('#new-password').required = true;
      $('#new-password').focus();
      return;
    }
    if (!result.AuthenticationResult) {
      throw new CognitoError(result.ChallengeName, `Unsupported sign-in step: ${result.ChallengeName}`);
    }
    challenge = null;
    $('#new-password-fields').hidden = true;
    $('#new-password').required = false;
    saveSession(result.AuthenticationResult, username);
    $('#sign-in-password').value = '';
    $('#sign-in').close();
    const waiters = signInWaiters;
    signInWaiters = [];
    waiters.forEach((resolve) => resolve());
  } catch (error) {
    const wrong = ['NotAuthorizedException', 'UserNotFoundException'].includes(error.type);
    $('#sign-in-error').textContent = wrong ? 'Wrong username or password.' : error.message;
  } finally {
    submit.disabled = false;
  }
}

let refreshing = null;

async function idToken() {
  const current = session();
  if (current && current.expiresAt - Date.now() > 60_000) return current.idToken;
  if (current?.refreshToken) {
    refreshing ||= cognito('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: config.clientId,
      AuthParameters: { REFRESH_TOKEN: current.refreshToken },
    })
      .then((result) => saveSession(result.AuthenticationResult))
      .catch(() => null)
      .finally(() => { refreshing = null; });
    await refreshing;
    const renewed = session();
    if (renewed && renewed.expiresAt - Date.now() > 60_000) return renewed.idToken;
  }
  await requireSignIn(current ? 'Your session has expired. Sign in again to carry on.' : '');
  return session().idToken;
}

// --- the API -------------------------------------------------------------------------------

async function api(method, path, body) {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const token = await idToken();
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      return { status: 0, body: { Message: 'The service cannot be reached.' } };
    }
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && attempt === 0) {
      const stale = session();
      if (stale) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...stale, expiresAt: 0 }));
      continue; // refresh, or ask to sign in again, then retry once
    }
    return { status: response.status, body: data };
  }
  return { status: 401, body: { Message: 'Not signed in.' } };
}

// --- the moderators' room ------------------------------------------------------------------

let socket = null;
let attempts = 0;
let reconnectTimer = null;

function setConnection(state, text) {
  const status = $('#connection');
  status.dataset.state = state;
  status.textContent = text;
}

async function connectChat() {
  clearTimeout(reconnectTimer);
  setConnection(attempts ? 'reconnecting' : 'connecting', attempts ? 'Reconnecting…' : 'Connecting…');
  const { status, body } = await api('POST', 'chat-token');
  if (status !== 200) {
    scheduleReconnect(body.Message || `chat token refused (${status})`);
    return;
  }
  // A token connects once: every (re)connection asks for a fresh one.
  const ws = new WebSocket(body.endpoint, body.token);
  socket = ws;
  ws.addEventListener('open', () => {
    attempts = 0;
    setConnection('live', 'Live');
  });
  ws.addEventListener('message', (message) => {
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (frame.Type === 'EVENT' && frame.EventName === 'STREAM_MODERATION') showAlert(frame.Attributes);
  });
  ws.addEventListener('close', () => {
    if (socket === ws) scheduleReconnect('the connection was closed');
  });
}

function scheduleReconnect(why) {
  socket = null;
  attempts += 1;
  const delay = Math.min(30, 2 ** (attempts - 1));
  if (attempts > MAX_QUIET_ATTEMPTS) {
    setConnection('offline', `Could not reconnect (${why}). Trying again in ${delay} s.`);
  } else {
    setConnection('reconnecting', `Reconnecting in ${delay} s…`);
  }
  reconnectTimer = setTimeout(connectChat, delay * 1000);
}

// --- alerts --------------------------------------------------------------------------------

function severity(decision, confidence) {
  if (decision === 'auto-stop') return 'critical';
  return confidence >= 95 ? 'high' : 'medium';
}

const SEVERITY_RANK = { medium: 0, high: 1, critical: 2 };

function channelName(arn) {
  return arn.split('/').pop();
}

function channelCard(arn) {
  let channel = channels.get(arn);
  if (!channel) {
    const card = $('#channel-template').content.firstElementChild.cloneNode(true);
    card.dataset.channel = arn;
    card.dataset.state = 'live';
    $('.channel-name', card).textContent = channelName(arn);
    $('.channel-name', card).title = arn;
    $('.channel-state', card).textContent = 'Live';
    $('.stop', card).addEventListener('click', () => openStopDialog(arn));
    channel = { card, alerts: new Set(), severity: 'medium' };
    channels.set(arn, channel);
    addHistoryChannel(arn);
  }
  return channel;
}

function setChannelState(channel, state, text) {
  channel.card.dataset.state = state;
  $('.channel-state', channel.card).textContent = text;
}

function showAlert(attributes) {
  const channel = channelCard(attributes.channelArn);
  if (channel.alerts.has(attributes.decisionId)) return; // delivered twice
  channel.alerts.add(attributes.decisionId);
  const confidence = Number(attributes.topConfidence);
  const level = severity(attributes.decision, confidence);
  const item = $('#alert-template').content.firstElementChild.cloneNode(true);
  item.classList.add(`sev-${level}`, 'new');
  item.dataset.decision = attributes.decisionId;
  $('.top-label', item).textContent = attributes.topLabel;
  $('.top-confidence', item).textContent = `${confidence.toFixed(1)}%`;
  $('.category', item).textContent = attributes.topCategory;
  const time = $('.frame-time', item);
  time.dateTime = attributes.frameTime;
  time.textContent = new Date(attributes.frameTime).toLocaleTimeString();
  $('.action', item).textContent = describeAction(attributes);
  const img = $('.frame', item);
  img.alt = `Frame of ${channelName(attributes.channelArn)}: ${attributes.topLabel}`;
  loadFrame(img, attributes.thumbnailKey);

  let labels = [];
  try {
    labels = JSON.parse(attributes.labels || '[]');
  } catch {
    labels = [];
  }
  const list = $('.labels', item);
  for (const [name, parent, value] of labels) {
    const row = document.createElement('li');
    row.innerHTML = '<span class="name"></span><span class="bar"><span></span></span><span class="value"></span>';
    $('.name', row).textContent = name;
    $('.name', row).title = parent ? `${name} (${parent})` : name;
    $('.bar span', row).style.width = `${Math.max(0, Math.min(100, value))}%`;
    $('.value', row).textContent = `${Number(value).toFixed(1)}%`;
    list.append(row);
  }
  const hidden = Number(attributes.labelCount || labels.length) - labels.length;
  if (hidden > 0) {
    const more = document.createElement('li');
    more.textContent = `+${hidden} more`;
    list.append(more);
  }

  $('.alerts', channel.card).prepend(item);
  if (SEVERITY_RANK[level] > SEVERITY_RANK[channel.severity]) channel.severity = level;
  channel.card.classList.remove('sev-medium', 'sev-high', 'sev-critical');
  channel.card.classList.add(`sev-${channel.severity}`);
  if (attributes.decision === 'auto-stop') {
    const stopped = ['stopped', 'already-offline'].includes(attributes.action);
    setChannelState(channel, stopped ? 'auto-stopped' : 'live',
      stopped ? 'Stopped automatically by policy' : 'Automatic stop FAILED: stop it by hand');
  } else if (channel.card.dataset.state !== 'live' && channel.card.dataset.state !== 'stopping') {
    setChannelState(channel, 'live', 'Live again');
  }
  $('#channels').prepend(channel.card); // the channel with the newest alert comes first
  $('#no-alerts').hidden = true;
  setTimeout(() => item.classList.remove('new'), 4000);
}

function describeAction(attributes) {
  switch (attributes.action) {
    case 'stopped':
      return attributes.streamKeysRevoked !== '0' ? 'Stream stopped, key revoked' : 'Stream stopped';
    case 'already-offline':
      return 'Stream was already offline';
    case 'stop-failed':
      return 'Automatic stop failed';
    default:
      return '';
  }
}

async function loadFrame(img, key) {
  const { status, body } = await api('GET', `frames?key=${encodeURIComponent(key)}`);
  if (status === 200) img.src = body.frameUrl;
  else img.alt = `Frame not available (${body.Message || status})`;
}

// --- Stop stream ---------------------------------------------------------------------------

let stopTarget = null;
let stopInFlight = false;

function openStopDialog(arn) {
  stopTarget = arn;
  $('#stop-channel').textContent = channelName(arn);
  $('#stop-reason').value = '';
  $('#stop-revoke').checked = false;
  $('#stop-dialog').showModal();
  $('#stop-reason').focus();
}

const STOP_RESULTS = {
  200: ['stopped', 'Stopped.'],
  409: ['already-offline', 'Already offline: there was no stream to stop.'],
  403: ['not-allowed', 'Not allowed'],
};

async function confirmStop(event) {
  event.preventDefault();
  if (stopInFlight || !$('#stop-form').reportValidity()) return; // a double click sends one request
  stopInFlight = true;
  const arn = stopTarget;
  const channel = channelCard(arn);
  const button = $('.stop', channel.card);
  const outcome = $('.stop-outcome', channel.card);
  const request = {
    channelArn: arn,
    reason: $('#stop-reason').value.trim(),
    revokeStreamKey: $('#stop-revoke').checked,
  };
  $('#stop-dialog').close();
  button.disabled = true;
  button.textContent = 'Stopping…';
  const before = channel.card.dataset.state;
  setChannelState(channel, 'stopping', 'Stopping…');
  outcome.textContent = '';
  try {
    const { status, body } = await api('POST', 'stop-stream', request);
    const [result, text] = STOP_RESULTS[status] || ['failed', 'Failed'];
    outcome.dataset.result = result;
    if (status === 200) {
      const revoked = body.streamKeysRevoked ? `, stream key revoked` : '';
      outcome.textContent = `Stopped by ${body.stoppedBy}${revoked}.`;
      setChannelState(channel, 'stopped', 'Stopped by a moderator');
    } else if (status === 409) {
      outcome.textContent = text;
      setChannelState(channel, 'stopped', 'Offline');
    } else if (status === 403) {
      outcome.textContent = `${text}: ${body.Message}`;
      setChannelState(channel, before, before === 'live' ? 'Live' : $('.channel-state', channel.card).textContent);
    } else {
      outcome.textContent = `Failed: ${body.Message || 'no answer'}. Try again.`;
      setChannelState(channel, before, 'Live');
    }
  } finally {
    stopInFlight = false;
    button.disabled = false;
    button.textContent = 'Stop stream';
  }
}

// --- history -------------------------------------------------------------------------------

let historyCursor = null;

function addHistoryChannel(arn) {
  const select = $('#history-channel');
  if ([...select.options].some((option) => option.value === arn)) return;
  select.append(new Option(channelName(arn), arn));
}

async function loadHistory(more = false) {
  const rows = $('#history-rows');
  const params = new URLSearchParams({ limit: '25' });
  if (more && historyCursor) params.set('cursor', historyCursor);
  else if ($('#history-channel').value) params.set('channelArn', $('#history-channel').value);
  if (!more) rows.textContent = '';
  $('#history-status').textContent = 'Loading…';
  const { status, body } = await api('GET', `decisions?${params}`);
  if (status !== 200) {
    $('#history-status').textContent = `Could not load the history: ${body.Message || status}`;
    return;
  }
  for (const item of body.items) rows.append(historyRow(item));
  historyCursor = body.nextCursor;
  $('#history-more').hidden = !historyCursor;
  $('#history-status').textContent = rows.children.length ? '' : 'Nothing in the last 24 hours.';
}

function historyRow(item) {
  const row = document.createElement('tr');
  row.dataset.kind = item.kind;
  const when = item.kind === 'stop' ? item.at : item.frameTime;
  let what;
  let details;
  if (item.kind === 'stop') {
    what = `Stop: ${item.outcome}`;
    details = `by ${item.moderatorName} — “${item.reason}”${item.streamKeysRevoked ? ', key revoked' : ''}`;
  } else {
    what = item.decision;
    details = item.topLabel ? `${item.topLabel} ${Number(item.topConfidence).toFixed(1)}%` : '';
    if (item.action && item.action !== 'none') details += ` — ${item.action}`;
    if (item.unscannableReason) details = item.unscannableReason;
  }
  for (const text of [new Date(when).toLocaleString(), channelName(item.channelArn), what, details]) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
  return row;
}

// --- page ----------------------------------------------------------------------------------

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(`#${other.getAttribute('aria-controls')}`).hidden = !selected;
  }
  if (tab.id === 'tab-history') loadHistory();
}

function wireTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => selectTab(tab));
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next);
    });
  });
}

async function start() {
  const response = await fetch('config');
  config = await response.json();
  wireTabs();
  $('#sign-in-form').addEventListener('submit', submitSignIn);
  $('#sign-in').addEventListener('cancel', (event) => event.preventDefault()); // sign-in is required
  $('#stop-form').addEventListener('submit', confirmStop);
  $('#stop-cancel').addEventListener('click', () => $('#stop-dialog').close());
  $('#history-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    loadHistory();
  });
  $('#history-more').addEventListener('click', () => loadHistory(true));
  $('#sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(SESSION_KEY);
    window.location.reload();
  });
  if (session()) {
    $('#username').textContent = session().username;
    $('#sign-out').hidden = false;
  }
  await idToken();
  connectChat();
}

start();
