// What decided an incident's frames or governs a channel, in words: "kids v3 — tag
// moderation-policy=kids (priority 10)" (the answers' policy, policyVersion, policyWhy), and
// a "Watchlisted until …" badge while the watchlist policy is laid over the channel.

import { h } from './dom.js';
import { clock } from './format.js';

/** An answer's policy as {policy, policyVersion, policyWhy}: the decision log's fields, or
 * the incidents' and channels' `policy: {name, version, why}` (api/policy_notes.py). */
export function appliedOf(item) {
  const policy = item?.policy;
  if (policy && typeof policy === 'object') {
    return { policy: policy.name || '', policyVersion: policy.version ?? '', policyWhy: policy.why || '' };
  }
  return { policy: policy || '', policyVersion: item?.policyVersion ?? '', policyWhy: item?.policyWhy || '' };
}

/** The policy that applied to `item` (an incident or a channel); null when not known. */
export function policyLine(item) {
  const { policy, policyVersion, policyWhy } = appliedOf(item);
  if (!policy) return null;
  const version = policyVersion === undefined || policyVersion === null || policyVersion === '' ? '' : ` v${policyVersion}`;
  return h('span', { class: 'policy-applied', title: 'The policy that applied' },
    `Policy: ${policy}${version}`, policyWhy ? ` — ${policyWhy}` : '');
}

/** `watch`: {until, reason} or null. */
export function watchBadge(watch) {
  if (!watch?.until) return null;
  return h('span', { class: 'badge watch', title: watch.reason ? `Why: ${watch.reason}` : null },
    `Watchlisted until ${clock(watch.until)}`);
}
