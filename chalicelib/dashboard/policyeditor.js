// One policy opened (GET /policies/{name}): its form (policyform.js), saved with the version
// the editor saw (PUT /policies/{name} {document, expectedVersion, comment}); a 400 is shown
// beside the field its message names, a 409 says who saved since and offers to reload. Its
// backtest (backtest.js) and its versions (policyhistory.js) are below it. Admins edit;
// everyone else reads; an admin may delete one (DELETE, with the version seen). The form is
// built when a policy is opened, not on every render.

import { api, get, reason } from './api.js';
import { clearBacktest, wireBacktest } from './backtest.js';
import { $, $$, h, replace } from './dom.js';
import { clock } from './format.js';
import { fieldOf, policyFields, readPolicy } from './policyform.js';
import { showVersions } from './policyhistory.js';
import { may } from './roles.js';
import { state } from './store.js';

let opened = null; // {name, version, document, isNew, editable, readOnly}
let changed = () => {}; // the list reloads after a save or a restore

export function wirePolicyEditor(onChanged) {
  changed = onChanged;
  $('#policy-form').addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });
  $('#policy-close').addEventListener('click', closePolicy);
  $('#policy-delete').addEventListener('click', () => { $('#policy-delete-confirm').hidden = false; });
  $('#policy-delete-no').addEventListener('click', () => { $('#policy-delete-confirm').hidden = true; });
  $('#policy-delete-yes').addEventListener('click', remove);
  $('#policy-json-show').addEventListener('click', () => { $('#policy-json').value = JSON.stringify(draft().document, null, 2); });
  $('#policy-json-use').addEventListener('click', useJson);
  wireBacktest(draft);
}

/** What the form says now: the draft a backtest runs. */
export function draft() {
  const name = opened?.isNew ? $('#policy-name').value.trim() : opened?.name;
  return { name, document: readPolicy($('#policy-fields'), opened?.document || {}) };
}

export function closePolicy() {
  opened = null;
  $('#policy-editor').hidden = true;
}

/** Open `name` (GET /policies/{name}); `fallback`: what to show when it has never been saved
 * (the watchlist policy before an admin edits it). */
export async function openPolicy(name, fallback = null) {
  const answer = await get(`policies/${encodeURIComponent(name)}`);
  if (answer.status === 404 && fallback) {
    show({ name, version: 0, document: fallback, versions: [] }, false);
  } else if (answer.status !== 200) {
    say(`${name} could not be opened: ${reason(answer)}.`);
  } else {
    show(answer.body, false);
  }
}

export function openNew() {
  show({ name: '', version: 0, document: { alert: { '*': 80 } }, versions: [] }, true);
}

/** The stage default, read-only (it is changed in the stage's environment). */
export function openDefault(document) {
  show({ name: 'default', version: 0, document, versions: [], readOnly: true }, false);
}

function show(detail, isNew) {
  const editable = !detail.readOnly && may(state.me, 'PUT /policies/{name}');
  opened = { ...detail, isNew, editable };
  const editor = $('#policy-editor');
  editor.hidden = false;
  editor.dataset.policy = detail.name;
  $('#policy-editor-title').textContent = isNew ? 'New policy' : `${detail.name}, version ${detail.version}`;
  const readOnly = editable ? '' : ' Read-only: only an admin edits policies.';
  $('#policy-editor-meta').textContent = detail.readOnly
    ? 'The stage default: built from the stage\'s environment (ALERT_THRESHOLDS, …); change it there.'
    : detail.savedBy === 'stage' ? `The stage's own, never saved: saving makes it a policy of its own.${readOnly}`
      : detail.savedBy ? `Saved by ${detail.savedBy} at ${clock(detail.savedAt)}.${readOnly}` : readOnly.trim();
  $('#policy-name-field').hidden = !isNew;
  $('#policy-name').value = '';
  replace($('#policy-fields'), policyFields(detail.document || {}, editable, detail.name));
  $('#policy-save').hidden = !editable;
  $('#policy-delete').hidden = !editable || isNew || !detail.version || !may(state.me, 'DELETE /policies/{name}');
  $('#policy-delete-confirm').hidden = true;
  $('#policy-json-use').hidden = !editable;
  $('#policy-json').value = '';
  // the watchlist policy is laid over others: it is not backtested on its own (docs/policies.md)
  $('#backtest').hidden = !may(state.me, 'POST /policies/backtest') || detail.readOnly || detail.name === 'watchlist';
  say('');
  clearBacktest();
  showVersions(detail, { editable, onRestored: reopen });
  editor.scrollIntoView?.({ block: 'start' });
}

function reopen(name) {
  changed();
  return openPolicy(name);
}

function useJson() {
  let doc;
  try {
    doc = JSON.parse($('#policy-json').value);
  } catch (error) {
    say(`The JSON is not valid: ${error.message}.`);
    return;
  }
  replace($('#policy-fields'), policyFields(doc, true, opened.name));
  opened.document = doc;
  say('The form shows the JSON: save to keep it.');
}

function clearErrors() {
  for (const error of $$('#policy-form .field-error')) error.remove();
  for (const field of $$('#policy-form [aria-invalid]')) {
    field.removeAttribute('aria-invalid');
    field.removeAttribute('aria-describedby');
  }
}

/** The server's refusal beside the field it names ("alert.Weapons: confidence 120 …"). */
function showError(message) {
  const field = fieldOf($('#policy-form'), message);
  if (!field) return;
  const error = h('p', { class: 'field-error', id: `error-${Date.now()}` }, message);
  field.after(error);
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', error.id);
  field.closest('details')?.setAttribute('open', '');
  field.focus();
}

function say(text, ...more) {
  replace($('#policy-save-status'), text, ...more);
}

async function remove() {
  const { name, version } = opened;
  const answer = await api('DELETE', `policies/${encodeURIComponent(name)}?expectedVersion=${version}`);
  $('#policy-delete-confirm').hidden = true;
  if (answer.status !== 200) {
    say(`Not deleted: ${reason(answer)}.`);
    return;
  }
  closePolicy();
  changed();
}

async function save() {
  if (!opened?.editable) return;
  clearErrors();
  const { name, document } = draft();
  const comment = $('#policy-comment').value.trim();
  const body = { document, expectedVersion: opened.version, ...(comment ? { comment } : {}) };
  $('#policy-save-button').disabled = true;
  const answer = await api('PUT', `policies/${encodeURIComponent(name || '-')}`, body);
  $('#policy-save-button').disabled = false;
  if (answer.status === 200) {
    $('#policy-comment').value = '';
    await reopen(answer.body.name || name);
    say(`Saved: ${answer.body.name || name}, version ${answer.body.version}.`);
  } else if (answer.status === 400) {
    say(`Not saved: ${reason(answer)}`);
    showError(reason(answer));
  } else if (answer.status === 409) {
    say(`Not saved: ${reason(answer)}. `, h('button', {
      type: 'button', class: 'reload', onclick: () => openPolicy(name),
    }, 'Reload the saved version (your changes here are lost)'));
  } else {
    say(`Not saved: ${reason(answer)}.`);
  }
}
