// Words for times, durations, confidences and names, in the moderator's own time zone.

export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const timeOfDay = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
});
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit',
  timeZoneName: 'short',
});

/** "10:02:13 UTC" today, "21 Nov, 10:02:13 UTC" another day. */
export function clock(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  return at.toDateString() === new Date().toDateString() ? timeOfDay.format(at) : dayAndTime.format(at);
}

export function fullTime(iso) {
  return iso ? dayAndTime.format(new Date(iso)) : '';
}

/** The zone the times are shown in, e.g. "Europe/Paris (GMT+1)". */
export function zoneLabel() {
  const short = timeOfDay.formatToParts(new Date()).find((part) => part.type === 'timeZoneName');
  return short && short.value !== TIME_ZONE ? `${TIME_ZONE} (${short.value})` : TIME_ZONE;
}

/** 45 s, 6 min, 1 h 20 min, 2 d 3 h */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function percent(value) {
  const number = Number(value);
  return Number.isFinite(number) ? `${number.toFixed(1)}%` : '';
}

/** The channel's name; its id when no name is known. */
export function channelLabel(channelArn, name) {
  return name || String(channelArn || '').split('/').pop();
}

export function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : '';
}

export const RESOLUTION_WORDS = {
  dismissed: 'dismissed as a false positive',
  stopped: 'stream stopped',
  warned: 'warned',
  escalated: 'escalated',
  'stream-ended': 'the stream ended',
  banned: 'user banned',
  'timed-out': 'user timed out',
};

/** A trail entry's action in words: "resolved as dismissed", "took it over from maria"
 * (`passive`, after "Incident": "taken over from maria", "assigned to tom"). */
export function actionWords(action, passive = false) {
  const text = String(action || '').replace('resolved:', 'resolved as ');
  return passive
    ? text.replace(/^taken-over-from:/, 'taken over from ').replace(/^taken-over$/, 'taken over')
      .replace(/^assigned-to:/, 'assigned to ')
    : text.replace(/^taken-over-from:/, 'took it over from ').replace(/^taken-over$/, 'took it over')
      .replace(/^assigned-to:/, 'assigned it to ');
}
