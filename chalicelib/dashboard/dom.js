// Building the DOM from data: one element builder, lookups, and the screen reader's live region.
// No HTML strings and no style attributes: the page's CSP allows neither.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// Set as properties (the rest become attributes).
const PROPERTIES = new Set([
  'value', 'checked', 'disabled', 'hidden', 'tabIndex', 'required', 'selected', 'dateTime',
  'htmlFor', 'id', 'title', 'type', 'name', 'alt', 'src', 'min', 'max', 'maxLength',
]);

/** h('button', {class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child, [more]) */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'style') throw new Error('no style attributes: use a class (CSP)');
    if (name === 'class') element.className = [value].flat().filter(Boolean).join(' ');
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (PROPERTIES.has(name)) element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  fill(element, children);
  return element;
}

export function fill(element, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === '') continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function replace(element, ...children) {
  element.replaceChildren();
  return fill(element, children);
}

/** Tell screen readers (the polite live region in index.html). */
export function announce(text) {
  const region = $('#announcer');
  region.textContent = '';
  // A new text node in a later task is read even when the text repeats.
  setTimeout(() => { region.textContent = text; }, 50);
}

export function isTyping(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}
