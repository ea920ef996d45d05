// What an incident's card and its lightbox both show: its labels and its action bar.

import { ACTIONS, startAction } from './actions.js';
import { h } from './dom.js';
import { percent } from './format.js';
import { actionsFor } from './incidents.js';

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

export function actionBar(incident, channel, pending, detail) {
  const id = incident.incidentId;
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' },
    actionsFor(incident, channel, detail).map((action) => {
      const spec = ACTIONS[action];
      return h('button', {
        type: 'button',
        class: ['action', `action-${action}`, (action === 'stop' || action === 'ban') && 'danger'],
        dataset: { action },
        disabled: Boolean(pending),
        'aria-keyshortcuts': spec.key,
        title: `${spec.title || spec.label} (${spec.key})`,
        onclick: () => startAction(id, action),
      }, pending === action ? spec.busy : spec.label);
    }));
}
