// The live connection: the IVS Chat Messaging WebSocket of the moderators' room, with a
// fresh token from POST /chat-token for every connection (a token connects once), and
// reconnection with backoff. The header shows its state.

import { post, reason } from './api.js';
import { update } from './store.js';

const QUIET_ATTEMPTS = 5; // reconnect attempts before the status says we could not
let socket = null;
let attempts = 0;
let timer = null;
let handlers = null;

function status(stateName, text) {
  update((s) => { s.connection = { state: stateName, text }; });
}

/** Connect; `onEvent(attributes)` for each STREAM_MODERATION event, `onOpen()` after each
 * (re)connection (to re-sync), `onDenied()` when the API says this user is no moderator. */
export function connect(callbacks) {
  handlers = callbacks;
  open();
}

async function open() {
  clearTimeout(timer);
  status(attempts ? 'reconnecting' : 'connecting', attempts ? 'Reconnecting…' : 'Connecting…');
  const answer = await post('chat-token');
  if (answer.status === 403) {
    status('offline', 'Not connected');
    handlers.onDenied();
    return;
  }
  if (answer.status !== 200) {
    retry(reason(answer));
    return;
  }
  const ws = new WebSocket(answer.body.endpoint, answer.body.token);
  socket = ws;
  ws.addEventListener('open', () => {
    attempts = 0;
    status('live', 'Live');
    handlers.onOpen();
  });
  ws.addEventListener('message', (message) => {
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (frame.Type === 'EVENT' && frame.EventName === 'STREAM_MODERATION' && frame.Attributes) {
      handlers.onEvent(frame.Attributes);
    }
  });
  ws.addEventListener('close', () => {
    if (socket === ws) retry('the connection was closed');
  });
}

function retry(why) {
  socket = null;
  attempts += 1;
  const delay = Math.min(30, 2 ** (attempts - 1));
  if (attempts > QUIET_ATTEMPTS) {
    status('offline', `Could not reconnect (${why}). Trying again in ${delay} s.`);
  } else {
    status('reconnecting', `Reconnecting in ${delay} s…`);
  }
  timer = setTimeout(open, delay * 1000);
}
