// What moderators do to a chat incident's user: time out (a choice of lengths), ban (this
// room or every room), unban, delete their lines still in the room. Acknowledge, dismiss
// (its strikes are taken back) and reopen are every incident's (actions.js).

import { post } from './api.js';
import { deletable } from './chatmodel.js';
import { h } from './dom.js';
import { clock } from './format.js';

export const CHAT_ACTIONS = {
  timeout: { label: 'Time out', key: 't', busy: 'Timing out…', title: 'Time the user out of the chat' },
  ban: { label: 'Ban', key: 'b', busy: 'Banning…', title: 'Ban the user from the chat' },
  unban: { label: 'Unban', key: 'u', busy: 'Unbanning…', title: 'Lift the user’s ban or timeout' },
  delete: { label: 'Delete messages', key: 'x', busy: 'Deleting…', title: 'Delete the user’s messages' },
};

export const TIMEOUTS = [[10, '10 minutes'], [60, '1 hour'], [1440, '1 day'], [10080, '7 days']];

const radio = (name, value, text, checked) => h('label', { class: 'check' },
  h('input', { type: 'radio', name, value: String(value), checked }), ` ${text}`);

const noteField = () => h('label', { class: 'field' }, 'Note (optional)',
  h('input', { name: 'note', maxLength: 500, autocomplete: 'off' }));

export const CHAT_FORMS = {
  timeout: () => [
    h('p', {}, 'The user is disconnected, and their messages are refused until the timeout ends.'),
    h('fieldset', { class: 'choices' }, h('legend', {}, 'For'),
      TIMEOUTS.map(([minutes, text], i) => radio('minutes', minutes, text, i === 0))),
    noteField(),
  ],
  ban: () => [
    h('p', {}, 'The user is disconnected, and their messages are refused until a moderator unbans them.'),
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Where'),
      radio('scope', 'room', 'This room', true), radio('scope', 'every', 'Every room', false)),
    noteField(),
  ],
  delete: (incident, detail) => [
    h('p', {}, 'Removed from the room for everyone in it.'),
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Messages to delete'),
      deletable(incident, detail).map((m) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'messageIds', value: m.id, checked: true }),
        ' ', h('time', { dateTime: m.sentAt }, clock(m.sentAt)), ' ',
        h('span', { class: 'chat-text' }, m.content)))),
  ],
};

/** The request of a chat action, on the incident as shown (`seen`: its version, the note). */
export function chatRequest(incident, action, input, seen) {
  const path = `incidents/${incident.incidentId}`;
  switch (action) {
    case 'timeout': return post(`${path}/timeout`, { minutes: input.minutes, ...seen });
    case 'ban': return post(`${path}/ban`, { everyRoom: input.everyRoom, ...seen });
    case 'unban': return post(`${path}/unban`, input.note ? { note: input.note } : {});
    case 'delete': return post(`${path}/delete-messages`, { messageIds: input.messageIds, version: incident.version });
    default: throw new Error(`unknown action ${action}`);
  }
}

/** A dialog's input, read from its form. */
export function chatInput(data) {
  return {
    minutes: Number(data.get('minutes') || 0),
    everyRoom: data.get('scope') === 'every',
    messageIds: data.getAll('messageIds').map(String),
  };
}
