// A chat incident's card: the user, the room and its channel (live or not), severity and
// labels, strikes ("ban suggested"), a ban or timeout in force, the flagged messages with
// their reasons, the chat around them (the user's own lines marked), the user's earlier
// incidents, and the actions its state allows. Everything a chat user wrote is hostile: it
// is only ever text (h() makes text nodes), and an image's address is shown, never loaded.

import { ensureDetail } from './chatdetail.js';
import { currentDetail, holdOf } from './chatmodel.js';
import { claimLine } from './claims.js';
import { age, channelName, standing } from './describe.js';
import { h } from './dom.js';
import { capitalised, channelLabel, clock, percent, RESOLUTION_WORDS } from './format.js';
import { actionBar, labelList, pickBox } from './parts.js';
import { ageText } from './ticker.js';
import { update } from './store.js';

/** The inputs a chat card is built from (its detail among them). */
export function chatSignature(incident, s) {
  ensureDetail(incident);
  const channel = s.channels.get(incident.channelArn);
  const detail = s.details.get(incident.incidentId);
  return JSON.stringify([
    incident.version, channel?.name, channel?.live, detail?.version, Boolean(detail?.error),
    holdOf(incident, detail, s.now), s.pending.get(incident.incidentId),
    s.notices.get(incident.incidentId), s.picked.has(incident.incidentId),
    age(incident, s.now, s.config).urgent,
  ]);
}

export function chatCard(incident, s) {
  const id = incident.incidentId;
  const channel = s.channels.get(incident.channelArn);
  const stored = s.details.get(id);
  const detail = currentDetail(incident, stored) || (stored?.error ? null : stored);
  const { text: since, urgent } = ageText(incident, Date.now(), s.config);
  const notice = s.notices.get(id);
  const hold = holdOf(incident, stored, s.now);
  const live = typeof detail?.chat?.live === 'boolean' ? detail.chat.live : channel?.live;
  return h('li', {
    class: ['incident', 'chat-incident', `sev-${incident.severity}`, `state-${incident.state}`,
      incident.state === 'resolved' && `resolution-${incident.resolution}`, urgent && 'urgent'],
    dataset: { incident: id, state: incident.state, resolution: incident.resolution || '', kind: 'chat' },
  }, h('article', {
    class: 'card chat-card',
    tabIndex: -1,
    'aria-labelledby': `title-${id}`,
    'aria-describedby': `standing-${id}`,
    onfocusin: () => { if (s.selectedId !== id) update((next) => { next.selectedId = id; }); },
  }, h('div', { class: 'card-body' },
    h('header', { class: 'card-head' },
      pickBox(incident, s, incident.userId),
      h('span', { class: 'kind' }, 'Chat'),
      h('h2', { id: `title-${id}`, class: 'chat-user' }, incident.userId),
      h('span', { class: 'where' }, 'in ', h('span', { class: 'room-name' }, roomLabel(incident)),
        ' of ', h('span', { class: 'chat-channel' }, channelName(incident, channel))),
      live === true ? h('span', { class: 'badge live' }, 'Live') : null,
      live === false ? h('span', { class: 'badge offline' }, 'Offline') : null,
      h('span', { class: 'severity' }, `${capitalised(incident.severity)} severity`),
      incident.suggestion === 'ban' ? h('span', { class: 'badge suggest' }, 'Ban suggested') : null),
    labelList(incident),
    h('p', { class: 'facts' },
      h('span', { class: ['age', urgent && 'urgent'], dataset: { ageOf: id } }, since),
      h('span', { class: 'message-count' }, plural(incident.messageCount, 'flagged message')),
      h('span', { class: 'strikes' }, strikesText(incident, detail))),
    hold ? h('p', { class: 'hold warning' }, holdText(hold, incident, s.user)) : null,
    h('p', { class: 'standing', id: `standing-${id}` }, standing(incident, s.user),
      incident.resolutionNote ? h('q', { class: 'note' }, incident.resolutionNote) : null),
    claimLine(incident, s.user),
    notice ? h('p', { class: ['notice', `notice-${notice.tone}`] }, notice.text) : null,
    actionBar(incident, s),
    messagesPart(incident, detail, stored))));
}

function roomLabel(incident) {
  return incident.roomName || channelLabel(incident.roomArn, '');
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function strikesText(incident, detail) {
  const now = detail?.chat?.strikesNow;
  const counted = plural(incident.strikes, 'strike');
  return typeof now === 'number' && now !== incident.strikes ? `${counted} (${now} in the window now)` : counted;
}

function holdText(hold, incident, me) {
  const who = hold.by ? ` by ${hold.by === me ? `${hold.by} (you)` : hold.by}` : '';
  const when = hold.at ? ` at ${clock(hold.at)}` : '';
  if (hold.kind === 'timeout') return `Timed out until ${clock(hold.until)}${who}${when}`;
  const where = hold.roomArn === '*' ? 'every room' : hold.roomArn ? 'this room' : 'the room';
  return `Banned from ${where}${who}${when}`;
}

function messagesPart(incident, detail, stored) {
  if (!detail) {
    return h('p', { class: 'hint' }, stored?.error || 'Loading the messages…');
  }
  return h('div', { class: 'chat-detail' },
    h('h3', {}, 'Flagged messages'),
    h('ol', { class: 'chat-messages', 'aria-label': 'Flagged messages' },
      (detail.messages || []).map((m) => flaggedMessage(m))),
    (detail.context || []).length ? [
      h('h3', {}, 'The chat around them'),
      h('ol', { class: 'chat-context', 'aria-label': 'The chat around them' },
        detail.context.map((m) => contextLine(m, incident.userId))),
    ] : null,
    (detail.chat?.earlier || []).length ? [
      h('h3', {}, 'Earlier incidents of this user'),
      h('ul', { class: 'chat-earlier' }, detail.chat.earlier.map(earlierIncident)),
    ] : null);
}

function flaggedMessage(m) {
  return h('li', { class: ['chat-message', m.deleted && 'deleted'] },
    h('time', { dateTime: m.sentAt }, clock(m.sentAt)), ' ',
    h('span', { class: 'chat-text' }, m.content),
    m.deleted ? h('span', { class: 'mark' }, 'Deleted') : null,
    h('span', { class: 'why' }, `Why: ${m.reason}`,
      (m.labels || []).map(([category, label, score]) => h('span', { class: 'chat-label' },
        `${category}: ${label} ${percent(score)}`))),
    m.imageUrl ? h('span', { class: 'image-url' }, 'Image, not loaded: ',
      h('code', {}, m.imageUrl)) : null);
}

function contextLine(m, userId) {
  const own = m.userId === userId;
  return h('li', { class: ['chat-line', own && 'own', m.deleted && 'deleted'] },
    h('time', { dateTime: m.sentAt }, clock(m.sentAt)), ' ',
    h('span', { class: 'chat-from' }, h('strong', { class: 'chat-sender' }, m.userId),
      own ? h('span', { class: 'visually-hidden' }, ' (this user)') : null, ':'), ' ',
    h('span', { class: 'chat-text' }, m.content),
    m.deleted ? h('span', { class: 'mark' }, 'Deleted') : null);
}

function earlierIncident(e) {
  const how = e.state === 'resolved' ? RESOLUTION_WORDS[e.resolution] || e.resolution : e.state;
  return h('li', {}, h('time', { dateTime: e.openedAt }, clock(e.openedAt)), ` ${e.topLabel}: ${how}`);
}
