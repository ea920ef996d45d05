// One example of a backtest opened: the frame (its decision found in GET /decisions, as the
// history tab shows it: the thumbnail, blurred by the moderator's setting), what was decided
// and what the draft would decide, and its incident when it opened one.

import { get, reason } from './api.js';
import { $, h, replace } from './dom.js';
import { channelLabel, fullTime, percent } from './format.js';
import { frameImage, remember } from './frames.js';
import { incidentLink } from './links.js';
import { state } from './store.js';

const FRAME_DECISIONS = 'clean,alert,auto-stop,unscannable,failed,superseded';

/** The decision an example names, from the channel's log around its frame time. */
async function decisionOf(example) {
  const at = new Date(example.frameTime).getTime();
  const params = new URLSearchParams({
    channelArn: example.channelArn,
    from: new Date(at - 1000).toISOString(),
    to: new Date(at + 1000).toISOString(),
    decision: FRAME_DECISIONS,
  });
  const answer = await get(`decisions?${params}`);
  if (answer.status !== 200) return { error: reason(answer) };
  const found = answer.body.items.find((item) => item.decisionId === example.decisionId) || answer.body.items[0];
  if (found?.thumbnailKey) remember(found.thumbnailKey, found.frameUrl, found.frameUrlExpiresAt);
  return found || { error: 'it is no longer in the decision log' };
}

export async function openExample(example) {
  const dialog = $('#example-dialog');
  const name = example.name || channelLabel(example.channelArn, state.channels.get(example.channelArn)?.name);
  const body = h('div', { class: 'example-frame' }, h('p', { class: 'hint' }, 'Loading the frame…'));
  replace(dialog,
    h('h2', { id: 'example-title' }, `${name}, ${fullTime(example.frameTime)}`),
    h('p', { class: 'example-flip' }, `Decided: ${example.before}; with the draft: ${example.after}`,
      example.label ? ` (${example.label} ${percent(example.confidence)})` : ''),
    body,
    h('div', { class: 'dialog-buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, 'Close')));
  if (!dialog.open) dialog.showModal();
  const decision = await decisionOf({ ...example });
  if (decision.error) {
    replace(body, h('p', { class: 'hint' }, `The frame could not be found: ${decision.error}.`));
    return;
  }
  const labels = (decision.categories || []).map((c) => `${c.label} ${percent(c.confidence)}`).join(', ');
  replace(body,
    decision.thumbnailKey ? frameImage({ key: decision.thumbnailKey, alt: `Frame of ${name}`, blurred: state.settings.blurFrames, width: 640, height: 360 }) : null,
    labels ? h('p', {}, `Labels recorded: ${labels}`) : null,
    decision.policy ? h('p', { class: 'hint' }, `Decided by ${decision.policy} v${decision.policyVersion ?? 0}`) : null,
    decision.incidentId ? h('p', { onclick: () => dialog.close() }, incidentLink(decision.incidentId, 'Open the incident', `Open the incident of ${name}`)) : null);
}
