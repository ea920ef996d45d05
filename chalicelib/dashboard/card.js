// One incident of the queue, built from its state: channel and live state, severity, the
// strongest labels, age against the target, frames, content types, who holds it or how it
// ended, the latest frame (blurred), and the actions its state allows.

import { ACTIONS, startAction } from './actions.js';
import { age, channelName, frameCount, standing } from './describe.js';
import { h } from './dom.js';
import { capitalised, percent } from './format.js';
import { frameImage } from './frames.js';
import { actionsFor } from './incidents.js';
import { isBlind } from './sync.js';
import { openIncident } from './lightbox.js';
import { update } from './store.js';

/** The inputs a card is built from: when they are unchanged, so is the card. */
export function signature(incident, s) {
  const channel = s.channels.get(incident.channelArn);
  const { text, urgent } = age(incident, s.now, s.settings.urgentMinutes);
  return JSON.stringify([
    incident.version, channel?.name, channel?.live, isBlind(channel, s.now),
    s.pending.get(incident.incidentId), s.notices.get(incident.incidentId),
    s.settings, text, urgent,
  ]);
}

export function incidentCard(incident, s) {
  const id = incident.incidentId;
  const channel = s.channels.get(incident.channelArn);
  const name = channelName(incident, channel);
  const { text: ageText, urgent } = age(incident, s.now, s.settings.urgentMinutes);
  const pending = s.pending.get(id);
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
      h('h2', { id: `title-${id}`, class: 'channel-name' }, name),
      liveBadge(channel),
      h('span', { class: 'severity' }, `${capitalised(incident.severity)} severity`)),
    labelList(incident),
    h('p', { class: 'facts' },
      h('span', { class: ['age', urgent && 'urgent'] }, urgent ? 'Urgent: ' : '', ageText),
      h('span', {}, frameCount(incident)),
      incident.contentTypes.map((type) => h('span', { class: 'content-type' }, type))),
    h('p', { class: 'standing', id: `standing-${id}` }, standing(incident, s.user),
      incident.resolutionNote ? h('q', { class: 'note' }, incident.resolutionNote) : null),
    incident.autoStop === 'stop-failed' && !resolved
      ? h('p', { class: 'warning' }, 'The automatic stop failed: stop it by hand.') : null,
    isBlind(channel, s.now)
      ? h('p', { class: 'warning' }, 'Frames of this channel are failing: nobody sees them.') : null,
    notice ? h('p', { class: ['notice', `notice-${notice.tone}`] }, notice.text) : null,
    actionBar(incident, channel, pending))));
}

function liveBadge(channel) {
  if (channel?.live === true) return h('span', { class: 'badge live' }, 'Live');
  if (channel?.live === false) return h('span', { class: 'badge offline' }, 'Offline');
  return null;
}

/** The strongest label per category (parents are not repeated), dismissed ones struck. */
export function labelList(incident) {
  return h('ul', { class: 'labels', 'aria-label': 'Labels' }, incident.categories.map((entry) => {
    const dismissed = incident.dismissedLabels.includes(entry.label)
      || incident.dismissedLabels.includes(entry.category);
    return h('li', { class: ['label', dismissed && 'dismissed'], title: entry.category },
      h('span', { class: 'label-name' }, entry.label),
      entry.label !== entry.category ? h('span', { class: 'label-category' }, entry.category) : null,
      h('span', { class: 'label-value' }, percent(entry.confidence)),
      dismissed ? h('span', { class: 'visually-hidden' }, ' (judged wrong)') : null);
  }));
}

export function actionBar(incident, channel, pending) {
  const id = incident.incidentId;
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' },
    actionsFor(incident, channel).map((action) => {
      const spec = ACTIONS[action];
      return h('button', {
        type: 'button',
        class: ['action', `action-${action}`, action === 'stop' && 'danger'],
        dataset: { action },
        disabled: Boolean(pending),
        'aria-keyshortcuts': spec.key,
        title: `${spec.title || spec.label} (${spec.key})`,
        onclick: () => startAction(id, action),
      }, pending === action ? spec.busy : spec.label);
    }));
}
