// Triage without the mouse: j/k move through the queue, a d w e s r (h take over, g assign,
// l release; a chat incident's t b u x) act on the selected incident (or the one open large), o or Enter opens it, ←/→ and v in the large view,
// Esc closes, ? lists the keys.

import { ACTIONS, startAction } from './actions.js';
import { $, h, isTyping } from './dom.js';
import { openIncident, step, toggleReveal } from './lightbox.js';
import { visibleIncidents } from './queue.js';
import { state, update } from './store.js';

export const KEYS = [
  ['j', 'Next incident'],
  ['k', 'Previous incident'],
  ['o or Enter', 'Open the incident: its frames, large'],
  ...Object.values(ACTIONS).map((spec) => [spec.key, spec.title]),
  ['← →', 'Earlier or later frame (incident open)'],
  ['v', 'Reveal or blur the frames (incident open)'],
  ['Esc', 'Close the incident or the dialog'],
  ['?', 'This list'],
];
const BY_KEY = Object.fromEntries(Object.entries(ACTIONS).map(([action, spec]) => [spec.key, action]));

/** Select an incident of the queue and give it focus. */
export function select(incidentId) {
  update((s) => { s.selectedId = incidentId; });
  queueMicrotask(() => { // after the queue has rendered the selection
    const card = document.querySelector(`[data-incident="${incidentId}"] > .card`);
    if (card) {
      card.focus();
      card.scrollIntoView({ block: 'nearest' });
    }
  });
}

function move(delta) {
  const shown = visibleIncidents(state);
  if (!shown.length) return;
  const at = shown.findIndex((incident) => incident.incidentId === state.selectedId);
  const next = at < 0 ? (delta > 0 ? 0 : shown.length - 1) : Math.max(0, Math.min(shown.length - 1, at + delta));
  select(shown[next].incidentId);
}

function onKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
  const lightbox = $('#lightbox').open;
  const otherDialog = [...document.querySelectorAll('dialog[open]')].some((d) => d.id !== 'lightbox');
  if (otherDialog) return; // a form is open: its own keys (Esc closes it)
  if (event.key === '?') {
    event.preventDefault();
    $('#keys-dialog').showModal();
    return;
  }
  if (state.view !== 'queue' || state.access !== 'moderator') return;
  const onButton = event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement;
  const current = lightbox ? state.lightbox?.incidentId : state.selectedId;
  if (lightbox && (event.key === 'ArrowLeft' || event.key === 'ArrowRight')) {
    event.preventDefault();
    step(event.key === 'ArrowLeft' ? -1 : 1);
  } else if (lightbox && event.key === 'v') {
    toggleReveal();
  } else if (!lightbox && (event.key === 'j' || event.key === 'k')) {
    event.preventDefault();
    move(event.key === 'j' ? 1 : -1);
  } else if (!lightbox && current && (event.key === 'o' || (event.key === 'Enter' && !onButton))) {
    event.preventDefault();
    openIncident(current);
  } else if (!lightbox && event.key === 'Escape' && state.selectedId) {
    document.activeElement?.blur();
    update((s) => { s.selectedId = null; });
  } else if (current && BY_KEY[event.key]) {
    event.preventDefault();
    startAction(current, BY_KEY[event.key]);
  }
}

export function wireKeyboard() {
  document.addEventListener('keydown', onKey);
  $('#keys-open').addEventListener('click', () => $('#keys-dialog').showModal());
  $('#keys-close').addEventListener('click', () => $('#keys-dialog').close());
  $('#keys-list').append(...KEYS.map(([key, what]) => h('div', {},
    h('dt', {}, key.split(' or ').map((k, i) => [i ? ' or ' : '', h('kbd', {}, k)])),
    h('dd', {}, what))));
}
