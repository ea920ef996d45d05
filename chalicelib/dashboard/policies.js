// The Policies tab (docs/policies.md): the policies (GET /policies: name, version, what it
// applies to, who saved it), the stage default (read-only: the stage's environment), the
// watchlist policy; "which policy applies to this channel, and why" (GET
// /channels/{arn}/policy), where an admin sets one on the channel (PUT); and the channels
// with the policy that applied and their watchlist (watchlist.js). Opening a policy is
// policyeditor.js's.

import { api, get, reason } from './api.js';
import { $, h, replace } from './dom.js';
import { channelLabel, clock } from './format.js';
import { openDefault, openNew, openPolicy, wirePolicyEditor } from './policyeditor.js';
import { may } from './roles.js';
import { state, update } from './store.js';
import { sync } from './sync.js';
import { loadWatchlist, renderChannelList, wireWatchlist } from './watchlist.js';

export function wirePolicies() {
  wirePolicyEditor(load);
  wireWatchlist(ask);
  $('#policy-new').addEventListener('click', openNew);
  $('#applies-form').addEventListener('submit', (event) => {
    event.preventDefault();
    ask($('#applies-channel').value);
  });
}

/** Read again each time the tab is shown: other admins and moderators change them. */
export function showPolicies() {
  if (!state.policies.loading) load();
}

export async function load() {
  update((s) => { s.policies.loading = true; s.policies.error = ''; });
  const answer = await get('policies');
  update((s) => {
    s.policies.loading = false;
    s.policies.loaded = true;
    if (answer.status !== 200) {
      s.policies.error = `The policies could not be loaded: ${reason(answer)}.`;
      return;
    }
    s.policies.items = answer.body.items || [];
    s.policies.default = answer.body.default || null;
    s.policies.watchPolicy = answer.body.watchlist || null;
    s.policies.refreshSeconds = answer.body.refreshSeconds ?? null;
  });
  loadWatchlist();
}

/** "Which policy applies to this channel?" */
let asked = 0; // the latest question: an older answer arriving later is not shown

export async function ask(channelArn) {
  if (!channelArn) return;
  const mine = ++asked;
  update((s) => { s.policies.applies = { channelArn, answer: null, error: '', loading: true }; });
  const answer = await get(`channels/${encodeURIComponent(channelArn)}/policy`);
  if (mine !== asked) return;
  update((s) => {
    s.policies.applies = answer.status === 200 ? { channelArn, answer: answer.body, error: '' }
      : { channelArn, answer: null, error: `Not answered: ${reason(answer)}.` };
  });
}

async function setOnChannel(channelArn, policy) {
  const answer = await api('PUT', `channels/${encodeURIComponent(channelArn)}/policy`, { policy: policy || null });
  if (answer.status !== 200) {
    update((s) => { s.policies.applies.error = `Not set: ${reason(answer)}.`; });
    return;
  }
  if (state.policies.applies.channelArn === channelArn) await ask(channelArn); // not if another was chosen since
  sync(); // the channels' answers name the policy that applies
}

export function appliesToText(applies) {
  if (!applies) return 'only where it is set on a channel';
  const tags = Object.entries(applies.tags || {}).map(([k, v]) => `tag ${k}=${v}`);
  const names = (applies.namePatterns || []).map((pattern) => `name ${pattern}`);
  const what = [...tags, ...names].join(', ') || 'only where it is set on a channel';
  return applies.priority !== undefined ? `${what} (priority ${applies.priority})` : what;
}

function policyRow(item) {
  return h('tr', { dataset: { policy: item.name } },
    h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => openPolicy(item.name) }, item.name)),
    h('td', { dataset: { label: 'Version' } }, String(item.version)),
    h('td', { dataset: { label: 'Description' } }, item.description || ''),
    h('td', { dataset: { label: 'Applies to' } }, appliesToText(item.appliesTo)),
    h('td', { dataset: { label: 'Saved' } }, item.savedBy ? `${item.savedBy}, ${clock(item.savedAt)}` : ''));
}

function appliedAnswer(s) {
  const { channelArn, answer, error, loading } = s.policies.applies;
  if (!channelArn) return [];
  if (loading) return [h('p', {}, 'Asking…')];
  if (error && !answer) return [h('p', { class: 'error' }, error)];
  const watch = answer.watchlisted;
  const admin = may(s.me, 'PUT /channels/{channel_arn}/policy');
  const assigned = answer.assigned?.policy || '';
  const choice = h('select', { id: 'applies-set', 'aria-label': 'The policy set on this channel' },
    h('option', { value: '' }, 'None (resolve by tags, names, then the default)'),
    s.policies.items.map((item) => h('option', { value: item.name, selected: item.name === assigned }, item.name)));
  return [
    h('p', { class: 'applies-policy', dataset: { channel: channelArn } }, h('strong', {}, `${answer.policy} v${answer.version}`), ` — ${answer.why}`),
    h('p', { class: 'applies-watch' }, watch ? `Watchlisted until ${clock(watch.until)}: ${watch.reason || 'no reason given'} (the watchlist policy is laid over it)` : 'Not on the watchlist.'),
    admin ? h('p', { class: 'applies-set' }, choice, ' ',
      h('button', { type: 'button', onclick: () => setOnChannel(channelArn, choice.value) }, 'Set on this channel')) : null,
    error ? h('p', { class: 'error' }, error) : null,
  ];
}

let shown = '';

export function renderPolicies(s) {
  const p = s.policies;
  const channels = [...s.channels.values()].map((c) => [c.channelArn, channelLabel(c.channelArn, c.name)])
    .sort((a, b) => a[1].localeCompare(b[1]));
  const key = JSON.stringify([p, channels, Boolean(s.me)]);
  renderChannelList(s);
  if (key === shown) return;
  shown = key;
  $('#policy-new').hidden = !may(s.me, 'PUT /policies/{name}');
  $('#policies-status').textContent = p.error || (p.loading && !p.loaded ? 'Loading…' : '');
  $('#policies-refresh').textContent = p.refreshSeconds ? `A saved change decides every frame received at most ${p.refreshSeconds} s later.` : '';
  const items = p.items.filter((item) => item.name !== 'watchlist');
  replace($('#policy-rows'), items.map(policyRow));
  $('#policies-empty').hidden = !p.loaded || items.length > 0;
  const fallback = p.default?.document || p.default;
  const watchlist = p.watchPolicy?.document || watchlistFallback(fallback);
  replace($('#policy-builtins'),
    h('li', {}, h('button', { type: 'button', disabled: !fallback, onclick: () => openDefault(fallback) }, 'The stage default'),
      ' ', h('span', { class: 'hint' }, 'read-only: from the stage\'s environment; applies where no other does')),
    h('li', {}, h('button', { type: 'button', onclick: () => openPolicy('watchlist', watchlist) }, 'The watchlist policy'),
      ' ', h('span', { class: 'hint' }, 'laid over a watchlisted channel\'s policy: the lower threshold wins, no skipping, no sampling')));
  const select = $('#applies-channel');
  const chosen = select.value || p.applies.channelArn;
  replace(select, h('option', { value: '' }, 'Choose a channel'),
    channels.map(([arn, name]) => h('option', { value: arn, selected: arn === chosen }, name)));
  replace($('#applies-result'), appliedAnswer(s));
}

/** The stage's watchlist policy before an admin saves one: the default lowered by 20 points. */
function watchlistFallback(doc) {
  const lower = (map) => Object.fromEntries(Object.entries(map || {}).map(([k, v]) => [k, Math.max(0, v - 20)]));
  return { description: 'The stage default lowered by 20 points', alert: lower(doc?.alert), autoStop: lower(doc?.autoStop), watchHours: 24 };
}
