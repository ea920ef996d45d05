// The moderators' dashboard, a triage queue: sign in, load the queue, keep it current over
// the moderators' room, and act. Plain ES modules, no build step; the API serves them.
// This module wires the others: session, api, live, sync, store, queue, card, lightbox,
// actions, bulk, keyboard, history, stats, terms, policies, settings, alerts, ticker, livecounts, links.

import { wireAlerts } from './alerts.js';
import { get } from './api.js';
import { $, h, replace } from './dom.js';
import { renderHistory, showHistory, wireHistory } from './history.js';
import { renderLightbox, wireLightbox } from './lightbox.js';
import { openLinked, wireLinks } from './links.js';
import { connect } from './live.js';
import { refreshCount, startLiveCounts } from './livecounts.js';
import { renderQueue, wireQueue } from './queue.js';
import { idToken, wireSession } from './session.js';
import { wireSettings } from './settings.js';
import { renderStats, showStats, wireStats } from './stats.js';
import { state, subscribe, update } from './store.js';
import { applyEvent, keepCurrent, sync } from './sync.js';
import { renderPolicies, showPolicies, wirePolicies } from './policies.js';
import { renderTerms, showTerms, wireTerms } from './terms.js';
import { startTicker } from './ticker.js';
import { wireKeyboard } from './keyboard.js';

const VIEWS = { queue: null, history: showHistory, stats: showStats, terms: showTerms, policies: showPolicies };

function selectView(view) {
  update((s) => { s.view = view; });
  VIEWS[view]?.();
}

function wireTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => selectView(tab.dataset.view));
    tab.addEventListener('keydown', (event) => {
      const move = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!move) return;
      const next = tabs[(index + move + tabs.length) % tabs.length];
      next.focus();
      selectView(next.dataset.view);
    });
  });
}

function renderFrame(s) {
  const connection = $('#connection');
  connection.dataset.state = s.connection.state;
  connection.textContent = s.connection.text;
  $('#username').textContent = s.user;
  for (const button of document.querySelectorAll('.sign-out')) button.hidden = !s.user;
  const denied = s.access === 'denied';
  $('#denied').hidden = !denied;
  $('.tabs').hidden = denied;
  $('#keys-open').hidden = denied; // nothing to triage, nothing to set
  $('#settings-open').hidden = denied;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = tab.dataset.view === s.view;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(`#${tab.getAttribute('aria-controls')}`).hidden = denied || !selected;
  }
  if (denied) {
    replace($('#denied-user'), h('strong', {}, s.user));
  }
}

function render(s) {
  renderFrame(s);
  if (s.access === 'denied') return;
  if (s.view === 'queue') renderQueue(s);
  if (s.view === 'history') renderHistory(s);
  if (s.view === 'stats') renderStats(s);
  if (s.view === 'terms') renderTerms(s);
  if (s.view === 'policies') renderPolicies(s);
  renderLightbox(s);
}

function deny() {
  update((s) => {
    s.access = 'denied';
    s.connection = { state: 'offline', text: 'No access' };
  });
}

async function start() {
  const response = await fetch('config');
  state.config = await response.json();
  subscribe(render);
  wireSession();
  wireTabs();
  wireQueue();
  wireLightbox();
  wireKeyboard();
  wireHistory();
  wireStats();
  wireTerms();
  wirePolicies();
  wireAlerts();
  wireLinks(selectView);
  wireSettings(() => state.settings, (settings) => update((s) => { s.settings = settings; }));
  update(() => {});
  await idToken();
  if (await sync() === 'denied') {
    deny();
    return;
  }
  get('teams').then((answer) => {
    if (answer.status === 200) update((s) => { s.teams = answer.body.escalationTeams; });
  });
  openLinked();
  connect({
    onEvent: (attributes) => {
      applyEvent(attributes);
      if (attributes.type === 'incident-flagging') refreshCount(attributes.incidentId); // frames joined
    },
    onOpen: () => sync().then((result) => { if (result === 'denied') deny(); }),
    onDenied: deny,
  });
  keepCurrent();
  startTicker();
  startLiveCounts();
}

start();
