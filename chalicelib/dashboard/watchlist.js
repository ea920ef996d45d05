// The channels, each with the policy that applied to it (GET /channels: policy, policyVersion,
// policyWhy) and its watchlist standing (GET /watchlist, and the channels' `watchlisted`):
// a moderator puts a channel on the watchlist for a while, with a reason (PUT
// /watchlist/{arn} {hours, reason}), or takes it off (DELETE), audited by the API.

import { api, get, reason } from './api.js';
import { $, announce, h, replace } from './dom.js';
import { channelLabel } from './format.js';
import { policyLine, watchBadge } from './applied.js';
import { may } from './roles.js';
import { state, update } from './store.js';
import { sync } from './sync.js';

const HOURS = [[24, '24 hours'], [1, '1 hour'], [6, '6 hours'], [72, '3 days'], [168, '7 days'], [720, '30 days']];
let asker = () => {};

export async function loadWatchlist() {
  const answer = await get('watchlist');
  update((s) => {
    if (answer.status === 200) {
      s.policies.watchlist = answer.body.items || [];
      s.policies.watchlistLoaded = true;
    }
    else s.policies.message = `The watchlist could not be loaded: ${reason(answer)}.`;
  });
}

/** `ask(channelArn)`: "which policy applies to it?" */
export function wireWatchlist(ask) {
  asker = ask;
}

function whichPolicy(channelArn) {
  $('#applies-channel').value = channelArn;
  $('#applies-title').scrollIntoView?.({ block: 'start' });
  asker(channelArn);
}

function watchOf(channel, s) {
  const listed = s.policies.watchlist.find((item) => item.channelArn === channel.channelArn);
  if (listed) return { until: listed.until, reason: listed.reason };
  return s.policies.watchlistLoaded ? null : channel.watchlisted || null;
}

async function changed(text) {
  update((s) => { s.policies.message = text; });
  announce(text);
  await loadWatchlist();
  sync(); // the channels' and incidents' answers carry `watchlisted`
}

async function remove(channel, name) {
  const answer = await api('DELETE', `watchlist/${encodeURIComponent(channel.channelArn)}`);
  changed(answer.status === 200 ? `${name} is off the watchlist.` : `Not removed: ${reason(answer)}.`);
}

function openAdd(channel, name) {
  const dialog = $('#watch-dialog');
  const error = h('p', { class: 'error', role: 'alert' });
  const hours = h('select', { id: 'watch-hours', name: 'hours' },
    HOURS.map(([value, text]) => h('option', { value: String(value) }, text)));
  const why = h('input', { id: 'watch-reason', name: 'reason', required: true, maxLength: 500, autocomplete: 'off' });
  const form = h('form', { method: 'dialog' },
    h('h2', { id: 'watch-title' }, `Watch ${name}`),
    h('p', { class: 'hint' }, 'Its policy gets the watchlist policy laid over it: lower thresholds, no skipping, no sampling.'),
    h('div', { class: 'field' }, h('label', { htmlFor: 'watch-reason' }, 'Reason'), why),
    h('div', { class: 'field' }, h('label', { htmlFor: 'watch-hours' }, 'For'), hours),
    error,
    h('div', { class: 'dialog-buttons' },
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Add to the watchlist')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { hours: Number(hours.value), reason: why.value.trim() };
    const answer = await api('PUT', `watchlist/${encodeURIComponent(channel.channelArn)}`, body);
    if (answer.status !== 200) {
      error.textContent = `Not added: ${reason(answer)}.`;
      return;
    }
    dialog.close();
    changed(`${name} is on the watchlist.`);
  });
  replace(dialog, form);
  dialog.showModal();
  why.focus();
}

let shown = '';

export function renderChannelList(s) {
  const channels = [...s.channels.values()].sort((a, b) => channelLabel(a.channelArn, a.name).localeCompare(channelLabel(b.channelArn, b.name)));
  const mayWatch = may(s.me, 'PUT /watchlist/{channel_arn}');
  const key = JSON.stringify([channels, s.policies.watchlist, s.policies.message, mayWatch]);
  if (key === shown) return;
  shown = key;
  $('#watch-status').textContent = s.policies.message || '';
  replace($('#policy-channels'), channels.map((channel) => {
    const name = channelLabel(channel.channelArn, channel.name);
    const watch = watchOf(channel, s);
    return h('li', { class: 'policy-channel', dataset: { channel: channel.channelArn } },
      h('span', { class: 'entry-channel' }, name),
      watchBadge(watch),
      policyLine(channel) || h('span', { class: 'hint' }, 'policy not known yet'),
      h('span', { class: 'channel-actions' },
        h('button', { type: 'button', onclick: () => whichPolicy(channel.channelArn) }, 'Which policy?'),
        mayWatch && watch ? h('button', { type: 'button', onclick: () => remove(channel, name) }, 'Remove from the watchlist') : null,
        mayWatch && !watch ? h('button', { type: 'button', onclick: () => openAdd(channel, name) }, 'Watch…') : null));
  }));
}
