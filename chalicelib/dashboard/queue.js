// The queue view: its order (urgency.js), filters (state, whose, kind, channel by name,
// category), a search, the compact density, the bulk bar (bulk.js), the channels whose
// frames are failing, and the incidents. Cards are rebuilt only when what they show
// changed, and moved only when the order changed, so focus and images stay put.

import { renderBulk, wireBulk } from './bulk.js';
import { incidentCard, signature } from './card.js';
import { channelName } from './describe.js';
import { $, h, replace } from './dom.js';
import { channelLabel, clock } from './format.js';
import { CATEGORIES, HOLDER_FILTERS, isActive, KIND_FILTERS, matches, STATE_FILTERS } from './incidents.js';
import { unwatchCard, watchCard } from './livecounts.js';
import { saveSettings } from './settings.js';
import { update } from './store.js';
import { isBlind } from './sync.js';
import { queueSort, SORTS } from './urgency.js';

const cards = new Map(); // incidentId -> {signature, element}
let order = []; // the incident ids as last shown
const placeOfPending = new Map(); // incidentId -> where it was when its action was sent
let channelOptions = '';
let blindShown = '';

/** The incidents shown, in order (the keyboard moves through these). */
export function visibleIncidents(s) {
  return [...s.incidents.values()]
    .filter((incident) => matches(incident, s.filters, channelName(incident, s.channels.get(incident.channelArn)), s.user))
    .sort(queueSort(s.sort, s.now, s.config));
}

function options(select, choices) {
  for (const [value, label] of Object.entries(choices)) select.append(h('option', { value }, label));
}

export function wireQueue() {
  options($('#queue-sort'), SORTS);
  options($('#filter-state'), STATE_FILTERS);
  options($('#filter-holder'), HOLDER_FILTERS);
  options($('#filter-kind'), KIND_FILTERS);
  options($('#filter-category'), Object.fromEntries(CATEGORIES.map((name) => [name, name])));
  const form = $('#queue-filters');
  const read = () => update((s) => {
    s.sort = $('#queue-sort').value;
    s.filters = {
      state: $('#filter-state').value,
      holder: $('#filter-holder').value,
      kind: $('#filter-kind').value,
      channel: $('#filter-channel').value,
      category: $('#filter-category').value,
      q: $('#filter-search').value,
    };
  });
  form.addEventListener('change', read);
  form.addEventListener('input', read);
  form.addEventListener('submit', (event) => event.preventDefault());
  $('#density').addEventListener('click', () => update((s) => {
    s.settings = { ...s.settings, compact: !s.settings.compact };
    saveSettings(s.settings);
  }));
  wireBulk(visibleIncidents);
}

export function renderQueue(s) {
  renderFilters(s);
  renderBlind(s);
  const shown = visibleIncidents(s);
  const next = advance(s, shown);
  const list = $('#incidents');
  const focused = document.activeElement?.closest?.('[data-incident]');
  const focusedId = focused?.dataset.incident;
  const focusedAction = document.activeElement?.dataset?.action;
  const keep = new Set(shown.map((incident) => incident.incidentId));
  for (const [id, card] of cards) {
    if (!keep.has(id)) {
      unwatchCard(card.element);
      card.element.remove();
      cards.delete(id);
    }
  }
  shown.forEach((incident, index) => {
    const id = incident.incidentId;
    const sig = signature(incident, s);
    let card = cards.get(id);
    if (!card || card.signature !== sig) {
      const element = incidentCard(incident, s);
      if (card) {
        unwatchCard(card.element);
        card.element.replaceWith(element);
      }
      watchCard(element);
      card = { signature: sig, element };
      cards.set(id, card);
    }
    if (list.children[index] !== card.element) list.insertBefore(card.element, list.children[index] || null);
    const selected = s.selectedId === id;
    card.element.classList.toggle('selected', selected);
    const article = card.element.firstElementChild;
    article.tabIndex = selected || (!s.selectedId && index === 0) ? 0 : -1;
    if (selected) article.setAttribute('aria-current', 'true');
    else article.removeAttribute('aria-current');
  });
  order = shown.map((incident) => incident.incidentId);
  order.forEach((id, index) => {
    if (s.pending.has(id) && !placeOfPending.has(id)) placeOfPending.set(id, index);
  });
  if (next && (focusedId || document.activeElement === document.body) && !document.querySelector('dialog[open]')) {
    cards.get(next).element.firstElementChild.focus();
  } else if (focusedId && !document.activeElement?.closest?.('[data-incident]') && cards.has(focusedId)
      && !document.querySelector('dialog[open]')) {
    const element = cards.get(focusedId).element;
    (element.querySelector(`[data-action="${focusedAction}"]:not(:disabled)`) || element.firstElementChild).focus();
  }
  list.classList.toggle('compact', s.settings.compact);
  $('#density').setAttribute('aria-pressed', String(s.settings.compact));
  renderBulk(s, shown);
  const active = [...s.incidents.values()].filter(isActive).length;
  $('#queue-count').textContent = s.synced ? String(active) : '';
  $('#tab-queue').setAttribute('aria-label', `Queue, ${active} to handle`);
  $('#queue-status').textContent = queueStatus(s, shown.length);
}

/** When the incident this moderator acted on is resolved (by the answer or by the room's
 * event, whichever comes first) it moves down to the resolved ones: the incident now in its
 * place is selected, and triage goes on from there. */
function advance(s, shown) {
  const id = s.selectedId;
  if (!id || s.lightbox || !placeOfPending.has(id)) return null;
  if (s.incidents.get(id)?.state !== 'resolved') {
    if (!s.pending.has(id)) placeOfPending.delete(id); // done, and not resolved: it stays
    return null;
  }
  const at = placeOfPending.get(id);
  placeOfPending.delete(id);
  const now = shown[at]?.incidentId;
  if (!now || now === id) return null;
  s.selectedId = now;
  return now;
}

function queueStatus(s, shown) {
  if (s.syncError) return s.syncError;
  if (!s.synced) return 'Loading the queue…';
  const more = s.truncated ? ' Only the first 500 incidents are listed.' : '';
  if (!s.incidents.size) return `No incidents. Flagged frames open one here as they are moderated.${more}`;
  if (!shown) return `No incident matches these filters (${s.incidents.size} in the queue).${more}`;
  return more.trim();
}

function renderFilters(s) {
  const names = new Set();
  for (const channel of s.channels.values()) names.add(channelLabel(channel.channelArn, channel.name));
  for (const incident of s.incidents.values()) names.add(channelName(incident, s.channels.get(incident.channelArn)));
  const sorted = [...names].sort((a, b) => a.localeCompare(b));
  const key = sorted.join('\n');
  if (key === channelOptions) return;
  channelOptions = key;
  const select = $('#filter-channel');
  replace(select, h('option', { value: '' }, 'All channels'),
    sorted.map((name) => h('option', { value: name, selected: name === s.filters.channel }, name)));
}

function renderBlind(s) {
  const blind = [...s.channels.values()].filter((channel) => isBlind(channel, s.now));
  const key = JSON.stringify(blind.map((channel) => [channel.channelArn, channel.name, channel.blind]));
  if (key === blindShown) return; // unchanged: not announced again
  blindShown = key;
  replace($('#blind'), blind.map((channel) => h('p', { class: 'blind', role: 'alert' },
    h('strong', {}, `Blind on ${channelLabel(channel.channelArn, channel.name)}: `),
    blindDetail(channel.blind), ' ',
    h('button', {
      type: 'button',
      onclick: () => update((next) => { next.channels.get(channel.channelArn).blind.dismissed = true; }),
    }, 'Hide'))));
}

function blindDetail(blind) {
  const why = [blind.attempts && `${blind.attempts} attempts`, blind.error].filter(Boolean).join(': ');
  return `frames since ${clock(blind.since)} could not be moderated${why ? ` (${why})` : ''}; `
    + `the latest at ${clock(blind.last)}. Nobody sees them: watch the stream yourself.`;
}
