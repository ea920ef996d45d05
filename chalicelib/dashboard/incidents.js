// Incidents as the dashboard keeps them: one shape from GET /incidents and from schema-v2
// STREAM_MODERATION events, merged by incidentId keeping the highest version. Chat
// incidents have fields of their own (chatmodel.js).

import { chatActionsFor, chatFields } from './chatmodel.js';
import { appliedOf } from './applied.js';
import { permitted } from './roles.js';

export const CATEGORIES = [
  'Explicit', 'Non-Explicit Nudity of Intimate parts and Kissing', 'Swimwear or Underwear',
  'Violence', 'Visually Disturbing', 'Rude Gestures', 'Drugs & Tobacco', 'Alcohol', 'Gambling',
  'Hate Symbols',
];

/** The policy that decided its frames (docs/policies.md), and the channel's watchlist standing;
 * an event that does not carry them keeps what was known. */
function policyFields(item, previous) {
  let watchlisted = item.watchlisted ?? previous?.watchlisted ?? null;
  if (typeof watchlisted === 'string') watchlisted = watchlisted ? { until: watchlisted } : null; // an event's attribute
  const applied = appliedOf(item);
  return {
    policy: applied.policy || previous?.policy || '',
    policyVersion: applied.policy ? applied.policyVersion : previous?.policyVersion ?? '',
    policyWhy: applied.policy ? applied.policyWhy : previous?.policyWhy || '',
    watchlisted,
  };
}

const list = (text) => String(text || '').split(',').map((part) => part.trim()).filter(Boolean);

function strongestFirst(categories) {
  return categories.sort((a, b) => b.confidence - a.confidence || a.category.localeCompare(b.category));
}

/** An incident of GET /incidents (or of an action's answer). */
export function fromApi(item) {
  const trail = item.trail || [];
  const last = trail.at(-1) || {};
  // A stop's reason is the note of its trail entry (only dismiss, warn, escalate keep one).
  const resolved = trail.findLast((entry) => String(entry.action).startsWith('resolved:'));
  return {
    incidentId: item.incidentId,
    version: Number(item.version),
    channelArn: item.channelArn,
    channelName: item.channelName || '',
    sessionId: item.sessionId || '',
    state: item.state,
    resolution: item.resolution || '',
    severity: item.severity || 'medium',
    topLabel: item.topLabel || '',
    topCategory: item.topCategory || '',
    topConfidence: Number(item.topConfidence || 0),
    categories: strongestFirst(Object.entries(item.categories || {}).map(([category, entry]) => (
      { category, label: entry.label, confidence: Number(entry.confidence) }))),
    contentTypes: item.contentTypes || [],
    frameCount: Number(item.frameCount || 0),
    openedAt: item.openedAt || '',
    firstFrameTime: item.firstFrameTime || '',
    lastFrameTime: item.lastFrameTime || '',
    latestFrameKey: item.latestFrameKey || '',
    acknowledgedBy: item.acknowledgedBy || '',
    acknowledgedAt: item.acknowledgedAt || '',
    assignedTo: item.assignedTo || '',
    assignedAt: item.assignedAt || '',
    resolvedBy: item.resolvedBy || '',
    resolvedAt: item.resolvedAt || '',
    resolutionNote: item.resolutionNote || (item.state === 'resolved' && resolved?.note) || '',
    dismissedLabels: item.dismissedLabels || [],
    escalatedTo: item.escalatedTo || '',
    autoStop: item.autoStop?.action || '',
    streamEndedAt: item.streamEndedAt || '',
    lastActor: last.by || '',
    lastAction: last.action || '',
    lastAt: last.at || '',
    lastNote: last.note || '',
    ...policyFields(item),
    ...chatFields(item),
  };
}

/** The incident an event describes (its attributes are strings; empty ones are left out,
 * and the least needed may have been dropped to fit 1 KB: `previous` fills those in). */
export function fromEvent(a, previous) {
  let categories = [];
  try {
    categories = JSON.parse(a.categories || '[]').map(([category, label, confidence]) => (
      { category, label, confidence: Number(confidence) }));
  } catch {
    categories = [];
  }
  for (const known of previous?.categories || []) { // categories only grow
    if (!categories.some((entry) => entry.category === known.category)) categories.push(known);
  }
  const state = a.state || previous?.state || 'open';
  const resolution = a.resolution || '';
  const same = (field) => previous && previous[field] === (a[field] || '') ? previous : null;
  const acted = a.actedAt || a.eventTime || '';
  return {
    incidentId: a.incidentId,
    version: Number(a.incidentVersion),
    channelArn: a.channelArn,
    channelName: a.channelName || previous?.channelName || '',
    sessionId: a.sessionId || previous?.sessionId || '',
    state,
    resolution,
    severity: a.severity || previous?.severity || 'medium',
    topLabel: a.topLabel || previous?.topLabel || '',
    topCategory: a.topCategory || previous?.topCategory || '',
    topConfidence: Number(a.topConfidence || previous?.topConfidence || 0),
    categories: strongestFirst(categories),
    contentTypes: a.contentTypes ? list(a.contentTypes) : previous?.contentTypes || [],
    frameCount: Number(a.frameCount || previous?.frameCount || 0),
    openedAt: a.openedAt || previous?.openedAt || '',
    firstFrameTime: a.firstFrameTime || previous?.firstFrameTime || '',
    lastFrameTime: a.lastFrameTime || previous?.lastFrameTime || '',
    latestFrameKey: a.latestFrameKey || previous?.latestFrameKey || '',
    acknowledgedBy: a.acknowledgedBy || '',
    acknowledgedAt: a.acknowledgedAt || (a.type === 'incident-acknowledged' ? acted
      : same('acknowledgedBy')?.acknowledgedAt || ''),
    assignedTo: a.assignedTo || '',
    // Events carry no assignedAt: a change of holder is this event's own (claims.js).
    assignedAt: ['incident-acknowledged', 'incident-assigned'].includes(a.type) && a.assignedTo ? acted
      : (a.assignedTo && same('assignedTo')?.assignedAt) || '',
    resolvedBy: a.resolvedBy || '',
    resolvedAt: a.type === 'incident-resolved' ? acted
      : (state === 'resolved' && same('resolvedBy')?.resolvedAt) || '',
    resolutionNote: a.type === 'incident-resolved' ? a.note || ''
      : (state === 'resolved' && same('resolution')?.resolutionNote) || '',
    dismissedLabels: a.dismissedLabels ? list(a.dismissedLabels)
      : (resolution === 'dismissed' && previous?.dismissedLabels) || [],
    escalatedTo: a.escalatedTo || (resolution === 'escalated' && previous?.escalatedTo) || '',
    autoStop: a.autoStop || previous?.autoStop || '',
    streamEndedAt: state !== 'resolved' && a.actor === 'system' && a.type === 'incident-updated'
      ? acted : (state !== 'resolved' && previous?.streamEndedAt) || '',
    lastActor: a.actor || previous?.lastActor || '',
    lastAction: a.actor ? a.type.replace('incident-', '') : previous?.lastAction || '',
    lastAt: a.actor ? acted : previous?.lastAt || '',
    lastNote: a.actor ? a.note || '' : previous?.lastNote || '',
    ...policyFields(a, previous),
    ...chatFields(a, previous),
  };
}

/** Whether `next` replaces `previous`: a newer version always; the API's answer also at the
 * same version (it is complete, an event may have been shortened). */
export function isNewer(next, previous, fromApiAnswer) {
  if (!previous) return true;
  return fromApiAnswer ? next.version >= previous.version : next.version > previous.version;
}

export const STATE_FILTERS = {
  all: 'Everything (with the last 24 h resolved)',
  active: 'To handle (open, acknowledged, escalated)',
  open: 'Open (nobody has it)',
  acknowledged: 'Acknowledged',
  escalated: 'Escalated',
  resolved: 'Resolved',
};

export function isActive(incident) {
  return incident.state !== 'resolved' || incident.resolution === 'escalated';
}

export const HOLDER_FILTERS = { '': 'Anyone', mine: 'Mine', unassigned: 'Nobody (unassigned)' };
export const KIND_FILTERS = { '': 'Frames and chat', frame: 'Frames', chat: 'Chat' };

/** Who holds an incident (the server's incidents/claims.py): while it is acknowledged, whom
 * it is assigned to (else who acknowledged it); nobody otherwise. */
export function holderOf(incident) {
  if (incident.state !== 'acknowledged') return '';
  return incident.assignedTo || incident.acknowledgedBy || '';
}

/** What a search matches: the channel's name or id, the incident id, a chat user or room. */
function found(incident, channelName, query) {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [channelName, incident.channelArn, incident.incidentId, incident.userId, incident.roomName, incident.roomArn]
    .some((text) => String(text || '').toLowerCase().includes(q));
}

export function matches(incident, filters, channelName, me = '') {
  const byState = {
    all: true,
    active: isActive(incident),
    open: incident.state === 'open',
    acknowledged: incident.state === 'acknowledged',
    escalated: incident.resolution === 'escalated',
    resolved: incident.state === 'resolved' && incident.resolution !== 'escalated',
  }[filters.state] ?? true;
  const holder = holderOf(incident);
  const byHolder = {
    mine: Boolean(me) && holder === me,
    unassigned: incident.state !== 'resolved' && !holder,
  }[filters.holder] ?? true;
  const kind = incident.kind === 'chat' ? 'chat' : 'frame';
  return byState && byHolder
    && (!filters.kind || filters.kind === kind)
    && (!filters.channel || channelName === filters.channel)
    && (!filters.category || incident.categories.some((entry) => entry.category === filters.category))
    && found(incident, channelName, filters.q || '');
}

/** What moderator `me` can do with it now. An incident someone else holds can only be taken
 * over (anything else is a 409 naming them); the holder may also assign or release it. No
 * Stop on a channel known to be offline. A chat incident's depend on its detail (GET
 * /incidents/{id}): its user's ban, their messages. */
export function actionsFor(incident, channel, detail, me = '', role = null) {
  const holder = holderOf(incident);
  if (holder && holder !== me) return permitted(['takeover'], role);
  const actions = incident.kind === 'chat' ? chatActionsFor(incident, detail) : frameActionsFor(incident, channel);
  if (holder) actions.push('assign', 'release');
  return permitted(actions, role); // what the signed-in role may do (roles.js)
}

function frameActionsFor(incident, channel) {
  const escalated = incident.state === 'resolved' && incident.resolution === 'escalated';
  // The team an incident was escalated to settles it directly (dismiss, warn, stop).
  if (incident.state === 'resolved' && !escalated) return ['reopen'];
  const actions = incident.state === 'open' ? ['acknowledge'] : [];
  actions.push('dismiss', 'warn');
  if (!escalated) actions.push('escalate');
  if (channel?.live !== false) actions.push('stop');
  if (escalated) actions.push('reopen');
  return actions;
}
