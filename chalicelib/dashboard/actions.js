// What moderators do to an incident: acknowledge, dismiss (naming the labels judged wrong),
// warn (a note), escalate (to a named team), stop the stream (a reason; revoking the key
// first only when asked), reopen. One request per press; the answer, or who acted first, is shown on the
// incident (and every other dashboard hears of it from the room). A chat incident's own
// actions (ban, time out, unban, delete messages) are chatactions.js's; taking over, assigning
// and releasing one are claims.js's.

import { get, post, reason } from './api.js';
import { CHAT_ACTIONS, CHAT_FORMS, chatInput, chatRequest } from './chatactions.js';
import { CLAIM_ACTIONS, CLAIM_FORMS, claimRequest } from './claims.js';
import { conflict, frameCount, subject } from './describe.js';
import { $, announce, h, replace } from './dom.js';
import { percent } from './format.js';
import { actionsFor } from './incidents.js';
import { state, update } from './store.js';
import { keep as apply } from './sync.js';

export const ACTIONS = {
  acknowledge: { label: 'Acknowledge', key: 'a', busy: 'Acknowledging…', title: 'Acknowledge: it is yours' },
  dismiss: { label: 'Dismiss', key: 'd', busy: 'Dismissing…', title: 'Dismiss as a false positive' },
  warn: { label: 'Warn', key: 'w', busy: 'Warning…', title: 'Warn the broadcaster, with a note' },
  escalate: { label: 'Escalate', key: 'e', busy: 'Escalating…', title: 'Escalate to a named team' },
  stop: { label: 'Stop stream', key: 's', busy: 'Stopping…', title: 'Stop the stream' },
  reopen: { label: 'Reopen', key: 'r', busy: 'Reopening…', title: 'Reopen' },
  ...CHAT_ACTIONS,
  ...CLAIM_ACTIONS,
};

/** A press of an action's button or key: sent at once, or after its dialog. */
export function startAction(incidentId, action) {
  const incident = state.incidents.get(incidentId);
  if (!incident || state.pending.has(incidentId)) return; // one request at a time
  const detail = state.details.get(incidentId);
  if (!actionsFor(incident, state.channels.get(incident.channelArn), detail, state.user, state.me).includes(action)) return;
  if (['acknowledge', 'reopen', 'unban'].includes(action)) send(incident, action, {});
  else openDialog(incident, action);
}

function field(label, input, hint) {
  return h('label', { class: 'field' }, label, hint ? h('span', { class: 'hint' }, hint) : null, input);
}

const FORMS = {
  dismiss: (incident) => [
    h('p', {}, incident.kind === 'chat'
      ? 'A false positive: nothing breaks the rules. The strikes of these messages are taken back.'
      : 'A false positive: nothing breaks the rules. Frames of this stream with only these labels, not clearly surer, open no new incident for 10 minutes.'),
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Labels judged wrong'),
      incident.categories.map((entry) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'labels', value: entry.label, checked: true }),
        ` ${entry.label} (${entry.category}, ${percent(entry.confidence)})`))),
    field('Note (optional)', h('input', { name: 'note', maxLength: 500, autocomplete: 'off' })),
  ],
  warn: () => [
    field('Note (required)', h('input', { name: 'note', required: true, maxLength: 500, autocomplete: 'off' }),
      'What the broadcaster is warned about. The stream stays up.'),
  ],
  escalate: () => [
    field('Team (required)', h('select', { name: 'escalateTo', required: true },
      h('option', { value: '' }, 'Choose the team…'),
      state.teams.map((team) => h('option', { value: team }, team)))),
    field('Note (optional)', h('input', { name: 'note', maxLength: 500, autocomplete: 'off' })),
  ],
  stop: () => [
    h('p', {}, 'Viewers see the stream end. The broadcaster can go live again with their stream key.'),
    field('Reason (required)', h('input', { name: 'reason', required: true, maxLength: 500, autocomplete: 'off' })),
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Stream key'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'revoke', 'aria-describedby': 'revoke-hint' }),
        ' Also revoke the stream key'),
      h('p', { class: 'hint', id: 'revoke-hint' },
        'Revoking keeps the broadcaster off: their encoder cannot reconnect, and the channel cannot stream again until its owner creates a new key. Off: they can return at once.')),
  ],
  ...CHAT_FORMS,
  ...CLAIM_FORMS,
};

function hint(incident) {
  if (incident.kind === 'chat') return `${incident.topLabel}, ${incident.messageCount} flagged, ${incident.strikes} strikes`;
  return `${incident.topLabel} ${percent(incident.topConfidence)}, ${frameCount(incident)}`;
}

function openDialog(incident, action) {
  const dialog = $('#action-dialog');
  const name = subject(incident, state.channels.get(incident.channelArn));
  const spec = ACTIONS[action];
  const form = h('form', { method: 'dialog', class: 'action-form', dataset: { action } },
    h('h2', { id: 'action-title' }, `${spec.title}: ${name}`),
    h('p', { class: 'hint' }, hint(incident)),
    FORMS[action](incident, state.details.get(incident.incidentId), state),
    h('div', { class: 'dialog-buttons' },
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: ['stop', 'ban'].includes(action) ? 'danger' : 'primary' }, spec.submit || spec.label)));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.reportValidity() || state.pending.has(incident.incidentId)) return;
    const data = new FormData(form);
    if (action === 'delete' && !data.getAll('messageIds').length) return; // nothing chosen
    dialog.close();
    send(state.incidents.get(incident.incidentId) || incident, action, {
      note: String(data.get('note') || '').trim(),
      labels: data.getAll('labels').map(String),
      escalateTo: String(data.get('escalateTo') || '').trim(),
      reason: String(data.get('reason') || '').trim(),
      revoke: data.get('revoke') === 'on',
      to: String(data.get('to') || '').trim(),
      ...chatInput(data),
    });
  });
  replace(dialog, form);
  dialog.showModal();
  (form.querySelector('input:not([type="checkbox"])') || form.querySelector('button[type="submit"]')).focus();
}

/** The request an action sends: on the incident as shown (its version), so that acting on a
 * view another moderator has changed since is refused, naming the change. */
function request(incident, action, input) {
  const path = `incidents/${incident.incidentId}`;
  const seen = { version: incident.version, ...(input.note ? { note: input.note } : {}) };
  switch (action) {
    case 'acknowledge': return post(`${path}/acknowledge`, seen);
    case 'reopen': return post(`${path}/reopen`, seen);
    case 'dismiss': return post(`${path}/resolve`, { resolution: 'dismissed', labels: input.labels, ...seen });
    case 'warn': return post(`${path}/resolve`, { resolution: 'warned', ...seen });
    case 'escalate': return post(`${path}/resolve`, { resolution: 'escalated', escalateTo: input.escalateTo, ...seen });
    case 'stop': return post('stop-stream', {
      channelArn: incident.channelArn, reason: input.reason, revokeStreamKey: input.revoke,
      incidentId: incident.incidentId, version: incident.version,
    });
    default: return action in CLAIM_ACTIONS ? claimRequest(incident, action, input, seen)
      : chatRequest(incident, action, input, seen);
  }
}

/** Send one action on the incident as shown; its outcome {tone: ok | conflict | error, text}
 * is also the incident's notice when it is not plain success. */
export async function send(incident, action, input) {
  const id = incident.incidentId;
  update((s) => { s.pending.set(id, action); s.notices.delete(id); });
  let answer;
  try {
    answer = await request(incident, action, input);
  } finally {
    update((s) => { s.pending.delete(id); });
  }
  const name = subject(incident, state.channels.get(incident.channelArn));
  if (answer.status === 200 && action === 'stop') {
    const revoked = answer.body.streamKeysRevoked ? '; stream key revoked' : '';
    const settled = answer.body.incidentConflict ? ` The incident had been settled meanwhile: ${answer.body.incidentConflict}.` : '';
    update((s) => { const c = s.channels.get(incident.channelArn); if (c) c.live = false; });
    if (answer.body.incident?.incidentId) apply(answer.body.incident);
    else await refresh(id);
    return notice(id, 'ok', `Stream stopped by ${answer.body.stoppedBy}${revoked}.${settled}`);
  } else if (answer.status === 200) {
    apply(answer.body.incident);
    announce(`${ACTIONS[action].label}: done for ${name}.`);
    if (answer.body.announced === false) {
      return notice(id, 'ok', 'Done. Other dashboards could not be told at once: they catch up within 30 s.');
    }
    return { tone: 'ok', text: 'Done' };
  } else if (answer.status === 409) {
    const current = answer.body.incident ? apply(answer.body.incident) : await refresh(id);
    if (action === 'stop' && current && current.state !== 'resolved') {
      update((s) => { const c = s.channels.get(incident.channelArn); if (c) c.live = false; });
      return notice(id, 'conflict', `Not stopped: ${reason(answer)}.`);
    } else if (action === 'unban') { // its conflict is the user's standing, not the incident's
      return notice(id, 'conflict', `Not done: ${reason(answer)}.`);
    }
    return notice(id, 'conflict', conflict(current, answer.body.Message));
  } else if (answer.status === 403) {
    return notice(id, 'error', `Not allowed: ${reason(answer)}.`);
  }
  return notice(id, 'error', `Not done: ${reason(answer)}. Try again.`);
}

function notice(id, tone, text) {
  update((s) => { s.notices.set(id, { tone, text }); });
  if (tone !== 'ok') announce(text);
  return { tone, text };
}

async function refresh(id) {
  const answer = await get(`incidents/${id}`);
  return answer.status === 200 ? apply(answer.body) : state.incidents.get(id);
}
