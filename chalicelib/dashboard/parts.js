// What an incident's card and its lightbox both show: its labels and its action bar; and a
// card's box to tick it for a bulk action (bulk.js).

import { ACTIONS, startAction } from './actions.js';
import { h } from './dom.js';
import { percent } from './format.js';
import { actionsFor } from './incidents.js';
import { update } from './store.js';

const BULK_ACTIONS = ['acknowledge', 'dismiss'];

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

/** The actions moderator s.user can take on the incident now, one button each. */
export function actionBar(incident, s) {
  const id = incident.incidentId;
  const pending = s.pending.get(id);
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' },
    actionsFor(incident, s.channels.get(incident.channelArn), s.details.get(id), s.user, s.me).map((action) => {
      const spec = ACTIONS[action];
      return h('button', {
        type: 'button',
        class: ['action', `action-${action}`, (action === 'stop' || action === 'ban') && 'danger',
          action === 'takeover' && 'primary'],
        dataset: { action },
        disabled: Boolean(pending),
        'aria-keyshortcuts': spec.key,
        title: `${spec.title || spec.label} (${spec.key})`,
        onclick: () => startAction(id, action),
      }, pending === action ? spec.busy : spec.label);
    }));
}

/** Whether a bulk action (acknowledge, dismiss) applies to the incident now. */
export function bulkable(incident, s) {
  const actions = actionsFor(incident, s.channels.get(incident.channelArn), s.details.get(incident.incidentId), s.user, s.me);
  return BULK_ACTIONS.some((action) => actions.includes(action));
}

/** The box that ticks an incident for a bulk action; none when neither action applies. */
export function pickBox(incident, s, name) {
  const id = incident.incidentId;
  if (!bulkable(incident, s)) return null;
  return h('label', { class: 'pick', title: 'Select for a bulk action' },
    h('input', {
      type: 'checkbox', checked: s.picked.has(id), 'aria-label': `Select ${name}`,
      onchange: (event) => update((next) => {
        if (event.target.checked) next.picked.add(id);
        else next.picked.delete(id);
      }),
    }));
}
