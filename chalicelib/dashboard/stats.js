// Stats (GET /stats): per category, incidents, the false-positive share of the resolved
// ones (the precision moderators see), stops, and the time to acknowledge and to resolve.

import { get, reason } from './api.js';
import { $, h, replace } from './dom.js';
import { duration, fullTime } from './format.js';
import { state, update } from './store.js';

export function wireStats() {
  $('#stats-window').addEventListener('change', (event) => {
    update((s) => { s.stats.hours = Number(event.target.value); });
    load();
  });
  $('#stats-refresh').addEventListener('click', load);
}

export function showStats() {
  if (!state.stats.data && !state.stats.loading) load();
}

async function load() {
  update((s) => { s.stats.loading = true; s.stats.error = ''; });
  const from = new Date(Date.now() - state.stats.hours * 3_600_000).toISOString();
  const answer = await get(`stats?${new URLSearchParams({ from })}`);
  update((s) => {
    s.stats.loading = false;
    if (answer.status === 200) s.stats.data = answer.body;
    else s.stats.error = `The statistics could not be loaded: ${reason(answer)}.`;
  });
}

let rendered = null;

export function renderStats(s) {
  const { data, loading, error } = s.stats;
  if (rendered === data && !loading && !error && data) return;
  rendered = loading || error ? null : data;
  $('#stats-status').textContent = error || (loading ? 'Loading…' : '');
  if (!data) return;
  $('#stats-period').textContent = `From ${fullTime(data.from)} to ${fullTime(data.to)}`
    + `${data.truncated ? ' (the first 5000 incidents only)' : ''}.`;
  const rows = [{ category: 'All categories', ...data.totals, total: true }, ...data.categories];
  replace($('#stats-rows'), rows.map((row) => h('tr', { class: row.total ? 'total' : null },
    h('th', { scope: 'row' }, row.category),
    cell('Incidents', row.incidents),
    cell('Resolved', row.resolved),
    cell('Dismissed as false positive', row.dismissed,
      row.falsePositiveShare === null ? '' : ` (${Math.round(row.falsePositiveShare * 100)}%)`),
    cell('Stopped', row.stopped),
    cell('To acknowledge, p50 / p95', times(row.secondsToAcknowledge)),
    cell('To resolve, p50 / p95', times(row.secondsToResolve)))));
  $('#stats-empty').hidden = data.totals.incidents > 0;
}

function cell(label, value, extra = '') {
  return h('td', { dataset: { label } }, String(value ?? '–'), extra);
}

function times(percentiles) {
  if (!percentiles?.count) return '–';
  return `${duration(percentiles.p50 * 1000)} / ${duration(percentiles.p95 * 1000)}`;
}
