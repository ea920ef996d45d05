// Keeping the queue complete: GET /incidents and GET /channels on sign-in, on every
// (re)connection and every SYNC_SECONDS (events are best effort), and each schema-v2
// STREAM_MODERATION event applied as it arrives.

import { alertNew } from './alerts.js';
import { get } from './api.js';
import { handover } from './claims.js';
import { subject } from './describe.js';
import { announce } from './dom.js';
import { channelLabel, percent } from './format.js';
import { appliedOf } from './applied.js';
import { fromApi, fromEvent, isNewer } from './incidents.js';
import { state, update } from './store.js';

const SYNC_SECONDS = 30;
const BLIND_MINUTES = 10; // how long a frames-failed notice stays without a new one
let inFlight = null;

/** Load the queue and the channels; 'denied' when the API says this is no moderator. */
export function sync() {
  inFlight ||= load().finally(() => { inFlight = null; });
  return inFlight;
}

async function load() {
  const since = state.seq;
  const [incidents, channels] = await Promise.all([get('incidents'), get('channels')]);
  if (incidents.status === 403 || channels.status === 403) return 'denied';
  // What the role may do (roles.js): asked once per signed-in user.
  const me = state.me?.username === state.user ? { status: 0 } : await get('me');
  update((s) => {
    s.access = 'moderator';
    if (me.status === 200) s.me = me.body;
    if (channels.status === 200) {
      for (const item of channels.body.items) {
        const known = s.channels.get(item.channelArn) || {};
        s.channels.set(item.channelArn, {
          ...known,
          channelArn: item.channelArn,
          name: item.name || known.name || '',
          // An event that arrived while this answer was on its way is newer than it.
          live: typeof item.live === 'boolean' && !(known.seq > since) ? item.live : known.live,
          activeIncidents: item.activeIncidents,
          // the policy that applies to it, and its watchlist standing (docs/policies.md)
          ...appliedOf(item),
          watchlisted: item.watchlisted || null,
        });
      }
    }
    if (incidents.status !== 200) {
      s.syncError = `The queue could not be loaded: ${incidents.body?.Message || 'no answer'}.`;
      return;
    }
    s.syncError = '';
    const listed = new Set();
    for (const item of incidents.body.items) {
      const incident = fromApi(item);
      listed.add(incident.incidentId);
      const previous = s.incidents.get(incident.incidentId);
      if (isNewer(incident, previous, true)) {
        s.incidents.set(incident.incidentId, { ...incident, seq: previous?.seq || 0 });
        tellHandover(s, previous, incident); // its event was missed
      }
      noteChannel(s, incident);
      if (s.synced && !previous && incident.state !== 'resolved') alertNew(incident); // its event was missed
    }
    s.truncated = Boolean(incidents.body.truncated);
    if (!s.truncated) {
      // Gone from the queue (resolved over 24 h ago), unless an event told of it meanwhile.
      for (const [id, incident] of s.incidents) {
        if (!listed.has(id) && incident.seq <= since && s.lightbox?.incidentId !== id) s.incidents.delete(id);
      }
    }
    s.synced = Date.now();
  });
  return 'ok';
}

function noteChannel(s, incident) {
  const known = s.channels.get(incident.channelArn);
  if (!known) s.channels.set(incident.channelArn, { channelArn: incident.channelArn, name: incident.channelName });
  else if (!known.name && incident.channelName) known.name = incident.channelName;
}

/** Keep an API answer's incident (an action's, GET /incidents/{id}) if it is at least as
 * new as the one shown; the incident shown. */
export function keep(item) {
  const incident = fromApi(item);
  update((s) => {
    const previous = s.incidents.get(incident.incidentId);
    if (isNewer(incident, previous, true)) s.incidents.set(incident.incidentId, { ...incident, seq: previous?.seq || 0 });
  });
  return state.incidents.get(incident.incidentId);
}

/** One STREAM_MODERATION event's attributes. */
export function applyEvent(attributes) {
  if (attributes.schemaVersion !== '2') return; // version 1 (per frame) is no longer sent
  const type = attributes.type;
  if (type === 'channel-state') {
    update((s) => channelState(s, attributes));
  } else if (type === 'frames-failed') {
    update((s) => framesFailed(s, attributes));
  } else if (attributes.incidentId && type?.startsWith('incident-')) {
    update((s) => incidentEvent(s, attributes));
  }
}

function incidentEvent(s, attributes) {
  const previous = s.incidents.get(attributes.incidentId);
  const incident = fromEvent(attributes, previous);
  if (!isNewer(incident, previous, false)) return; // late or repeated: a newer one is shown
  s.seq += 1;
  s.incidents.set(incident.incidentId, { ...incident, seq: s.seq });
  noteChannel(s, incident);
  tellHandover(s, previous, incident);
  if (!previous && incident.state !== 'resolved') {
    const name = subject(incident, s.channels.get(incident.channelArn));
    const what = incident.kind === 'chat' ? 'chat incident' : 'incident';
    announce(`New ${what} on ${name}: ${incident.topLabel} ${percent(incident.topConfidence)}, ${incident.severity} severity.`);
    alertNew(incident);
  }
  if (previous?.version !== incident.version) s.details.delete(incident.incidentId);
}

/** An incident of mine taken over (or given to me) by someone else: said on its card at once. */
function tellHandover(s, previous, incident) {
  const told = handover(previous, incident, s.user);
  if (!told) return;
  s.notices.set(incident.incidentId, { tone: 'conflict', text: told });
  announce(`${subject(incident, s.channels.get(incident.channelArn))}: ${told}`);
}

function channelState(s, attributes) {
  const known = s.channels.get(attributes.channelArn) || { channelArn: attributes.channelArn };
  if (known.stateAt && known.stateAt > attributes.eventTime) return; // an older event, late
  s.seq += 1;
  s.channels.set(attributes.channelArn, {
    ...known,
    name: attributes.channelName || known.name || '',
    live: attributes.live === 'true',
    stateAt: attributes.eventTime,
    seq: s.seq,
  });
}

function framesFailed(s, attributes) {
  const known = s.channels.get(attributes.channelArn) || { channelArn: attributes.channelArn };
  const blind = isBlind(known, Date.now()) ? known.blind : { since: attributes.eventTime };
  s.channels.set(attributes.channelArn, {
    ...known,
    name: attributes.channelName || known.name || '',
    blind: {
      ...blind,
      last: attributes.eventTime,
      error: attributes.error || '',
      attempts: attributes.attempts || '',
      frameTime: attributes.frameTime || '',
      dismissed: false,
    },
  });
  const name = channelLabel(attributes.channelArn, attributes.channelName);
  announce(`Frames of ${name} could not be moderated.`);
}

/** Whether a channel's frames-failed notice still stands. */
export function isBlind(channel, now) {
  const blind = channel?.blind;
  return Boolean(blind && !blind.dismissed
    && now - new Date(blind.last).getTime() < BLIND_MINUTES * 60_000);
}

/** Re-sync every SYNC_SECONDS, and tick the clock that ages incidents. */
export function keepCurrent() {
  setInterval(() => {
    if (state.access === 'moderator') sync(); // also while reconnecting: the queue stays fresh
  }, SYNC_SECONDS * 1000);
  setInterval(() => update((s) => { s.now = Date.now(); }), 15_000);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.access === 'moderator') sync();
  });
}
