// A policy's versions (GET /policies/{name}'s `versions`), newest first: who saved it, when,
// their comment, and what changed (path, before → after); a version's whole document on
// demand (GET /policies/{name}/versions/{version}). An admin restores an older version
// (POST /policies/{name}/restore {version, expectedVersion}) after confirming it: it is saved
// as a new version.

import { get, post, reason } from './api.js';
import { $, h, replace } from './dom.js';
import { clock } from './format.js';

const shown = (value) => (value === undefined || value === null ? '(not set)' : JSON.stringify(value));

function diffTable(diff) {
  if (!diff?.length) return h('p', { class: 'hint' }, 'No field changed.');
  return h('table', { class: 'diff' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
    h('tbody', {}, diff.map((change) => h('tr', { dataset: { path: change.path } },
      h('th', { scope: 'row', class: 'id' }, change.path),
      h('td', { class: 'before' }, shown(change.before)),
      h('td', { class: 'after' }, shown(change.after))))));
}

async function showDocument(name, version, into) {
  const answer = await get(`policies/${encodeURIComponent(name)}/versions/${version}`);
  const doc = answer.body?.document || answer.body;
  replace(into, answer.status === 200 ? h('pre', { class: 'policy-json' }, JSON.stringify(doc, null, 2))
    : h('p', { class: 'hint' }, `Not loaded: ${reason(answer)}.`));
}

function confirmRestore(detail, version, into, onRestored) {
  const status = h('span', { role: 'status' });
  const restore = async () => {
    const answer = await post(`policies/${encodeURIComponent(detail.name)}/restore`, { version, expectedVersion: detail.version });
    if (answer.status === 200) await onRestored(detail.name);
    else status.textContent = `Not restored: ${reason(answer)}.`;
  };
  replace(into, h('p', { class: 'confirm' },
    `Restore version ${version}? Its document is saved as version ${detail.version + 1}. `,
    h('button', { type: 'button', class: 'danger', onclick: restore }, `Restore version ${version}`), ' ',
    h('button', { type: 'button', onclick: () => replace(into) }, 'Cancel'), ' ', status));
}

/** The versions of the opened policy `detail`; `editable`: the signed-in role may restore. */
export function showVersions(detail, { editable, onRestored }) {
  const versions = [...(detail.versions || [])].sort((a, b) => b.version - a.version);
  $('#policy-history').hidden = !versions.length;
  replace($('#policy-versions'), versions.map((entry) => {
    const extra = h('div', { class: 'version-extra' });
    const current = entry.version === detail.version;
    return h('li', { class: 'version', dataset: { version: String(entry.version) } },
      h('p', { class: 'version-head' }, h('strong', {}, `Version ${entry.version}`), current ? ' (current)' : '',
        ` by ${entry.savedBy} at ${clock(entry.savedAt)}`,
        entry.restoredFrom ? `, restored from version ${entry.restoredFrom}` : '',
        entry.deleted ? ', deleted' : ''),
      entry.comment ? h('q', { class: 'note' }, entry.comment) : null,
      diffTable(entry.diff),
      h('p', { class: 'version-actions' },
        h('button', { type: 'button', onclick: () => showDocument(detail.name, entry.version, extra) }, 'Show the document'), ' ',
        editable && !current ? h('button', {
          type: 'button', onclick: () => confirmRestore(detail, entry.version, extra, onRestored),
        }, `Restore version ${entry.version}…`) : null),
      extra);
  }));
}
