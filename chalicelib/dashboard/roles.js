// What the signed-in role may do (GET /me: the same table the API enforces). Until /me has
// answered, nothing is hidden: the API refuses in words (403) whatever is not allowed.

// Each card action, and the route it calls.
const ROUTES = {
  acknowledge: 'POST /incidents/{incident_id}/acknowledge',
  dismiss: 'POST /incidents/{incident_id}/resolve',
  warn: 'POST /incidents/{incident_id}/resolve',
  escalate: 'POST /incidents/{incident_id}/resolve',
  reopen: 'POST /incidents/{incident_id}/reopen',
  stop: 'POST /stop-stream',
  takeover: 'POST /incidents/{incident_id}/take-over',
  assign: 'POST /incidents/{incident_id}/assign',
  release: 'POST /incidents/{incident_id}/release',
  ban: 'POST /incidents/{incident_id}/ban',
  timeout: 'POST /incidents/{incident_id}/timeout',
  unban: 'POST /incidents/{incident_id}/unban',
  delete: 'POST /incidents/{incident_id}/delete-messages',
};
// A route a role may call with some bodies only: which of its actions those are.
const LIMITED_TO = { 'POST /incidents/{incident_id}/resolve': ['escalate'] };

/** The actions of `actions` that the role `me` (GET /me's answer, or null) may take. */
export function permitted(actions, me) {
  if (!me?.may) return actions;
  return actions.filter((action) => {
    const route = ROUTES[action];
    if (!route || me.may[route] === undefined) return true; // not one the table knows
    if (!me.may[route]) return false;
    return !(me.limits?.[route] && !(LIMITED_TO[route] || []).includes(action));
  });
}

/** Whether the role may call `route` ("PUT /chat/terms") at all. */
export function may(me, route) {
  return !me?.may || me.may[route] !== false;
}
