// An incident opened large: the chosen frame, the incident's frames as a strip for the
// before and after, its labels, its trail (who did what, when, why), and its actions.
// Frames are blurred unless revealed (the moderator's setting decides how it opens).

import { get, reason } from './api.js';
import { actionBar, labelList } from './parts.js';
import { policyLine } from './applied.js';
import { claimLine } from './claims.js';
import { channelName, frameCount, standing } from './describe.js';
import { ageText } from './ticker.js';
import { $, h, replace } from './dom.js';
import { actionWords, capitalised, clock, percent } from './format.js';
import { frameImage, remember } from './frames.js';
import { state, update } from './store.js';

let shown = '';
let loading = null; // incidentId:version being fetched
let opener = null; // what had focus before, to return to

export function openIncident(incidentId) {
  const incident = state.incidents.get(incidentId);
  if (!incident || incident.kind === 'chat') return; // a chat incident has no frames: its card says all
  opener = document.activeElement;
  update((s) => {
    s.selectedId = incidentId;
    s.lightbox = { incidentId, frame: null, revealed: !s.settings.blurFrames };
  });
  const dialog = $('#lightbox');
  if (!dialog.open) dialog.showModal();
}

export function closeIncident() {
  $('#lightbox').close();
}

/** Move through the strip: -1 earlier, +1 later. */
export function step(delta) {
  const frames = framesOf(state);
  if (!state.lightbox || !frames.length) return;
  update((s) => {
    const current = s.lightbox.frame ?? frames.length - 1;
    s.lightbox.frame = Math.max(0, Math.min(frames.length - 1, current + delta));
  });
}

export function toggleReveal() {
  if (state.lightbox) update((s) => { s.lightbox.revealed = !s.lightbox.revealed; });
}

export function wireLightbox() {
  const dialog = $('#lightbox');
  dialog.addEventListener('close', () => {
    update((s) => { s.lightbox = null; });
    shown = '';
    const card = document.querySelector(`[data-incident="${state.selectedId}"] > .card`);
    if (opener?.isConnected) opener.focus();
    else card?.focus(); // the card was rebuilt meanwhile
  });
  dialog.addEventListener('click', (event) => { // a click on the backdrop closes it
    if (event.target === dialog) dialog.close();
  });
}

function framesOf(s) {
  const detail = s.lightbox && s.details.get(s.lightbox.incidentId);
  if (!detail) return [];
  return [...detail.frames].sort((a, b) => a.frameTime.localeCompare(b.frameTime));
}

async function load(incident) {
  const id = `${incident.incidentId}:${incident.version}`;
  if (loading === id) return;
  loading = id;
  const answer = await get(`incidents/${incident.incidentId}`);
  loading = null;
  if (answer.status !== 200) {
    const error = `The frames could not be loaded: ${reason(answer)}.`;
    update((s) => { s.details.set(incident.incidentId, { frames: [], trail: [], error, version: incident.version }); });
    return;
  }
  for (const frame of answer.body.frames || []) remember(frame.key, frame.frameUrl, frame.frameUrlExpiresAt);
  update((s) => { s.details.set(incident.incidentId, { ...answer.body, version: incident.version }); });
}

export function renderLightbox(s) {
  const dialog = $('#lightbox');
  if (!s.lightbox) return;
  const incident = s.incidents.get(s.lightbox.incidentId);
  if (!incident) {
    dialog.close();
    return;
  }
  const detail = s.details.get(incident.incidentId);
  if (!detail || detail.version !== incident.version) load(incident);
  const channel = s.channels.get(incident.channelArn);
  const key = JSON.stringify([incident.version, s.lightbox, Boolean(detail), channel?.live,
    s.pending.get(incident.incidentId), s.notices.get(incident.incidentId), detail?.version]);
  if (key === shown) return;
  shown = key;
  const frames = framesOf(s);
  const index = s.lightbox.frame ?? frames.length - 1;
  const frame = frames[index] || { key: incident.latestFrameKey, frameTime: incident.lastFrameTime };
  const blurred = !s.lightbox.revealed;
  const name = channelName(incident, channel);
  const notice = s.notices.get(incident.incidentId);
  const active = document.activeElement;
  const hadFocus = dialog.contains(active) || !active || active === document.body;
  const focused = dialog.contains(active) && (active.dataset.focus ? `[data-focus="${active.dataset.focus}"]`
    : active.dataset.action ? `[data-action="${active.dataset.action}"]` : null);
  replace(dialog, h('article', { class: ['lightbox-body', `sev-${incident.severity}`] },
    h('header', { class: 'lightbox-head' },
      h('h2', { id: 'lightbox-title' }, `${name}: ${incident.topLabel} ${percent(incident.topConfidence)}`),
      h('button', { type: 'button', class: 'close', dataset: { focus: 'close' }, onclick: closeIncident }, 'Close')),
    h('div', { class: 'lightbox-main' },
      h('figure', { class: 'stage' },
        frame.key ? frameImage({ key: frame.key, alt: `Frame of ${name} at ${clock(frame.frameTime)}`, blurred, className: 'large', width: 1280, height: 720 }) : null,
        h('figcaption', {}, frames.length ? `Frame ${index + 1} of ${frames.length}` : 'Latest frame',
          frame.frameTime ? `, ${clock(frame.frameTime)}` : '',
          incident.frameCount > frames.length && frames.length ? ` (the first and the latest ${frames.length - 1} of ${incident.frameCount} are kept here; History has every frame)` : '')),
      h('div', { class: 'stage-controls' },
        h('button', { type: 'button', dataset: { focus: 'earlier' }, disabled: index <= 0, onclick: () => step(-1), 'aria-keyshortcuts': 'ArrowLeft' }, '← Earlier'),
        h('button', {
          type: 'button', class: 'reveal', dataset: { focus: 'reveal' }, 'aria-pressed': String(!blurred),
          'aria-keyshortcuts': 'v', onclick: toggleReveal,
        }, blurred ? 'Reveal frames (v)' : 'Blur frames (v)'),
        h('button', { type: 'button', dataset: { focus: 'later' }, disabled: index >= frames.length - 1, onclick: () => step(1), 'aria-keyshortcuts': 'ArrowRight' }, 'Later →')),
      frames.length ? strip(frames, index, blurred, name)
        : h('p', { class: 'hint' }, detail?.error || 'Loading the frames…')),
    h('aside', { class: 'lightbox-side' },
      h('p', { class: 'severity' }, `${capitalised(incident.severity)} severity`,
        channel?.live === true ? ', channel live' : channel?.live === false ? ', channel offline' : ''),
      labelList(incident),
      incident.policy ? h('p', { class: 'policy' }, policyLine(incident)) : null,
      h('p', {}, h('span', { dataset: { ageOf: incident.incidentId } }, ageText(incident, Date.now(), s.config).text),
        `, ${frameCount(incident)}`,
        incident.contentTypes.length ? `, ${incident.contentTypes.join(', ')}` : ''),
      h('p', { class: 'standing' }, standing(incident, s.user)),
      claimLine(incident, s.user),
      notice ? h('p', { class: ['notice', `notice-${notice.tone}`] }, notice.text) : null,
      actionBar(incident, s),
      h('h3', {}, 'What happened'),
      trail(detail?.trail || []))));
  if (!hadFocus) return; // an action's dialog is open over it
  const again = focused && dialog.querySelector(`${focused}:not(:disabled)`);
  (again || dialog.querySelector('.reveal')).focus();
}

function strip(frames, index, blurred, name) {
  return h('ol', { class: 'strip', 'aria-label': 'Frames of this incident' }, frames.map((frame, i) => h('li', {},
    h('button', {
      type: 'button', class: 'strip-frame', 'aria-current': i === index ? 'true' : null,
      'aria-label': `Frame ${i + 1}, ${clock(frame.frameTime)}`,
      onclick: () => update((s) => { s.lightbox.frame = i; }),
    }, frameImage({ key: frame.key, alt: '', blurred, width: 160, height: 90 })))));
}

function trail(entries) {
  return h('ol', { class: 'trail' }, [...entries].reverse().map((entry) => h('li', {},
    h('time', { dateTime: entry.at }, clock(entry.at)), ' ',
    h('strong', {}, entry.by), ' ', actionWords(entry.action),
    entry.note ? h('q', { class: 'note' }, entry.note) : null)));
}
