// Who holds an incident, on its card: "Held by maria since …" when someone else does (their
// claim holds: only a take-over is offered), the take-over (confirmed, with an optional
// note), assigning it to a colleague (a typed user name; the names seen in the queue are
// suggested) and releasing it; and what the moderator is told when an incident changes
// hands without them ("tom took it over from you at …"). The rules are the server's
// (incidents/claims.py); which actions a holder has is incidents.js's actionsFor.

import { post } from './api.js';
import { h } from './dom.js';
import { clock } from './format.js';
import { holderOf } from './incidents.js';

export const CLAIM_ACTIONS = {
  takeover: { label: 'Take over', key: 'h', busy: 'Taking over…', title: 'Take it over: hold it yourself' },
  assign: { label: 'Assign to…', submit: 'Assign', key: 'g', busy: 'Assigning…', title: 'Give it to a colleague' },
  release: { label: 'Release', key: 'l', busy: 'Releasing…', title: 'Let it go: open, held by nobody' },
};

const AUTOMATIC = new Set(['system', 'policy', 'sla']); // the service's actors, never a colleague

const since = (incident) => clock(incident.assignedAt || incident.acknowledgedAt);

/** The card's line about its holder: someone else's claim, or one that came to me. */
export function claimLine(incident, me) {
  const holder = holderOf(incident);
  if (!holder) return null;
  const when = since(incident) ? ` since ${since(incident)}` : '';
  if (holder !== me) {
    return h('p', { class: 'claim claim-other' }, `Held by ${holder}${when}: take it over to act on it.`);
  }
  if (incident.acknowledgedBy === me) return null; // its standing says "Acknowledged by me (you)"
  return h('p', { class: 'claim claim-mine' }, `Held by you${when}`);
}

const noteField = () => h('label', { class: 'field' }, 'Note (optional)',
  h('input', { name: 'note', maxLength: 500, autocomplete: 'off' }));

/** User names seen in the queue (who acknowledged, holds, resolved, acted; the trails of the
 * incidents opened), but not mine nor the service's. */
export function colleagues(s) {
  const names = new Set();
  for (const incident of s.incidents.values()) {
    for (const name of [incident.acknowledgedBy, incident.assignedTo, incident.resolvedBy, incident.lastActor]) names.add(name);
  }
  for (const detail of s.details.values()) for (const entry of detail?.trail || []) names.add(entry.by);
  return [...names].filter((name) => name && name !== s.user && !AUTOMATIC.has(name)).sort((a, b) => a.localeCompare(b));
}

export const CLAIM_FORMS = {
  takeover: (incident) => [
    h('p', {}, `${holderOf(incident) || 'Nobody'} holds it${since(incident) ? ` since ${since(incident)}` : ''}. `
      + 'Taking it over makes it yours to act on; they are told at once, and the trail keeps it.'),
    noteField(),
  ],
  assign: (incident, detail, s) => [
    h('p', {}, 'Theirs to act on from now on: they, and every moderator, see it at once.'),
    h('label', { class: 'field' }, 'Colleague’s user name (required)',
      h('input', { name: 'to', required: true, maxLength: 128, autocomplete: 'off', spellcheck: 'false', list: 'colleagues' })),
    h('datalist', { id: 'colleagues' }, colleagues(s).map((name) => h('option', { value: name }))),
    noteField(),
  ],
  release: () => [
    h('p', {}, 'Open again and held by nobody: any moderator may acknowledge it.'),
    noteField(),
  ],
};

/** The request of a claim action, on the incident as shown (`seen`: its version, the note). */
export function claimRequest(incident, action, input, seen) {
  const path = `incidents/${incident.incidentId}`;
  switch (action) {
    case 'takeover': return post(`${path}/take-over`, seen);
    case 'assign': return post(`${path}/assign`, { to: input.to, ...seen });
    case 'release': return post(`${path}/release`, seen);
    default: throw new Error(`unknown action ${action}`);
  }
}

/** What moderator `me` is told when an incident changed hands by someone else's doing:
 * taken over from them, given away by its holder, or given to them; '' otherwise. */
export function handover(previous, incident, me) {
  if (!previous || !me || incident.state === 'resolved') return '';
  const before = holderOf(previous);
  const now = holderOf(incident);
  const by = incident.lastActor;
  if (before === now || !by || by === me || (before !== me && now !== me)) return '';
  const at = incident.lastAt ? ` at ${clock(incident.lastAt)}` : '';
  const note = incident.lastNote ? ` (“${incident.lastNote}”)` : '';
  let what;
  if (now === me) what = `${by} assigned it to you`;
  else if (!now) what = `${by} released it`;
  else what = by === now ? `${by} took it over from you` : `${by} assigned it to ${now}`;
  return `${what}${at}${note}.`;
}
