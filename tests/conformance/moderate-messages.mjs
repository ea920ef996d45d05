// Connects the official amazon-ivs-chat-messaging SDK to a chat WebSocket, sends each
// content given with sendMessage (one after the other) and prints, as JSON lines,
// "connected", then "sent" (with the message's id) or "rejected" (with the SDK's ChatError)
// per content, then "waiting", and then the first messageDelete event it receives; exits 0.
// Usage: node moderate-messages.mjs <ws-url> <token> <token-expiry-iso> <session-expiry-iso>
//          <content>...
import WebSocket from 'ws';
import { ChatRoom, SendMessageRequest } from 'amazon-ivs-chat-messaging';

globalThis.WebSocket = WebSocket; // the SDK is written for browsers; Node 20 has no WebSocket

const [url, token, tokenExpirationTime, sessionExpirationTime, ...contents] =
  process.argv.slice(2);
const room = new ChatRoom({
  regionOrUrl: url,
  maxReconnectAttempts: 0,
  tokenProvider: async () => ({
    token,
    tokenExpirationTime: new Date(tokenExpirationTime),
    sessionExpirationTime: new Date(sessionExpirationTime),
  }),
});
room.logLevel = 'info';
room.logger = { debug: () => {}, info: console.error, error: console.error };
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

room.addListener('disconnect', (reason) => {
  print({ state: 'disconnected', reason: String(reason?.reason ?? reason) });
  process.exit(2);
});
room.addListener('messageDelete', (event) => {
  print({
    state: 'deleted',
    id: event.id,
    messageId: event.messageId,
    reason: event.reason,
    requestId: event.requestId,
  });
  process.exit(0);
});
room.addListener('connect', async () => {
  print({ state: 'connected' });
  for (const content of contents) {
    try {
      const message = await room.sendMessage(new SendMessageRequest(content));
      print({ state: 'sent', content: message.content, id: message.id });
    } catch (error) {
      print({
        state: 'rejected',
        content,
        errorCode: error.errorCode,
        errorMessage: error.errorMessage,
        requestId: error.requestId,
      });
    }
  }
  print({ state: 'waiting' });
});
setTimeout(() => {
  print({ state: 'timeout' });
  process.exit(3);
}, 15000);
room.connect();
