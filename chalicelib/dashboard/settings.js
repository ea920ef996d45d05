// The moderator's own settings, remembered in this browser (localStorage), and their dialog.

import { $ } from './dom.js';

const KEY = 'ivs-moderation-settings';
const DEFAULTS = { urgentMinutes: 5, blurFrames: true };

export function loadSettings() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY)) || {};
    const minutes = Number(saved.urgentMinutes);
    return {
      urgentMinutes: Number.isInteger(minutes) && minutes >= 1 && minutes <= 240 ? minutes : DEFAULTS.urgentMinutes,
      blurFrames: typeof saved.blurFrames === 'boolean' ? saved.blurFrames : DEFAULTS.blurFrames,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings) {
  localStorage.setItem(KEY, JSON.stringify(settings));
}

/** Wire the settings dialog; `apply(settings)` stores the new ones. */
export function wireSettings(current, apply) {
  const dialog = $('#settings-dialog');
  $('#settings-open').addEventListener('click', () => {
    const settings = current();
    $('#setting-urgent').value = String(settings.urgentMinutes);
    $('#setting-blur').checked = settings.blurFrames;
    dialog.showModal();
  });
  $('#settings-cancel').addEventListener('click', () => dialog.close());
  $('#settings-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!event.target.reportValidity()) return;
    const settings = {
      urgentMinutes: Number($('#setting-urgent').value),
      blurFrames: $('#setting-blur').checked,
    };
    saveSettings(settings);
    apply(settings);
    dialog.close();
  });
}
