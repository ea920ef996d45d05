// The dashboard's state, in one place. Modules change it through update(); views subscribe
// and build their part of the DOM from it.

import { loadSettings } from './settings.js';

export const state = {
  config: null, // GET /config: region, userPoolId, clientId, cognitoEndpoint (slaMinutes, when set)
  teams: [], // GET /teams: the teams an incident may be escalated to
  user: '', // the signed-in username
  me: null, // GET /me: {username, role, may, limits} (roles.js); null until it answers
  access: 'unknown', // 'moderator' once the API agreed; 'denied' for a non-moderator
  view: 'queue', // queue | history | stats | terms | policies
  connection: { state: 'offline', text: 'Not connected' },
  incidents: new Map(), // incidentId -> incident (incidents.js), the highest version seen
  channels: new Map(), // channelArn -> {channelArn, name, live, stateAt, blind}
  synced: null, // when GET /incidents last answered (ms)
  syncError: '',
  truncated: false,
  filters: { state: 'all', channel: '', category: '', holder: '', kind: '', q: '' },
  sort: 'urgency', // urgency.js SORTS
  picked: new Set(), // incidentIds ticked for a bulk action
  bulk: null, // {action, running, results: [{incidentId, name, tone, text}]} (bulk.js)
  selectedId: null, // the incident the keyboard acts on
  pending: new Map(), // incidentId -> the action in flight (one at a time)
  notices: new Map(), // incidentId -> {tone: 'ok' | 'conflict' | 'error', text}
  details: new Map(), // incidentId -> GET /incidents/{id} (frames with links, trail)
  lightbox: null, // {incidentId, frame (index), revealed}
  settings: loadSettings(),
  now: Date.now(), // ticks every 15 s, for the order by urgency (ages tick on their own: ticker.js)
  seq: 0, // counts applied live events (a sync keeps what arrived while it was in flight)
  history: {
    filters: {
      channelArn: '', hours: 24, kinds: ['frame', 'incident', 'stop'],
      decisions: ['alert', 'auto-stop', 'unscannable', 'failed'], clean: false,
    },
    items: [], cursor: null, loading: false, error: '', loaded: false,
  },
  stats: { hours: 168, data: null, loading: false, error: '' },
  terms: { roomArn: '*', items: [], loading: false, loaded: false, error: '', message: '' },
  policies: { // policies.js, watchlist.js (the editor keeps its own form: policyeditor.js)
    items: [], default: null, watchPolicy: null, refreshSeconds: null, loading: false, loaded: false, error: '',
    watchlist: [], watchlistLoaded: false, message: '',
    applies: { channelArn: '', answer: null, error: '' }, // "which policy applies to …?"
  },
};

const listeners = new Set();
let scheduled = false;

export function subscribe(listener) {
  listeners.add(listener);
}

/** Change the state; every view renders once after this task's changes. */
export function update(change) {
  change(state);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    for (const listener of listeners) listener(state);
  });
}
