// Helpers shared by the test files: clients that record their sockets.
import { createRequire } from 'node:module';
import { Client } from '../src/index.js';

// The WebSocket the tests use: Node's own (22+, or 20 with
// --experimental-websocket), else the ws package that scripts/deps.sh
// installs at the repository root (older Nodes): the SDK takes either
// through options.WebSocket.
const BaseWebSocket = globalThis.WebSocket ?? createRequire(new URL('../../../', import.meta.url))('ws').WebSocket;

/**
 * recordingWebSocket returns a WebSocket class that records every socket
 * it opens in log: {url, protocols, at (ms since epoch)}.
 */
export function recordingWebSocket(log) {
  return class extends BaseWebSocket {
    constructor(url, protocols) {
      log.push({ url, protocols, at: Date.now() });
      super(url, protocols);
    }
  };
}

/** A Client on g with test-friendly defaults; opts override. Closed by the returned cleanup list. */
export function client(g, opts = {}, sockets = []) {
  const c = new Client({
    url: g.ws,
    WebSocket: recordingWebSocket(sockets),
    backoff: { initial: 50, max: 400 },
    requestTimeout: 5000,
    ...opts,
  });
  c.sockets = sockets;
  c.received = [];
  c.on('message', (m) => c.received.push(m));
  c.on('error', () => {}); // tests look at state and events, not the console
  return c;
}

/** Rejects when p has not settled within ms (so a hang fails with a message). */
export function within(p, ms, what = 'the promise') {
  let t;
  const timeout = new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
