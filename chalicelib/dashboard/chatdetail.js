// A chat incident's detail, GET /incidents/{id}: its flagged messages, the chat around
// them, its user's ban or timeout now, their earlier incidents, the channel's live state.
// Fetched for each chat incident shown, again whenever its version changes.

import { get, reason } from './api.js';
import { state, update } from './store.js';

const loading = new Set(); // incidentId:version being fetched

/** The detail of the version shown is on its way or there (s.details). */
export function ensureDetail(incident) {
  const known = state.details.get(incident.incidentId);
  if (known && known.version >= incident.version) return;
  const key = `${incident.incidentId}:${incident.version}`;
  if (loading.has(key)) return;
  loading.add(key);
  get(`incidents/${incident.incidentId}`).then((answer) => {
    loading.delete(key);
    update((s) => {
      const now = s.details.get(incident.incidentId);
      if (answer.status !== 200) {
        if (!now || now.error) {
          const error = `The messages could not be loaded: ${reason(answer)}.`;
          s.details.set(incident.incidentId, { error, version: incident.version });
        }
        return;
      }
      const version = Number(answer.body.version);
      if (!now || now.error || version >= now.version) s.details.set(incident.incidentId, { ...answer.body, version });
    });
  });
}
