// Telling the moderator of a new incident. The tab's title counts the incidents nobody has,
// and those that arrived while the tab was in the background or unfocused ("2 new"), so
// another tab shows it. A moderator who opted in (settings.js) also hears a short tone and,
// when the dashboard is not in front of them, gets a desktop notification.

import { subject } from './describe.js';
import { percent } from './format.js';
import { holderOf } from './incidents.js';
import { state, subscribe, update } from './store.js';

const TITLE = 'Stream moderation';
let unseen = 0;
let audio = null; // an AudioContext, made on a gesture (the browser's autoplay rule)

const away = () => document.visibilityState !== 'visible' || !document.hasFocus();

export function renderTitle(s) {
  if (s.access !== 'moderator') {
    document.title = TITLE;
    return;
  }
  const waiting = [...s.incidents.values()].filter((i) => i.state === 'open' && !holderOf(i)).length;
  const parts = [waiting ? String(waiting) : '', unseen ? `${unseen} new` : ''].filter(Boolean);
  document.title = parts.length ? `(${parts.join(' · ')}) ${TITLE}` : TITLE;
}

/** A new incident arrived (an event, or a sync found it). */
export function alertNew(incident) {
  if (away()) unseen += 1;
  const settings = state.settings;
  if (settings.sound) tone();
  if (settings.notify && away() && 'Notification' in window && Notification.permission === 'granted') {
    const what = incident.kind === 'chat' ? 'chat incident' : 'incident';
    const shown = new Notification(`New ${incident.severity} ${what}`, {
      body: `${subject(incident, state.channels.get(incident.channelArn))}: ${incident.topLabel} ${percent(incident.topConfidence)}`,
      tag: incident.incidentId,
    });
    shown.onclick = () => {
      window.focus();
      update((s) => { s.view = 'queue'; s.selectedId = incident.incidentId; });
      shown.close();
    };
  }
}

function tone() {
  if (!audio || audio.state !== 'running') return; // not unlocked by a gesture yet
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  const at = audio.currentTime;
  oscillator.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, at);
  gain.gain.exponentialRampToValueAtTime(0.001, at + 0.35);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(at);
  oscillator.stop(at + 0.35);
}

function unlock() {
  if (!state.settings.sound || !window.AudioContext) return;
  audio ||= new AudioContext();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
}

function seen() {
  if (away() || !unseen) return;
  unseen = 0;
  renderTitle(state);
}

export function wireAlerts() {
  subscribe(renderTitle);
  document.addEventListener('visibilitychange', seen);
  window.addEventListener('focus', seen);
  for (const name of ['pointerdown', 'keydown']) document.addEventListener(name, unlock, { capture: true });
}
