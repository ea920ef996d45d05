// History (GET /decisions): flagged frames, incident actions and stops of all channels or
// one, newest first, with thumbnails and times in the moderator's zone. Clean frames only
// for one channel (the API lists clean frames per channel). A page of the API may hold
// fewer items than asked (its filters apply after reading): Older reads on until it has some.
// Each row names its channel, and links to its incident when it has one (links.js); a frame
// says which policy decided it (applied.js).

import { get, reason } from './api.js';
import { $, h, replace } from './dom.js';
import { actionWords, capitalised, channelLabel, fullTime, percent, zoneLabel } from './format.js';
import { policyLine } from './applied.js';
import { frameImage, remember } from './frames.js';
import { incidentLink } from './links.js';
import { state, update } from './store.js';

const PAGE = 25;
const MAX_REQUESTS = 6; // per press of Show or Older
const DECISION_WORDS = {
  alert: 'Flagged', 'auto-stop': 'Flagged, stopped by policy', unscannable: 'Unscannable',
  failed: 'Failed: not moderated', clean: 'Clean', superseded: 'Superseded (overwritten)',
};

export function wireHistory() {
  const form = $('#history-filter');
  form.addEventListener('change', () => {
    const channel = $('#history-channel').value;
    $('#history-clean').disabled = !channel;
    if (!channel) $('#history-clean').checked = false;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    update((s) => {
      s.history.filters = {
        channelArn: String(data.get('channel') || ''),
        hours: Number(data.get('hours')),
        kinds: data.getAll('kind').map(String),
        decisions: data.getAll('decision').map(String),
        clean: data.get('clean') === 'on',
      };
    });
    load(false);
  });
  $('#history-more').addEventListener('click', () => load(true));
  $('#history-zone').textContent = `Times in ${zoneLabel()}.`;
}

/** The history tab was opened: load it the first time. */
export function showHistory() {
  if (!state.history.loaded && !state.history.loading) load(false);
}

function query(filters) {
  const params = new URLSearchParams({ limit: '50' });
  if (filters.channelArn) params.set('channelArn', filters.channelArn);
  params.set('from', new Date(Date.now() - filters.hours * 3_600_000).toISOString());
  params.set('kind', (filters.kinds.length ? filters.kinds : ['frame', 'incident', 'stop']).join(','));
  const decisions = [...filters.decisions, ...(filters.clean && filters.channelArn ? ['clean'] : [])];
  if (filters.kinds.includes('frame') && decisions.length) params.set('decision', decisions.join(','));
  return params;
}

async function load(more) {
  if (state.history.loading) return;
  update((s) => {
    s.history.loading = true;
    s.history.error = '';
    if (!more) { s.history.items = []; s.history.cursor = null; }
  });
  let cursor = more ? state.history.cursor : null;
  let found = 0;
  for (let request = 0; request < MAX_REQUESTS && found < PAGE; request += 1) {
    const params = cursor ? new URLSearchParams({ limit: '50', cursor }) : query(state.history.filters);
    const answer = await get(`decisions?${params}`);
    if (answer.status !== 200) {
      update((s) => { s.history.error = `The history could not be loaded: ${reason(answer)}.`; });
      break;
    }
    for (const item of answer.body.items) {
      if (item.thumbnailKey) remember(item.thumbnailKey, item.frameUrl, item.frameUrlExpiresAt);
    }
    found += answer.body.items.length;
    cursor = answer.body.nextCursor;
    update((s) => {
      s.history.items.push(...answer.body.items);
      s.history.cursor = cursor;
    });
    if (!cursor) break;
  }
  update((s) => { s.history.loading = false; s.history.loaded = true; });
}

let rendered = null;

export function renderHistory(s) {
  renderChannels(s);
  const { items, loading, error, cursor, loaded } = s.history;
  const key = [items.length, loading, error, cursor, s.settings.blurFrames, s.channels.size].join('|');
  if (key === rendered) return;
  rendered = key;
  $('#history-status').textContent = error || (loading ? 'Loading…'
    : loaded && !items.length ? 'Nothing in this period.' : '');
  replace($('#history-rows'), items.map((item) => row(item, s)));
  const older = $('#history-more');
  older.hidden = !cursor;
  older.disabled = loading;
}

let channelsShown = '';

function renderChannels(s) {
  const channels = [...s.channels.values()].map((c) => [c.channelArn, channelLabel(c.channelArn, c.name)])
    .sort((a, b) => a[1].localeCompare(b[1]));
  const key = JSON.stringify(channels);
  if (key === channelsShown) return;
  channelsShown = key;
  const select = $('#history-channel');
  const chosen = select.value;
  replace(select, h('option', { value: '' }, 'All channels'),
    channels.map(([arn, name]) => h('option', { value: arn, selected: arn === chosen }, name)));
}

function row(item, s) {
  const channel = channelLabel(item.channelArn, item.channelName || s.channels.get(item.channelArn)?.name);
  const when = item.kind === 'frame' ? item.frameTime : item.at;
  const thumb = item.kind === 'frame' && item.thumbnailKey
    ? frameImage({ key: item.thumbnailKey, alt: `Frame of ${channel}`, blurred: s.settings.blurFrames, width: 160, height: 90 })
    : h('span', { class: 'frame none', 'aria-hidden': 'true' });
  return h('li', { class: ['entry', `kind-${item.kind}`, item.decision && `decision-${item.decision}`], dataset: { kind: item.kind } },
    thumb,
    h('div', { class: 'entry-body' },
      h('p', { class: 'entry-head' },
        h('time', { dateTime: when }, fullTime(when)), ' ',
        h('span', { class: 'entry-channel' }, channel)),
      ...describe(item),
      item.incidentId ? h('p', {}, incidentLink(item.incidentId, 'Open the incident', `Open the incident of ${channel} (${item.incidentId})`)) : null));
}

function describe(item) {
  if (item.kind === 'stop') {
    const revoked = item.streamKeysRevoked ? ', stream key revoked'
      : item.revokeRequested === false ? ', stream key kept' : '';
    return [
      h('p', { class: 'what' }, h('strong', {}, `Stop: ${item.outcome || 'attempted'}`), ` by ${item.moderatorName || item.moderatorId}${revoked}`),
      item.reason ? h('p', {}, h('q', { class: 'note' }, item.reason)) : null,
      item.error ? h('p', { class: 'hint' }, item.error) : null,
    ];
  }
  if (item.kind === 'incident') {
    return [
      h('p', { class: 'what' }, h('strong', {}, `Incident ${actionWords(item.action, true)}`), ` by ${item.by}`),
      item.note ? h('p', {}, h('q', { class: 'note' }, item.note)) : null,
    ];
  }
  const labels = (item.categories || []).map((c) => `${c.label} ${percent(c.confidence)}`).join(', ');
  const action = item.action && item.action !== 'none' ? ` (${item.action})` : '';
  return [
    h('p', { class: 'what' }, h('strong', {}, `${DECISION_WORDS[item.decision] || capitalised(item.decision)}${action}`),
      labels ? `: ${labels}` : ''),
    item.skipped ? h('p', { class: 'hint' }, 'Near-duplicate of an analysed frame: its decision reused') : null,
    item.policy ? h('p', { class: 'decided-by' }, policyLine(item), item.watchlisted === true ? ' (watchlisted)' : '') : null,
    item.error ? h('p', { class: 'hint' }, item.error) : null,
    item.thumbnailKey ? h('details', { class: 'frame-key' }, h('summary', {}, 'Frame key'),
      h('p', { class: 'id' }, item.thumbnailKey)) : null,
  ];
}
