// One incident of the queue, built from its state: channel and live state, severity, the
// strongest labels, age against the target, frames, content types, who holds it or how it
// ended (claims.js: held by someone else), the latest frame (blurred), and the actions its
// state allows the signed-in moderator. A chat incident's
// card is chatcard.js's.

import { chatCard, chatSignature } from './chatcard.js';
import { claimLine } from './claims.js';
import { age, channelName, frameCount, standing } from './describe.js';
import { h } from './dom.js';
import { capitalised } from './format.js';
import { frameImage } from './frames.js';
import { isBlind } from './sync.js';
import { openIncident } from './lightbox.js';
import { actionBar, labelList, pickBox } from './parts.js';
import { policyLine, watchBadge } from './applied.js';
import { ageText } from './ticker.js';
import { update } from './store.js';

/** The inputs a card is built from: when they are unchanged, so is the card. */
export function signature(incident, s) {
  if (incident.kind === 'chat') return chatSignature(incident, s);
  const channel = s.channels.get(incident.channelArn);
  return JSON.stringify([
    incident.version, channel?.name, channel?.live, isBlind(channel, s.now),
    s.pending.get(incident.incidentId), s.notices.get(incident.incidentId),
    s.settings.blurFrames, s.picked.has(incident.incidentId), age(incident, s.now, s.config).urgent,
    incident.policy, incident.policyVersion, incident.policyWhy, watchOf(incident, channel),
  ]);
}

/** The channel's watchlist standing: the incident's answer's, else the channel's. */
function watchOf(incident, channel) {
  return incident.watchlisted || channel?.watchlisted || null;
}

export function incidentCard(incident, s) {
  if (incident.kind === 'chat') return chatCard(incident, s);
  const id = incident.incidentId;
  const channel = s.channels.get(incident.channelArn);
  const name = channelName(incident, channel);
  const { text: since, urgent } = ageText(incident, Date.now(), s.config);
  const notice = s.notices.get(id);
  const resolved = incident.state === 'resolved';
  return h('li', {
    class: ['incident', `sev-${incident.severity}`, `state-${incident.state}`,
      resolved && `resolution-${incident.resolution}`, urgent && 'urgent'],
    dataset: { incident: id, state: incident.state, resolution: incident.resolution || '' },
  }, h('article', {
    class: 'card',
    tabIndex: -1, // the queue makes the selected card the one tab stop
    'aria-labelledby': `title-${id}`,
    'aria-describedby': `standing-${id}`,
    onfocusin: () => { if (s.selectedId !== id) update((next) => { next.selectedId = id; }); },
  },
  h('button', {
    type: 'button', class: 'thumb', title: 'Open the frames (o)',
    'aria-label': `Open the frames of ${name}`, onclick: () => openIncident(id),
  }, incident.latestFrameKey
    ? frameImage({ key: incident.latestFrameKey, alt: `Latest frame of ${name}`, blurred: s.settings.blurFrames })
    : h('span', { class: 'frame missing' }, 'No frame')),
  h('div', { class: 'card-body' },
    h('header', { class: 'card-head' },
      pickBox(incident, s, name),
      h('h2', { id: `title-${id}`, class: 'channel-name' }, name),
      liveBadge(channel),
      watchBadge(watchOf(incident, channel)),
      h('span', { class: 'severity' }, `${capitalised(incident.severity)} severity`)),
    labelList(incident),
    h('p', { class: 'facts' },
      h('span', { class: ['age', urgent && 'urgent'], dataset: { ageOf: id } }, since),
      h('span', {}, frameCount(incident)),
      incident.contentTypes.map((type) => h('span', { class: 'content-type' }, type))),
    incident.policy ? h('p', { class: 'policy' }, policyLine(incident)) : null,
    h('p', { class: 'standing', id: `standing-${id}` }, standing(incident, s.user),
      incident.resolutionNote ? h('q', { class: 'note' }, incident.resolutionNote) : null),
    claimLine(incident, s.user),
    incident.autoStop === 'stop-failed' && !resolved
      ? h('p', { class: 'warning' }, 'The automatic stop failed: stop it by hand.') : null,
    isBlind(channel, s.now)
      ? h('p', { class: 'warning' }, 'Frames of this channel are failing: nobody sees them.') : null,
    notice ? h('p', { class: ['notice', `notice-${notice.tone}`] }, notice.text) : null,
    actionBar(incident, s))));
}

function liveBadge(channel) {
  if (channel?.live === true) return h('span', { class: 'badge live' }, 'Live');
  if (channel?.live === false) return h('span', { class: 'badge offline' }, 'Offline');
  return null;
}
