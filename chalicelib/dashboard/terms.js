// Blocked terms (GET|PUT|DELETE /chat/terms): words the chat's deep pass removes, in every
// room or in one (the rooms of the chat incidents in the queue are offered), each for a
// while or until removed; "mask" stars the word out instead of refusing the message.

import { api, get, reason } from './api.js';
import { $, h, replace } from './dom.js';
import { channelLabel, clock } from './format.js';
import { may } from './roles.js';
import { state, update } from './store.js';

const EVERY_ROOM = '*';
const EXPIRIES = [['', 'Until removed'], ['60', '1 hour'], ['1440', '1 day'], ['10080', '7 days'], ['43200', '30 days']];

export function wireTerms() {
  const expiry = $('#term-minutes');
  for (const [value, text] of EXPIRIES) expiry.append(h('option', { value }, text));
  $('#terms-room').addEventListener('change', (event) => {
    update((s) => { s.terms.roomArn = event.target.value; });
    load();
  });
  $('#term-form').addEventListener('submit', (event) => {
    event.preventDefault();
    add(new FormData(event.target));
  });
}

export function showTerms() {
  if (!state.terms.loaded && !state.terms.loading) load();
}

async function load() {
  const roomArn = state.terms.roomArn;
  update((s) => { s.terms.loading = true; s.terms.error = ''; });
  const answer = await get(`chat/terms?${new URLSearchParams({ roomArn })}`);
  update((s) => {
    if (s.terms.roomArn !== roomArn) return; // another room was chosen meanwhile
    s.terms.loading = false;
    s.terms.loaded = true;
    if (answer.status === 200) s.terms.items = answer.body.items;
    else s.terms.error = `The blocked terms could not be loaded: ${reason(answer)}.`;
  });
}

async function add(data) {
  const term = String(data.get('term') || '').trim();
  if (!term) return;
  const body = { roomArn: state.terms.roomArn, term, action: data.get('mask') === 'on' ? 'mask' : 'deny' };
  if (data.get('minutes')) body.minutes = Number(data.get('minutes'));
  const answer = await api('PUT', 'chat/terms', body);
  if (answer.status === 200) {
    $('#term-form').reset();
    say(`Blocked: ${answer.body.term}.`);
  } else {
    say(`Not blocked: ${reason(answer)}.`);
  }
  load();
}

async function remove(item) {
  const params = new URLSearchParams({ roomArn: item.roomArn, term: item.term });
  const answer = await api('DELETE', `chat/terms?${params}`);
  say(answer.status === 200 ? `No longer blocked: ${item.term}.` : `Not removed: ${reason(answer)}.`);
  load();
}

function say(text) {
  update((s) => { s.terms.message = text; });
}

/** The rooms to choose from: every room, and those of the chat incidents known. */
function rooms(s) {
  const known = new Map([[EVERY_ROOM, 'Every room']]);
  for (const incident of s.incidents.values()) {
    if (incident.kind === 'chat') known.set(incident.roomArn, incident.roomName || channelLabel(incident.roomArn, ''));
  }
  if (!known.has(s.terms.roomArn)) known.set(s.terms.roomArn, channelLabel(s.terms.roomArn, ''));
  return known;
}

let shown = '';

export function renderTerms(s) {
  const choices = rooms(s);
  const editable = may(s.me, 'PUT /chat/terms'); // admins keep the list; everyone reads it
  const key = JSON.stringify([s.terms, [...choices], editable]);
  if (key === shown) return;
  shown = key;
  $('#term-form').hidden = !editable;
  replace($('#terms-room'), [...choices].map(([value, text]) => h('option', { value, selected: value === s.terms.roomArn }, text)));
  $('#terms-status').textContent = s.terms.error || s.terms.message || (s.terms.loading ? 'Loading…' : '');
  $('#terms-empty').hidden = s.terms.loading || Boolean(s.terms.error) || s.terms.items.length > 0;
  replace($('#terms-rows'), s.terms.items.map((item) => h('li', { class: 'term' },
    h('span', { class: 'term-word' }, item.term),
    h('span', { class: 'hint' }, item.action === 'mask' ? 'starred out' : 'refused', ', ',
      item.until ? `until ${clock(item.until)}` : 'until removed', `, by ${item.by} at ${clock(item.at)}`),
    editable ? h('button', { type: 'button', 'aria-label': `Remove ${item.term}`, onclick: () => remove(item) }, 'Remove') : null)));
}
