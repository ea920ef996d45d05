// Working many incidents at once: the ticked ones acknowledged or dismissed (every label of
// each judged wrong), each with its own request on its own route (at most AT_ONCE in flight)
// and its own result, listed by incident: one refused (409, someone acted first) or
// failed does not stop the others. An incident the action no longer applies to is not sent.

import { send } from './actions.js';
import { standing, subject } from './describe.js';
import { $, announce, h, replace } from './dom.js';
import { actionsFor } from './incidents.js';
import { bulkable } from './parts.js';
import { state, update } from './store.js';

const AT_ONCE = 4;
const DONE = { acknowledge: 'Acknowledged', dismiss: 'Dismissed as a false positive' };
let shownNow = () => [];
let rendered = '';

/** Wire the bulk bar; `shown(s)` is the incidents the queue shows, in order. */
export function wireBulk(shown) {
  shownNow = shown;
  $('#pick-all').addEventListener('change', (event) => update((s) => {
    if (!event.target.checked) s.picked.clear();
    else for (const incident of shownNow(s)) if (bulkable(incident, s)) s.picked.add(incident.incidentId);
  }));
  $('#bulk-acknowledge').addEventListener('click', () => run('acknowledge', {}));
  $('#bulk-dismiss').addEventListener('click', confirmDismiss);
  $('#bulk-clear').addEventListener('click', () => update((s) => { s.picked.clear(); }));
}

function confirmDismiss() {
  const count = pickedNow().length;
  if (!count || state.bulk?.running) return;
  const dialog = $('#action-dialog');
  const form = h('form', { method: 'dialog', class: 'action-form', dataset: { action: 'bulk-dismiss' } },
    h('h2', { id: 'action-title' }, `Dismiss ${count} ${count === 1 ? 'incident' : 'incidents'} as false positives`),
    h('p', {}, 'Every label of each is judged wrong: frames of these streams with only those labels, not clearly surer, open no new incident for 10 minutes.'),
    h('label', { class: 'field' }, 'Note (optional)', h('input', { name: 'note', maxLength: 500, autocomplete: 'off' })),
    h('div', { class: 'dialog-buttons' },
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, `Dismiss ${count}`)));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const note = String(new FormData(form).get('note') || '').trim();
    dialog.close();
    run('dismiss', { note });
  });
  replace(dialog, form);
  dialog.showModal();
  form.querySelector('input').focus();
}

const pickedNow = () => [...state.picked].filter((id) => state.incidents.has(id));

async function run(action, input) {
  const ids = pickedNow();
  if (!ids.length || state.bulk?.running) return;
  update((s) => { s.bulk = { action, running: true, results: [] }; });
  const waiting = [...ids];
  const worker = async () => {
    while (waiting.length) {
      const id = waiting.shift();
      const result = await one(id, action, input);
      update((s) => { s.bulk.results.push(result); s.picked.delete(id); });
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, ids.length) }, worker));
  update((s) => { s.bulk.running = false; });
  announce(summary(state.bulk));
}

async function one(id, action, input) {
  const incident = state.incidents.get(id);
  const result = { incidentId: id, name: subject(incident, state.channels.get(incident.channelArn)) };
  if (state.pending.has(id)) return { ...result, tone: 'error', text: 'Not done: another action on it is on its way' };
  const actions = actionsFor(incident, state.channels.get(incident.channelArn), state.details.get(id), state.user, state.me);
  if (!actions.includes(action)) return { ...result, tone: 'conflict', text: `Not done: ${standing(incident, state.user)}` };
  const labels = action === 'dismiss' ? incident.categories.map((entry) => entry.label) : [];
  const outcome = await send(incident, action, { labels, note: input.note || '' });
  return { ...result, tone: outcome.tone, text: outcome.tone === 'ok' ? DONE[action] : outcome.text };
}

function summary(bulk) {
  const done = bulk.results.filter((r) => r.tone === 'ok').length;
  const word = { acknowledge: 'Acknowledged', dismiss: 'Dismissed' }[bulk.action];
  const left = bulk.results.length - done;
  return `${word} ${done} of ${bulk.results.length}${left ? `; ${left} not done` : ''}${bulk.running ? '…' : '.'}`;
}

export function renderBulk(s, shown) {
  const pickable = shown.filter((incident) => bulkable(incident, s));
  const picked = pickedNow().length;
  const all = $('#pick-all');
  const ticked = pickable.filter((incident) => s.picked.has(incident.incidentId)).length;
  all.checked = pickable.length > 0 && ticked === pickable.length;
  all.indeterminate = ticked > 0 && ticked < pickable.length;
  all.disabled = !pickable.length;
  $('#picked-count').textContent = picked ? `${picked} selected` : 'None selected';
  for (const id of ['#bulk-acknowledge', '#bulk-dismiss', '#bulk-clear']) $(id).disabled = !picked || Boolean(s.bulk?.running);
  const key = JSON.stringify(s.bulk);
  if (key === rendered) return;
  rendered = key;
  const box = $('#bulk-results');
  if (!s.bulk) {
    replace(box);
    return;
  }
  replace(box, h('p', { class: 'bulk-summary' }, h('strong', {}, summary(s.bulk)), ' ',
    s.bulk.running ? null : h('button', { type: 'button', onclick: () => update((next) => { next.bulk = null; }) }, 'Hide')),
  h('ol', { class: 'bulk-rows', 'aria-label': 'Each incident' }, s.bulk.results.map((r) => h('li', {
    class: ['bulk-row', `notice-${r.tone}`], dataset: { result: r.incidentId, tone: r.tone },
  }, h('span', { class: 'bulk-name' }, r.name), ': ', r.text))));
}
