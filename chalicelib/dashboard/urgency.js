// How urgent an incident is: the share of its severity's target it has used while nobody
// resolved it. The targets are constants here until the stage has settings of its own
// (GET /config `slaMinutes`, {critical, high, medium}, is read when it is there). The
// queue's orders: urgency (the default), newest, oldest.

export const TARGET_MINUTES = { critical: 2, high: 5, medium: 15 };
const SEVERITY_RANK = { medium: 1, high: 2, critical: 3 };

export const SORTS = {
  urgency: 'Most urgent (severity and time against its target)',
  newest: 'Newest first',
  oldest: 'Oldest first',
};

/** The minutes an incident of this severity may stay open: the stage's, else ours. */
export function targetMinutes(severity, config) {
  const stage = Number(config?.slaMinutes?.[severity]);
  if (Number.isFinite(stage) && stage > 0) return stage;
  return TARGET_MINUTES[severity] || TARGET_MINUTES.medium;
}

/** The share of its target an unresolved incident has used (1: at its target); 0 resolved. */
export function urgency(incident, now, config) {
  if (incident.state === 'resolved') return 0;
  const open = now - new Date(incident.openedAt).getTime();
  if (!Number.isFinite(open)) return 0;
  return open / (targetMinutes(incident.severity, config) * 60_000);
}

// Unresolved first, then escalated (still with a team), then the resolved ones.
const group = (i) => (i.state !== 'resolved' ? 0 : i.resolution === 'escalated' ? 1 : 2);
const bySeverity = (a, b) => (SEVERITY_RANK[b.severity] || 0) - (SEVERITY_RANK[a.severity] || 0);
const oldest = (a, b) => (a.openedAt || '').localeCompare(b.openedAt || '');

/** A comparator for `sort` (a key of SORTS) at `now`. */
export function queueSort(sort, now, config) {
  return (a, b) => {
    const byGroup = group(a) - group(b);
    if (byGroup) return byGroup;
    if (sort === 'newest') return oldest(b, a);
    if (sort === 'oldest') return oldest(a, b);
    if (group(a) === 2) return (b.resolvedAt || '').localeCompare(a.resolvedAt || '');
    if (group(a) === 0) {
      const more = urgency(b, now, config) - urgency(a, now, config);
      if (more) return more;
    }
    return bySeverity(a, b) || oldest(a, b);
  };
}
