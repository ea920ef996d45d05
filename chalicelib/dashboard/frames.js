// Frames: short-lived presigned links (GET /frames?key=, or with GET /incidents/{id}),
// fetched when an image scrolls into view and kept until shortly before they expire.
// Frames are blurred unless the moderator's setting or a reveal says otherwise.

import { get } from './api.js';
import { h } from './dom.js';

const links = new Map(); // key -> {url, expiresAt (ms)} or a Promise of it
const MARGIN_MS = 30_000;

function fresh(link) {
  return link && !(link instanceof Promise) && link.expiresAt - Date.now() > MARGIN_MS;
}

/** Remember links the API already gave (GET /incidents/{id}, GET /decisions). */
export function remember(key, url, expiresAt) {
  if (key && url) links.set(key, { url, expiresAt: new Date(expiresAt || 0).getTime() || Date.now() + 120_000 });
}

async function link(key) {
  const known = links.get(key);
  if (fresh(known)) return known;
  if (known instanceof Promise) return known;
  const request = get(`frames?key=${encodeURIComponent(key)}`).then((answer) => {
    if (answer.status !== 200) {
      links.delete(key);
      return null;
    }
    const value = { url: answer.body.frameUrl, expiresAt: new Date(answer.body.frameUrlExpiresAt).getTime() };
    links.set(key, value);
    return value;
  });
  links.set(key, request);
  return request;
}

const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    observer.unobserve(entry.target);
    load(entry.target);
  }
}, { rootMargin: '200px' });

async function load(img) {
  const found = await link(img.dataset.key);
  if (found) img.src = found.url;
  else img.alt = `${img.alt} (frame not available)`;
}

/** An <img> of a thumbnail, loaded when it is about to be seen; in a blurring frame. */
export function frameImage({ key, alt, blurred, className = '', width = 320, height = 180 }) {
  const img = h('img', { alt, width, height, decoding: 'async', dataset: { key } });
  const known = links.get(key);
  if (fresh(known)) img.src = known.url;
  else if (key) observer.observe(img);
  return h('span', { class: ['frame', className, blurred && 'blurred'] }, img);
}
