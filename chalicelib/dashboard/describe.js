// Incidents in words: who holds it, how it was resolved, how long it has been open.

import { channelLabel, clock, duration, RESOLUTION_WORDS } from './format.js';
import { targetMinutes } from './urgency.js';

export function channelName(incident, channel) {
  return channelLabel(incident.channelArn, channel?.name || incident.channelName);
}

/** What an incident is about: its channel, or a chat incident's user in their room. */
export function subject(incident, channel) {
  if (incident.kind !== 'chat') return channelName(incident, channel);
  return `${incident.userId} in ${incident.roomName || channelLabel(incident.roomArn, '')}`;
}

/** "Open for 6 min, past the 5 min target" (urgent) or "Handled in 3 min"; the target is
 * its severity's (urgency.js). */
export function age(incident, now, config) {
  const opened = new Date(incident.openedAt).getTime();
  if (incident.state === 'resolved') {
    const resolved = new Date(incident.resolvedAt).getTime();
    const took = Number.isFinite(resolved - opened) ? ` in ${duration(resolved - opened)}` : '';
    return { text: `Handled${took}`, urgent: false };
  }
  const open = now - opened;
  if (!Number.isFinite(open)) return { text: 'Open', urgent: false };
  const minutes = targetMinutes(incident.severity, config);
  const urgent = open > minutes * 60_000;
  const target = urgent ? `past the ${minutes} min target` : `target ${minutes} min`;
  return { text: `Open for ${duration(open)}, ${target}`, urgent };
}

export function frameCount(incident) {
  return `${incident.frameCount} ${incident.frameCount === 1 ? 'frame' : 'frames'}`;
}

/** Who holds it or how it ended, and who decided (`me`: the signed-in moderator). */
export function standing(incident, me = '') {
  const you = (name) => (name && name === me ? `${name} (you)` : name);
  if (incident.state === 'open') {
    const again = { reopened: 'Reopened', released: 'Released', assigned: 'Released' }[incident.lastAction];
    return again && incident.lastActor
      ? `${again} by ${you(incident.lastActor)} at ${clock(incident.lastAt)}: nobody has it`
      : 'Nobody has it yet';
  }
  if (incident.state === 'acknowledged') {
    const ended = incident.streamEndedAt ? `; the stream ended at ${clock(incident.streamEndedAt)}` : '';
    return `Acknowledged by ${you(incident.acknowledgedBy)}${at(incident.acknowledgedAt)}${ended}`;
  }
  const by = incident.resolvedBy === 'policy' ? 'automatically by policy'
    : incident.resolvedBy === 'system' ? 'by the service' : `by ${you(incident.resolvedBy)}`;
  if (incident.resolution === 'escalated') {
    return `Escalated to ${incident.escalatedTo || 'another team'} ${by}${at(incident.resolvedAt)}`;
  }
  const words = RESOLUTION_WORDS[incident.resolution] || incident.resolution;
  const labels = incident.resolution === 'dismissed' && incident.dismissedLabels.length
    ? ` (judged wrong: ${incident.dismissedLabels.join(', ')})` : '';
  return `Resolved: ${words}${labels} ${by}${at(incident.resolvedAt)}`;
}

function at(iso) {
  return iso ? ` at ${clock(iso)}` : '';
}

/** A 409's meaning: who acted first, from the incident as it now is. */
export function conflict(incident, message) {
  if (incident?.state === 'resolved') {
    const who = { policy: 'the auto-stop policy', system: 'the service' }[incident.resolvedBy]
      || incident.resolvedBy || 'someone else';
    const what = incident.resolution === 'escalated'
      ? `escalated to ${incident.escalatedTo || 'another team'}`
      : RESOLUTION_WORDS[incident.resolution] || incident.resolution;
    return `Not done: ${who} already resolved it (${what})${at(incident.resolvedAt)}.`;
  }
  const holder = incident?.state === 'acknowledged' && (incident.assignedTo || incident.acknowledgedBy);
  if (holder && holder !== incident.acknowledgedBy) {
    return `Not done: ${holder} holds it${at(incident.assignedAt)}: take it over to act on it.`;
  } else if (holder) {
    return `Not done: ${holder} acknowledged it first${at(incident.acknowledgedAt)}.`;
  }
  return `Not done: ${message || 'someone else acted first'}.`;
}
