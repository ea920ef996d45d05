// What decided an incident's frames or governs a channel, in words: "kids v3 — tag
// moderation-policy=kids (priority 10)" (the answers' policy, policyVersion, policyWhy), and
// a "Watchlisted until …" badge while the watchlist policy is laid over the channel.

import { h } from './dom.js';
import { clock } from './format.js';

/** The policy that applied to `item` (an incident or a channel); null when not known. */
export function policyLine(item) {
  if (!item?.policy) return null;
  const version = item.policyVersion === undefined || item.policyVersion === '' ? '' : ` v${item.policyVersion}`;
  return h('span', { class: 'policy-applied', title: 'The policy that applied' },
    `Policy: ${item.policy}${version}`, item.policyWhy ? ` — ${item.policyWhy}` : '');
}

/** `watch`: {until, reason} or null. */
export function watchBadge(watch) {
  if (!watch?.until) return null;
  return h('span', { class: 'badge watch', title: watch.reason ? `Why: ${watch.reason}` : null },
    `Watchlisted until ${clock(watch.until)}`);
}
