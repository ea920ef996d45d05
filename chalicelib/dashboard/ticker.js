// Ages that count up every second without rebuilding anything: each element marked
// data-age-of="<incidentId>" has its text set again (only when it changed), and its card
// turns urgent when the incident passes its target. Nothing runs while the tab is hidden.

import { age } from './describe.js';
import { state } from './store.js';

const TICK_MS = 1_000;

/** The text an age element shows. */
export function ageText(incident, now, config) {
  const { text, urgent } = age(incident, now, config);
  return { text: urgent ? `Urgent: ${text}` : text, urgent };
}

function tick() {
  if (document.visibilityState !== 'visible') return;
  const now = Date.now();
  for (const element of document.querySelectorAll('[data-age-of]')) {
    const incident = state.incidents.get(element.dataset.ageOf);
    if (!incident) continue;
    const { text, urgent } = ageText(incident, now, state.config);
    if (element.textContent !== text) element.textContent = text;
    element.classList.toggle('urgent', urgent);
    element.closest('li.incident')?.classList.toggle('urgent', urgent);
  }
}

export function startTicker() {
  setInterval(tick, TICK_MS);
}
