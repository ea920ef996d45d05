// Backtest before saving (POST /policies/backtest): what the editor's draft would have decided
// over the last N hours of the decision log, beside what was decided. One request reads a few
// pages and answers totals so far with a cursor: asked again until done (or cancelled), the
// frames read so far shown meanwhile. Then the flips, per channel incidents and auto-stops
// now vs the draft, examples to open (backtestexample.js), and what it cannot know.

import { post, reason } from './api.js';
import { openExample } from './backtestexample.js';
import { $, announce, h, replace } from './dom.js';
import { channelLabel, clock, percent } from './format.js';
import { state } from './store.js';

const HOURS = [[1, 'hour'], [6, '6 hours'], [24, '24 hours'], [72, '3 days'], [168, '7 days']];
let run = 0; // the run shown; a new run or Cancel makes older answers stale
let frames = 0;

export function wireBacktest(draft) {
  const hours = $('#backtest-hours');
  for (const [value, text] of HOURS) hours.append(h('option', { value: String(value), selected: value === 6 }, `Last ${text}`));
  $('#backtest-run').addEventListener('click', () => start(draft()));
  $('#backtest-cancel').addEventListener('click', cancel);
}

/** Forget a previous policy's results (another one was opened). */
export function clearBacktest() {
  run += 1;
  running(false);
  progress('');
  replace($('#backtest-results'));
}

function running(on) {
  $('#backtest-run').disabled = on;
  $('#backtest-cancel').hidden = !on;
}

function progress(text) {
  $('#backtest-progress').textContent = text;
}

function cancel() {
  run += 1;
  running(false);
  progress(`Cancelled after ${frames} frames read.`);
  announce('Backtest cancelled.');
}

async function start({ name, document }) {
  const mine = ++run;
  frames = 0;
  running(true);
  replace($('#backtest-results'));
  progress('Reading the decision log…');
  const hours = Number($('#backtest-hours').value);
  let cursor = null;
  let answer = null;
  do {
    const body = { name: name || 'draft', draft: document, hours, ...(cursor ? { cursor } : {}) };
    const result = await post('policies/backtest', body);
    if (mine !== run) return; // cancelled, or started again
    if (result.status !== 200) {
      running(false);
      progress(`The backtest failed: ${reason(result)}`);
      return;
    }
    answer = result.body;
    cursor = answer.cursor || null;
    frames = answer.frames;
    const of = answer.channels ? ` of ${answer.channels.counted} ${answer.channels.counted === 1 ? 'channel' : 'channels'}` : '';
    progress(cursor ? `Read ${answer.frames} frames so far (${answer.channels?.done ?? '…'} channels${of} done)…`
      : `Done: ${answer.frames} frames read${of}.`);
    show(answer, Boolean(cursor));
  } while (cursor);
  running(false);
  announce(`Backtest done: ${answer.frames} frames.`);
}

const FLIP_WORDS = { clean: 'clean', alert: 'alert', 'auto-stop': 'auto-stop' };
const flipText = (key) => key.split('->').map((side) => FLIP_WORDS[side] || side).join(' → ');

function flipList(flips, className) {
  const entries = Object.entries(flips || {}).filter(([, n]) => n);
  if (!entries.length) return h('p', { class: 'hint' }, 'No frame would be decided otherwise.');
  return h('ul', { class: className }, entries.map(([key, n]) => h('li', { dataset: { flip: key } },
    h('strong', {}, flipText(key)), `: ${n} ${n === 1 ? 'frame' : 'frames'}`)));
}

const pair = (counts) => `${counts?.current ?? 0} → ${counts?.draft ?? 0}`;

function channels(rows) {
  return h('table', { class: 'stats-table backtest-channels' },
    h('caption', {}, 'Per channel: now → with the draft'),
    h('thead', {}, h('tr', {}, ['Channel', 'Frames', 'Flips', 'Incidents', 'Auto-stops'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((row) => h('tr', { dataset: { channel: row.channelArn } },
      h('th', { scope: 'row' }, channelLabel(row.channelArn, row.name || state.channels.get(row.channelArn)?.name)),
      h('td', { dataset: { label: 'Frames' } }, String(row.frames ?? 0)),
      h('td', { dataset: { label: 'Flips' } }, Object.entries(row.flips || {}).filter(([, n]) => n)
        .map(([key, n]) => `${flipText(key)} ${n}`).join(', ') || 'none'),
      h('td', { class: 'incidents-pair', dataset: { label: 'Incidents' } }, pair(row.incidents)),
      h('td', { class: 'autostops-pair', dataset: { label: 'Auto-stops' } }, pair(row.autoStops))))));
}

function examples(items, rows) {
  if (!items?.length) return null;
  const names = new Map((rows || []).map((row) => [row.channelArn, row.name]));
  return [h('h4', {}, 'Examples'), h('ul', { class: 'backtest-examples' }, items.map((example) => {
    const name = channelLabel(example.channelArn, names.get(example.channelArn) || state.channels.get(example.channelArn)?.name);
    return h('li', {}, h('button', { type: 'button', class: 'example', onclick: () => openExample({ ...example, name }) },
      `${clock(example.frameTime)} ${name}: ${flipText(`${example.before}->${example.after}`)}`,
      example.label ? ` (${example.label} ${percent(example.confidence)})` : ''));
  }))];
}

function show(answer, partial) {
  const unknown = Object.entries(answer.notRecomputable || {}).filter(([, n]) => n)
    .map(([why, n]) => `${n} ${why}`).join(', ');
  replace($('#backtest-results'),
    h('p', { class: 'backtest-summary' }, `${answer.frames} frames read, ${answer.recomputed} recomputed`,
      unknown ? `; not recomputable: ${unknown}` : '', partial ? ' (so far)' : '.'),
    answer.capped ? h('p', { class: 'warning' }, 'Stopped at the cap of 20,000 frames: older frames were not read.') : null,
    h('h4', {}, 'Frames that would be decided otherwise'),
    flipList(answer.flips, 'backtest-flips'),
    answer.byChannel?.length ? channels(answer.byChannel) : null,
    examples(answer.examples, answer.byChannel),
    answer.honesty?.length ? [h('h4', {}, 'What a backtest cannot know'),
      h('ul', { class: 'honesty' }, answer.honesty.map((line) => h('li', {}, line)))] : null);
}
