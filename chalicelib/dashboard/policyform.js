// A policy document as a form, and the form read back as a document (docs/policies.md):
// thresholds per category at any level, ignored categories, the content types' overlays,
// skipping, sampling, what it applies to. Each input carries the document path it sets
// (data-path, "alert.Weapons"), so that a 400 naming a path is shown beside its field.
// Fields the form does not know (chat, …) are kept as they were.

import { $$, h } from './dom.js';
import { CATEGORIES, level } from './taxonomy.js';

export const CONTENT_TYPES = ['Animated', 'Illustrated'];
const EVERY = '*';

function categoryOptions(chosen) {
  const every = h('option', { value: EVERY, selected: chosen === EVERY }, 'Every other category (*)');
  return [every, ...CATEGORIES.map((name) => h('option', { value: name, selected: name === chosen },
    `${'\u00a0\u00a0'.repeat(level(name) - 1)}${name}`))];
}

function confidence(map, value, editable) {
  return h('input', {
    type: 'number', min: 0, max: 100, step: 'any', class: 'confidence', dataset: { map },
    value: value === undefined ? '' : String(value), disabled: !editable, inputmode: 'decimal',
    placeholder: map === 'alert' ? 'Alert at %' : 'Auto-stop at %', // the column's head, on a phone
  });
}

function thresholdRow(category, alert, autoStop, editable) {
  const select = h('select', { class: 'category', disabled: !editable }, categoryOptions(category));
  const row = h('tr', { class: 'threshold-row', dataset: { category } },
    h('td', {}, select),
    h('td', {}, confidence('alert', alert, editable)),
    h('td', {}, confidence('autoStop', autoStop, editable)),
    h('td', {}, editable ? h('button', { type: 'button', onclick: () => row.remove() }, 'Remove') : null));
  const named = () => {
    row.dataset.category = select.value;
    for (const input of $$('input', row)) input.setAttribute('aria-label', `${input.dataset.map === 'alert' ? 'Alert' : 'Auto-stop'} at, ${select.value}`);
  };
  select.addEventListener('change', named);
  named();
  return row;
}

/** A table of thresholds (alert and auto-stop per category) for `prefix` ("" or "contentTypes.Animated."). */
function thresholds(prefix, part, editable, caption) {
  const categories = [...new Set([...Object.keys(part.alert || {}), ...Object.keys(part.autoStop || {})])];
  const body = h('tbody', {}, categories.map((c) => thresholdRow(c, part.alert?.[c], part.autoStop?.[c], editable)));
  return h('div', { class: 'thresholds', dataset: { prefix, path: `${prefix}alert` } },
    h('table', { class: 'threshold-table' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Category'), h('th', { scope: 'col' }, 'Alert at (%)'),
        h('th', { scope: 'col' }, 'Auto-stop at (%)'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Remove')))),
      body),
    editable ? h('button', { type: 'button', class: 'add-row', onclick: () => body.append(thresholdRow(EVERY, undefined, undefined, true)) },
      `Add a category${prefix ? ` (${prefix.split('.')[1]})` : ''}`) : null);
}

function ignoredSelect(path, chosen, editable, label) {
  const id = `ignored-${path.replace(/\W/g, '-')}`;
  return h('div', { class: 'field' },
    h('label', { htmlFor: id }, label),
    h('select', { id, multiple: true, size: 6, dataset: { path }, disabled: !editable },
      CATEGORIES.map((name) => h('option', { value: name, selected: (chosen || []).includes(name) },
        `${'\u00a0\u00a0'.repeat(level(name) - 1)}${name}`))));
}

function field(label, path, input, hint) {
  input.id = `policy-${path.replace(/\W/g, '-')}`;
  input.dataset.path = path;
  return h('div', { class: 'field' }, h('label', { htmlFor: input.id }, label), input,
    hint ? h('span', { class: 'hint' }, hint) : null);
}

/** The form's fields for `doc`; read-only unless `editable`. */
export function policyFields(doc, editable, name) {
  const applies = doc.appliesTo || {};
  const tags = Object.entries(applies.tags || {}).map(([k, v]) => `${k}=${v}`).join('\n');
  const off = !editable;
  return [
    field('Description', 'description', h('textarea', { rows: 2, maxLength: 500, disabled: off }, doc.description || '')),
    thresholds('', doc, editable, 'Thresholds: the most specific category on a label\'s path decides'),
    ignoredSelect('ignored', doc.ignored, editable, 'Ignored categories (with everything under them)'),
    h('fieldset', { class: 'overlays' }, h('legend', {}, 'By content type (Rekognition says the frame is…)'),
      CONTENT_TYPES.map((type) => {
        const overlay = doc.contentTypes?.[type] || {};
        return h('details', { class: 'overlay', dataset: { type }, open: Boolean(doc.contentTypes?.[type]) },
          h('summary', {}, type),
          thresholds(`contentTypes.${type}.`, overlay, editable, `${type}: replaces the thresholds above for these categories`),
          ignoredSelect(`contentTypes.${type}.ignored`, overlay.ignored, editable, `${type}: also ignored`));
      })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'policy-frameSkipping', dataset: { path: 'frameSkipping' },
      checked: doc.frameSkipping !== false, disabled: off }), 'Skip near-duplicate frames (reuse the decision of the frame they repeat)'),
    field('Sampling: analyse at most one frame every (seconds)', 'minFrameIntervalSeconds',
      h('input', { type: 'number', min: 0, max: 300, value: String(doc.minFrameIntervalSeconds ?? 0), disabled: off }),
      'Never on a watchlisted channel, nor after a flagged frame.'),
    name === 'watchlist' ? field('Keep a channel on the watchlist for (hours)', 'watchHours',
      h('input', { type: 'number', min: 1, max: 720, value: String(doc.watchHours ?? 24), disabled: off })) : null,
    name === 'watchlist' ? null : h('fieldset', { class: 'applies' }, h('legend', {}, 'Applies to channels'),
      field('With all these IVS tags (key=value, one a line)', 'appliesTo.tags', h('textarea', { rows: 2, disabled: off }, tags)),
      field('Or a name matching (one pattern a line, e.g. kids-*)', 'appliesTo.namePatterns',
        h('textarea', { rows: 2, disabled: off }, (applies.namePatterns || []).join('\n'))),
      field('Priority (0–1000, higher wins)', 'appliesTo.priority',
        h('input', { type: 'number', min: 0, max: 1000, value: applies.priority === undefined ? '' : String(applies.priority), disabled: off }))),
  ];
}

function number(text) {
  return text.trim() === '' ? undefined : Number(text);
}

function readThresholds(table) {
  const alert = {};
  const autoStop = {};
  for (const row of $$('.threshold-row', table)) {
    const category = row.dataset.category;
    for (const input of $$('input', row)) {
      const prefix = table.dataset.prefix;
      input.dataset.path = `${prefix}${input.dataset.map}.${category}`;
      const value = number(input.value);
      if (value !== undefined) (input.dataset.map === 'alert' ? alert : autoStop)[category] = value;
    }
  }
  return { alert, autoStop };
}

const picked = (select) => [...select.selectedOptions].map((option) => option.value);
const lines = (text) => text.split(/\n|,/).map((line) => line.trim()).filter(Boolean);

/** The document the form says, over `base` (what was loaded: fields the form does not know stay). */
export function readPolicy(root, base = {}) {
  const at = (path) => root.querySelector(`[data-path="${path}"]`);
  const doc = { ...base };
  const main = readThresholds(root.querySelector('.thresholds[data-prefix=""]'));
  doc.alert = main.alert;
  if (Object.keys(main.autoStop).length) doc.autoStop = main.autoStop; else delete doc.autoStop;
  doc.description = at('description').value.trim();
  if (!doc.description) delete doc.description;
  const ignored = picked(at('ignored'));
  if (ignored.length) doc.ignored = ignored; else delete doc.ignored;
  const types = {};
  for (const type of CONTENT_TYPES) {
    const overlay = readThresholds(root.querySelector(`.thresholds[data-prefix="contentTypes.${type}."]`));
    const also = picked(at(`contentTypes.${type}.ignored`));
    if (Object.keys(overlay.alert).length || Object.keys(overlay.autoStop).length || also.length) {
      types[type] = { alert: overlay.alert, autoStop: overlay.autoStop, ...(also.length ? { ignored: also } : {}) };
    }
  }
  if (Object.keys(types).length) doc.contentTypes = types; else delete doc.contentTypes;
  doc.frameSkipping = at('frameSkipping').checked;
  doc.minFrameIntervalSeconds = number(at('minFrameIntervalSeconds').value) ?? 0;
  if (at('watchHours')) doc.watchHours = number(at('watchHours').value);
  if (!at('appliesTo.tags')) return doc; // the watchlist policy applies to watched channels
  const tags = Object.fromEntries(lines(at('appliesTo.tags').value).map((line) => {
    const [key, ...value] = line.split('=');
    return [key.trim(), value.join('=').trim()];
  }));
  const patterns = lines(at('appliesTo.namePatterns').value);
  const priority = number(at('appliesTo.priority').value);
  const applies = {
    ...(Object.keys(tags).length ? { tags } : {}),
    ...(patterns.length ? { namePatterns: patterns } : {}),
    ...(priority !== undefined ? { priority } : {}),
  };
  if (Object.keys(applies).length) doc.appliesTo = applies; else delete doc.appliesTo;
  return doc;
}

/** The field a refusal names ("contentTypes.Animated.alert.Violence: …"): the one whose path
 * is the longest start of it; null when none is. */
export function fieldOf(root, message) {
  const path = String(message || '').split(':')[0].trim();
  let best = null;
  for (const element of $$('[data-path]', root)) {
    const own = element.dataset.path;
    const starts = path === own || path.startsWith(`${own}.`) || path.startsWith(`${own}[`);
    if (starts && (!best || own.length > best.dataset.path.length)) best = element;
  }
  return best;
}
