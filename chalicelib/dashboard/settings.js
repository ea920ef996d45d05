// The moderator's own settings, remembered in this browser (localStorage), and their dialog:
// blurring, a compact queue, and the opt-in alerts of a new incident (a sound, a desktop
// notification: the browser's permission is asked when it is first turned on).

import { $ } from './dom.js';

const KEY = 'ivs-moderation-settings';
const DEFAULTS = { blurFrames: true, compact: false, sound: false, notify: false };

export function loadSettings() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY)) || {};
    return Object.fromEntries(Object.entries(DEFAULTS).map(([name, value]) => (
      [name, typeof saved[name] === 'boolean' ? saved[name] : value])));
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings) {
  localStorage.setItem(KEY, JSON.stringify(settings));
}

/** The browser's word on desktop notifications: granted, denied, default, or unsupported. */
export function notificationPermission() {
  return 'Notification' in window ? Notification.permission : 'unsupported';
}

function permissionHint() {
  const hint = {
    denied: 'This browser blocks notifications from this page: allow them in its site settings.',
    unsupported: 'This browser cannot show desktop notifications.',
    default: 'The browser asks you once when you save.',
    granted: '',
  }[notificationPermission()];
  $('#setting-notify-hint').textContent = hint;
}

/** Wire the settings dialog; `apply(settings)` stores the new ones. */
export function wireSettings(current, apply) {
  const dialog = $('#settings-dialog');
  $('#settings-open').addEventListener('click', () => {
    const settings = current();
    $('#setting-blur').checked = settings.blurFrames;
    $('#setting-sound').checked = settings.sound;
    $('#setting-notify').checked = settings.notify;
    permissionHint();
    dialog.showModal();
  });
  $('#settings-cancel').addEventListener('click', () => dialog.close());
  $('#settings-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!event.target.reportValidity()) return;
    const settings = {
      ...current(),
      blurFrames: $('#setting-blur').checked,
      sound: $('#setting-sound').checked,
      notify: $('#setting-notify').checked,
    };
    saveSettings(settings);
    apply(settings);
    dialog.close();
    // Asked once: only while the browser has no answer yet (it remembers the moderator's).
    if (settings.notify && notificationPermission() === 'default') await Notification.requestPermission();
  });
}
