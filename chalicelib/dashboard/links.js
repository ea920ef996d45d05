// Links to an incident (#incident=<id>), e.g. from a history row: the queue opens on it —
// its frames large, or a chat incident's card selected — read from the API when the queue
// does not hold it (resolved over a day ago).

import { get, reason } from './api.js';
import { announce, h } from './dom.js';
import { select } from './keyboard.js';
import { openIncident } from './lightbox.js';
import { state } from './store.js';
import { keep } from './sync.js';

const PREFIX = '#incident=';
let showView = () => {};

export function incidentLink(incidentId, text, label) {
  return h('a', { href: `${PREFIX}${encodeURIComponent(incidentId)}`, class: 'incident-link', 'aria-label': label }, text);
}

/** `selectView(view)` switches the dashboard's view. */
export function wireLinks(selectView) {
  showView = selectView;
  window.addEventListener('hashchange', openLinked);
}

/** Open the incident the address names, if it names one (then the address forgets it). */
export async function openLinked() {
  if (!window.location.hash.startsWith(PREFIX) || state.access !== 'moderator') return;
  const id = decodeURIComponent(window.location.hash.slice(PREFIX.length));
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  let incident = state.incidents.get(id);
  if (!incident) {
    const answer = await get(`incidents/${encodeURIComponent(id)}`);
    if (answer.status !== 200) {
      announce(`The incident could not be opened: ${reason(answer)}.`);
      return;
    }
    incident = keep(answer.body);
  }
  showView('queue');
  if (incident.kind === 'chat') select(id);
  else openIncident(id);
}
