// Token lifetime, kicks, drains and a server that goes away, against real
// gateways. Timings are checked from the client's own schedule (injected
// random: every delay is its ceiling) and, loosely, from recorded socket
// times: never as tight wall-clock bounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../src/index.js';
import { WAIT, eventually, freePort, mintToken, next, post, sleep, startGateway } from './gateway.js';
import { client } from './helpers.js';

const record = (c, event) => {
  const seen = [];
  c.on(event, (v) => seen.push({ ...v, at: Date.now() }));
  return seen;
};

test('refreshes with 1004 before the access token expires, on the same socket', async (t) => {
  const g = await startGateway(['-access-ttl', '4s', '-jwt-leeway', '0s']);
  t.after(() => g.cleanup());
  const c = client(g, { username: 'alice', password: 'alice123' });
  t.after(() => c.close());
  const tokens = record(c, 'tokens');
  const expired = record(c, 'tokenExpired');
  const { sessionId } = await c.connect();
  await eventually(() => tokens.length >= 3, WAIT, 'two refreshes'); // login, then a refresh every ~2s
  assert.equal(expired.length, 0, 'the session expired before the client refreshed');
  assert.equal(c.sockets.length, 1);
  assert.equal(c.session.sessionId, sessionId);
  assert.notEqual(tokens[1].refreshToken, tokens[2].refreshToken);
  await c.request(1003, {}); // still authenticated
});

test('on 3004 TOKEN_EXPIRED it refreshes on the live socket', async (t) => {
  const g = await startGateway(['-jwt-leeway', '0s', '-login-timeout', '5s']);
  t.after(() => g.cleanup());
  const r = await post(g, '/api/login', { username: 'alice', password: 'alice123' });
  const c = client(g, { token: mintToken('alice', '2s'), refreshToken: r.json.body.refresh_token, autoRefresh: false });
  t.after(() => c.close());
  const { sessionId } = await c.connect();
  await next(c, 'tokenExpired');
  await next(c, 'connected');
  assert.equal(c.state, 'open');
  assert.equal(c.session.sessionId, sessionId, 'same session');
  assert.equal(c.sockets.length, 1);
  await c.request(1003, {});
});

test('3004 with nothing to refresh with stops and reports', async (t) => {
  const g = await startGateway(['-jwt-leeway', '0s', '-login-timeout', '5s']);
  t.after(() => g.cleanup());
  const c = client(g, { token: mintToken('bob', '2s') });
  t.after(() => c.close());
  await c.connect();
  const failed = next(c, 'failed');
  await next(c, 'tokenExpired');
  assert.equal((await failed).code, 401);
  await sleep(1000);
  assert.equal(c.sockets.length, 1);
  assert.equal(c.state, 'closed');
});

test('a kick (3003) is reported and not reconnected', async (t) => {
  const g = await startGateway();
  t.after(() => g.cleanup());
  const c = client(g, { username: 'bob', password: 'bob123' });
  t.after(() => c.close());
  await c.connect();
  const kicked = next(c, 'kicked');
  const failed = next(c, 'failed');
  const r = await post(g, '/api/kick', { user_id: 'bob', reason: 'kicked by admin' }, true);
  assert.equal(r.json.body.kicked, 1);
  assert.equal((await kicked).reason, 'kicked by admin');
  assert.ok((await failed) instanceof GatewayError);
  await sleep(1000);
  assert.equal(c.state, 'closed');
  assert.equal(c.sockets.length, 1);
});

test('after a drain it waits retry_after_ms and comes back to the restarted gateway', async (t) => {
  const port = await freePort();
  const httpPort = await freePort();
  const a = await startGateway(['-drain-retry-after', '400ms'], { port, httpPort });
  t.after(() => a.cleanup());
  const c = client(g0(a), { username: 'alice', password: 'alice123' });
  t.after(() => c.close());
  const first = await c.connect();
  const told = next(c, 'serverReconnect');
  const retry = next(c, 'reconnecting');
  a.proc.kill('SIGTERM');
  const { retryAfterMs } = await told;
  assert.ok(retryAfterMs >= 200 && retryAfterMs < 600, `retry_after_ms ${retryAfterMs}`);
  assert.equal((await retry).delay, retryAfterMs, 'the first retry waits what 3005 said');
  await a.exited;
  const b = await startGateway([], { port, httpPort, dataDir: a.dataDir });
  t.after(() => b.cleanup());
  const back = await eventually(() => c.state === 'open' && c.session, WAIT, 'the client back');
  assert.notEqual(back.sessionId, first.sessionId);
  assert.ok(c.sockets[1].at - c.sockets[0].at >= retryAfterMs, 'reconnected before retry_after_ms');
});

test('a server that is down is retried with capped exponential backoff, then reached', async (t) => {
  const port = await freePort();
  const httpPort = await freePort();
  const c = client(g0({ ws: `ws://127.0.0.1:${port}/` }), { token: mintToken('alice'), random: () => 0.999999 });
  t.after(() => c.close());
  const retries = record(c, 'reconnecting');
  const connected = c.connect();
  await eventually(() => retries.length >= 6, WAIT, 'six retries');
  // random ~1: each delay is its ceiling: 50, 100, 200, 400, then capped at 400.
  assert.deepEqual(retries.slice(0, 6).map((r) => r.delay), [49, 99, 199, 399, 399, 399]);
  for (let i = 1; i < 6; i++) {
    const gap = c.sockets[i].at - c.sockets[i - 1].at;
    assert.ok(gap >= retries[i - 1].delay - 5, `attempt ${i} came after ${gap} ms, before its delay ${retries[i - 1].delay}`);
  }
  const g = await startGateway([], { port, httpPort });
  t.after(() => g.cleanup());
  assert.equal((await connected).userId, 'alice');
  c.close();
});

test('handshakes refused with 429 are retried with backoff, not hammered', async (t) => {
  const g = await startGateway(['-ip-conn-rate', '0.5', '-ip-conn-burst', '1']);
  t.after(() => g.cleanup());
  const a = client(g, { token: mintToken('alice') });
  t.after(() => a.close());
  await a.connect(); // spends the address's burst
  const b = client(g, { token: mintToken('bob'), random: () => 0.999999, backoff: { initial: 100, max: 800 } });
  t.after(() => b.close());
  const retries = record(b, 'reconnecting');
  const t0 = Date.now();
  await b.connect(); // refused until the rate lets one through (about 2s)
  const took = Date.now() - t0;
  assert.ok(retries.length >= 2, `${retries.length} refusals`);
  assert.deepEqual(retries.map((r) => r.delay).slice(0, 4), [99, 199, 399, 799].slice(0, Math.min(4, retries.length)));
  // Backoff bounds the attempts: 100+200+400+800+800… ms apart.
  assert.ok(b.sockets.length <= 2 + took / 100, `${b.sockets.length} handshakes in ${took} ms`);
});

// g0 turns a gateway (or just a ws address) into what client() needs.
function g0(g) {
  return { ws: g.ws };
}

test('concurrent refresh() calls spend the refresh token once', async (t) => {
  const g = await startGateway();
  t.after(() => g.cleanup());
  const c = client(g, { username: 'alice', password: 'alice123', autoRefresh: false });
  t.after(() => c.close());
  await c.connect();
  const [r1, r2] = await Promise.all([c.refresh(), c.refresh()]);
  assert.equal(r1.refresh_token, r2.refresh_token);
  await c.refresh(); // the family is still good
  await sleep(200);
  assert.equal(c.state, 'open');
  assert.equal(c.sockets.length, 1);
});

test('a frozen server is noticed by the heartbeat and left, and the client comes back', async (t) => {
  const g = await startGateway();
  t.after(async () => {
    g.proc.kill('SIGCONT');
    await g.cleanup();
  });
  const c = client(g, { token: mintToken('alice'), heartbeatInterval: 300, requestTimeout: 1500 });
  t.after(() => c.close());
  const first = await c.connect();
  const gone = next(c, 'disconnected');
  g.proc.kill('SIGSTOP'); // the TCP connection stays up; nothing answers
  assert.equal((await gone).reason, 'heartbeat timeout');
  const retries = record(c, 'reconnecting');
  await eventually(() => retries.length >= 2, WAIT, 'retries while frozen'); // each abandoned by the connect or first-frame timeout
  g.proc.kill('SIGCONT');
  const back = await eventually(() => c.state === 'open' && c.session, WAIT, 'the client back');
  assert.notEqual(back.sessionId, first.sessionId);
});
