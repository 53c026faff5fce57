// The interop flows with Node and the `ws` library from npm (installed by
// scripts/interop.sh into the repository's ignored node_modules). Prints
// the record of every message received as JSON; interop_checks.py asserts
// on it. Covers the Authorization: Bearer header way, which browsers
// cannot use.
//
// usage: node interop_node.js WS_URL ALICE_TOKEN EXPIRED_TOKEN IDLE_MS
'use strict';
const WebSocket = require('ws');
const {Receiver} = WebSocket;

// Counts the frames that arrive with RSV1: ws inflates exactly those.
let rsv1Frames = 0;
const decompress = Receiver.prototype.decompress;
Receiver.prototype.decompress = function (...args) { rsv1Frames++; return decompress.apply(this, args); };
const LONG_TEXT = 'compressed on the wire: ' + 'the quick brown fox jumps over the lazy dog. '.repeat(20);

const [url, aliceToken, expiredToken, idleMs] = process.argv.slice(2);
const TIMEOUT = 5000;

// open connects and queues every message; next() waits for the next one.
function open(target, protocols, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, protocols || [], options);
    const queue = [];
    const waiters = [];
    let ended = null; // why the connection closed, once it has
    const conn = {
      ws,
      closed: new Promise((done) => ws.on('close', (code, reason) => {
        ended = new Error(`closed by the server: ${code} ${reason}`);
        waiters.splice(0).forEach((w) => w.fail(ended));
        done(code);
      })),
      next() {
        if (queue.length) return Promise.resolve(queue.shift());
        if (ended) return Promise.reject(ended);
        return new Promise((ok, fail) => {
          const timer = setTimeout(() => fail(new Error('no message within ' + TIMEOUT + ' ms')), TIMEOUT);
          waiters.push({ok: (m) => { clearTimeout(timer); ok(m); }, fail: (e) => { clearTimeout(timer); fail(e); }});
        });
      },
      // request sends obj and returns the response with its cmd_id and seq.
      async request(obj) {
        ws.send(JSON.stringify(obj));
        for (;;) {
          const m = await this.next();
          if (m.cmd_id === obj.cmd_id && m.seq === obj.seq) return m;
        }
      },
      ping(payload) {
        return new Promise((ok, fail) => {
          const timer = setTimeout(() => fail(new Error('no pong')), TIMEOUT);
          ws.once('pong', (data) => { clearTimeout(timer); ok(data.toString()); });
          ws.ping(payload);
        });
      },
      async close() { ws.close(1000, 'bye'); return await this.closed; },
    };
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (waiters.length) waiters.shift().ok(m); else queue.push(m);
    });
    ws.once('upgrade', (res) => { conn.extensions = res.headers['sec-websocket-extensions']; });
    ws.once('open', () => resolve(conn));
    ws.once('error', reject);
  });
}

const login = (user, pass, seq) => ({cmd_id: 1001, seq, from_uid: user, device_id: 'node_' + user,
  platform: 'node', body: {username: user, password: pass}});
const withToken = (token, dev) => `${url}?token=${encodeURIComponent(token)}&device_id=${dev}&platform=node`;

async function flows() {
  const r = {};
  const alice = await open(withToken(aliceToken, 'node-a'));
  r.token_query = await alice.next();
  const header = await open(url, [], {headers: {Authorization: `Bearer ${aliceToken}`}});
  r.token_header = await header.next();
  const sub = await open(url, ['gateway.v1', 'bearer.' + aliceToken]);
  r.token_subprotocol = {first: await sub.next(), protocol: sub.ws.protocol};

  const anon = await open(url);
  r.anonymous = {first: await anon.next(), login: await anon.request(login('user123', 'password123', 1))};
  const again = await open(withToken(r.anonymous.login.body.access_token, 'node-u'));
  r.token_from_login = await again.next();

  const bob = await open(url + '?token=garbage');
  r.invalid_then_login = {first: await bob.next(), login: await bob.request(login('bob', 'bob123', 1))};

  const response = await alice.request({cmd_id: 2001, seq: 1, body: {to_uid: 'bob', content: {text: 'hi from node'}}});
  r.send = {response, push: await bob.next()};
  await alice.request({cmd_id: 2001, seq: 5, body: {to_uid: 'bob', content: {text: LONG_TEXT}}});
  r.compression = {extensions: bob.extensions, push: await bob.next(), rsv1_frames: rsv1Frames};
  r.pong = await alice.ping('node-ping');

  // Silence longer than -idle-timeout: ws answers the server's pings.
  await new Promise((ok) => setTimeout(ok, Number(idleMs)));
  r.keepalive = [await alice.request({cmd_id: 1003, seq: 2, body: {}}), await bob.request({cmd_id: 1003, seq: 2, body: {}})];

  const expired = await open(withToken(expiredToken, 'node-x'));
  r.expired = await expired.next();

  r.close = [];
  for (const c of [alice, header, sub, anon, again, bob, expired]) r.close.push(await c.close());
  return r;
}

flows()
  .catch((e) => ({error: String(e && e.stack || e)}))
  .then((r) => { process.stdout.write(JSON.stringify(r) + '\n'); });
