// Chat incidents as the dashboard keeps them (kind "chat": a user's flagged messages in a
// viewers' room): their fields, from the API or an event, and what can be done with them.
// Their messages and surrounding chat come with GET /incidents/{id} (chatdetail.js).

/** A chat incident's own fields; none for a frame incident. An event may have shortened
 * its text fields to fit 1 KB: what an incident is about (user, room) never changes, so
 * the one already known is kept. */
export function chatFields(item, previous) {
  if ((item.kind || previous?.kind) !== 'chat') return {};
  return {
    kind: 'chat',
    userId: previous?.userId || String(item.userId || ''),
    roomArn: previous?.roomArn || String(item.roomArn || ''),
    roomName: String(item.roomName || previous?.roomName || ''),
    messageCount: Number(item.messageCount || previous?.messageCount || 0),
    strikes: Number(item.strikes || previous?.strikes || 0),
    suggestion: String(item.suggestion || previous?.suggestion || ''),
    timedOutUntil: String(item.timedOutUntil || previous?.timedOutUntil || ''),
  };
}

export const isChat = (incident) => incident?.kind === 'chat';

/** The detail (GET /incidents/{id}) when it is of the version shown, or newer. */
export function currentDetail(incident, detail) {
  return detail && !detail.error && detail.version >= incident.version ? detail : null;
}

/** The ban or timeout on the incident's user now: {kind, until, by, at, roomArn} or null.
 * The detail says; until it is loaded, the incident's own fields do. */
export function holdOf(incident, detail, now) {
  const known = currentDetail(incident, detail);
  const ban = known ? known.chat?.ban || null : guessedHold(incident);
  if (ban?.until && Date.parse(ban.until) <= now) return null; // a timeout that ran out
  return ban;
}

function guessedHold(incident) {
  if (incident.resolution === 'banned') {
    return { kind: 'ban', until: '', by: incident.resolvedBy, at: incident.resolvedAt, roomArn: '' };
  }
  if (incident.timedOutUntil) {
    const by = incident.resolution === 'timed-out' ? incident.resolvedBy : '';
    return { kind: 'timeout', until: incident.timedOutUntil, by, at: '', roomArn: '' };
  }
  return null;
}

/** The user's lines a moderator can still delete: in the surrounding chat, not deleted. */
export function deletable(incident, detail) {
  const known = currentDetail(incident, detail);
  if (!known) return [];
  const own = [...(known.messages || []), ...(known.context || [])];
  return own.filter((m) => !m.deleted && (m.userId === undefined || m.userId === incident.userId));
}

/** What a moderator can do with a chat incident now (no stop, warn or escalation: the
 * stream is not its subject). */
export function chatActionsFor(incident, detail, now = Date.now()) {
  const held = holdOf(incident, detail, now);
  if (incident.state === 'resolved') return held ? ['unban', 'reopen'] : ['reopen'];
  const actions = incident.state === 'open' ? ['acknowledge'] : [];
  if (deletable(incident, detail).length) actions.push('delete');
  actions.push('timeout', 'ban');
  if (held) actions.push('unban');
  actions.push('dismiss');
  return actions;
}
