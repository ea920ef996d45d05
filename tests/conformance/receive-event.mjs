// Connects the official amazon-ivs-chat-messaging SDK to a chat WebSocket and prints, as
// JSON lines, "connected" and then the first event it receives; exits 0 then.
// Usage: node receive-event.mjs <ws-url> <token> <token-expiry-iso> <session-expiry-iso>
import WebSocket from 'ws';
import { ChatRoom } from 'amazon-ivs-chat-messaging';

globalThis.WebSocket = WebSocket; // the SDK is written for browsers; Node 20 has no WebSocket

const [url, token, tokenExpirationTime, sessionExpirationTime] = process.argv.slice(2);
const room = new ChatRoom({
  regionOrUrl: url,
  maxReconnectAttempts: 0,
  tokenProvider: async () => ({
    token,
    tokenExpirationTime: new Date(tokenExpirationTime),
    sessionExpirationTime: new Date(sessionExpirationTime),
  }),
});
// The SDK logs to the console; keep stdout for our JSON lines and send its logs to stderr.
room.logLevel = 'info';
room.logger = { debug: () => {}, info: console.error, error: console.error };
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

room.addListener('connect', () => print({ state: 'connected' }));
room.addListener('disconnect', (reason) => {
  print({ state: 'disconnected', reason: String(reason?.reason ?? reason) });
  process.exit(2);
});
room.addListener('event', (event) => {
  print({
    state: 'event',
    id: event.id,
    requestId: event.requestId,
    eventName: event.eventName,
    attributes: event.attributes,
    sendTime: event.sendTime instanceof Date ? event.sendTime.toISOString() : null,
  });
  process.exit(0);
});
setTimeout(() => {
  print({ state: 'timeout' });
  process.exit(3);
}, 15000);
room.connect();
