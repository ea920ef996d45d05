// Frame counts as frames join. The room hears of a still-flagging incident at most every
// INCIDENT_UPDATE_SECONDS (the room's quota), so the dashboard reads the incident itself
// (GET /incidents/{id}): when the room says it is still flagging, when its card comes into
// view, and every LIVE_SECONDS while its card is in view, the tab is visible and it changed
// lately. Only unresolved frame incidents; one request per incident at a time.

import { get } from './api.js';
import { state } from './store.js';
import { keep } from './sync.js';

const LIVE_SECONDS = 5;
const LATELY_MS = 120_000; // opened or changed this recently: frames may still be joining
const inView = new Set(); // incidentIds whose card is in view
const reading = new Set();
const lastRead = new Map(); // incidentId -> when it was last read (ms)
const changed = new Map(); // incidentId -> {version, at}: when its version was last seen to change

const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const id = entry.target.dataset.incident;
    if (!entry.isIntersecting) {
      inView.delete(id);
    } else {
      inView.add(id);
      if (!lastRead.has(id)) refreshCount(id);
    }
  }
});

export function watchCard(element) {
  observer.observe(element);
}

export function unwatchCard(element) {
  observer.unobserve(element);
  inView.delete(element.dataset.incident);
}

const counted = (incident) => incident && incident.kind !== 'chat' && incident.state !== 'resolved';

/** Read the incident now (a still-flagging event, or its card came into view). */
export async function refreshCount(id) {
  if (reading.has(id) || !counted(state.incidents.get(id)) || state.access !== 'moderator') return;
  reading.add(id);
  lastRead.set(id, Date.now());
  try {
    const answer = await get(`incidents/${id}`);
    if (answer.status === 200) keep(answer.body);
  } finally {
    reading.delete(id);
  }
}

function lately(incident, now) {
  const seen = changed.get(incident.incidentId);
  if (!seen || seen.version !== incident.version) { // first seen: not a change
    changed.set(incident.incidentId, { version: incident.version, at: seen ? now : 0 });
  }
  const opened = new Date(incident.openedAt).getTime();
  return now - changed.get(incident.incidentId).at < LATELY_MS || now - opened < LATELY_MS;
}

export function startLiveCounts() {
  setInterval(() => {
    if (document.visibilityState !== 'visible') return;
    const now = Date.now();
    for (const id of inView) {
      const incident = state.incidents.get(id);
      if (counted(incident) && lately(incident, now) && now - (lastRead.get(id) || 0) >= LIVE_SECONDS * 1000) {
        refreshCount(id);
      }
    }
  }, 1_000);
}
