// Login and token flows against a real gateway.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GatewayError, MemoryStorage } from '../src/index.js';
import { WAIT, eventually, mintToken, next, post, sleep, startGateway } from './gateway.js';
import { client, within } from './helpers.js';

describe('authentication', () => {
  let g;
  const open = [];
  const mk = (opts) => {
    const c = client(g, opts);
    open.push(c);
    return c;
  };
  before(async () => {
    g = await startGateway(['-login-timeout', '3s']);
  });
  after(async () => {
    for (const c of open) c.close();
    await g.cleanup();
  });

  test('an access token goes in the bearer. subprotocol beside gateway.v1, not in the URL', async () => {
    const token = mintToken('alice');
    const c = mk({ token, deviceId: 'd1', platform: 'web' });
    const s = await c.connect();
    assert.equal(s.userId, 'alice');
    assert.equal(c.state, 'open');
    assert.deepEqual(c.sockets[0].protocols, ['gateway.v1', 'bearer.' + token]);
    assert.ok(!c.sockets[0].url.includes(token), 'token in the URL');
    assert.match(c.sockets[0].url, /device_id=d1/);
  });

  test('tokenIn query puts the token in the URL', async () => {
    const token = mintToken('alice');
    const c = mk({ token, tokenIn: 'query' });
    assert.equal((await c.connect()).userId, 'alice');
    assert.ok(c.sockets[0].url.includes('token=' + token));
    assert.deepEqual(c.sockets[0].protocols, ['gateway.v1']);
  });

  test('username and password log in with 1001 and keep the tokens in storage', async () => {
    const storage = new MemoryStorage();
    const c = mk({ username: 'bob', password: 'bob123', storage });
    const tokens = next(c, 'tokens');
    assert.equal((await c.connect()).userId, 'bob');
    const t = await tokens;
    assert.ok(t.accessToken && t.refreshToken && t.expiresAt > Date.now() / 1000);
    assert.deepEqual(storage.get('tokens'), t);
  });

  test('a refresh token alone authenticates with 1004 and is rotated', async () => {
    const r = await post(g, '/api/login', { username: 'user123', password: 'password123' });
    assert.equal(r.status, 200);
    const c = mk({ refreshToken: r.json.body.refresh_token });
    const tokens = next(c, 'tokens');
    assert.equal((await c.connect()).userId, 'user123');
    assert.notEqual((await tokens).refreshToken, r.json.body.refresh_token);
  });

  test('an expired access token falls back to the refresh token on the same socket', async () => {
    const r = await post(g, '/api/login', { username: 'alice', password: 'alice123' });
    const storage = new MemoryStorage();
    // A stored token whose exp the client cannot see as past (expiresAt
    // unknown) but the server refuses: the client gets the 401 first frame.
    storage.set('tokens', { accessToken: 'not.a.jwt', refreshToken: r.json.body.refresh_token, expiresAt: 0 });
    const c = mk({ storage });
    const refused = next(c, 'tokenRefused');
    assert.equal((await c.connect()).userId, 'alice');
    assert.match((await refused).errMsg, /Token authentication failed/);
    assert.equal(c.sockets.length, 1, 'authenticated on the first socket');
  });

  test('a token refused at the handshake (-reject-bad-token) gives way to the refresh token', async () => {
    const g2 = await startGateway(['-reject-bad-token']);
    try {
      const r = await post(g2, '/api/login', { username: 'bob', password: 'bob123' });
      const storage = new MemoryStorage();
      storage.set('tokens', { accessToken: mintToken('bob').slice(0, -4) + 'AAAA', refreshToken: r.json.body.refresh_token, expiresAt: 0 });
      const c = client(g2, { storage });
      try {
        assert.equal((await within(c.connect(), WAIT, 'connect()')).userId, 'bob');
        assert.equal(c.sockets.length, 3, 'two refused handshakes, then one without the token');
        assert.deepEqual(c.sockets[2].protocols, ['gateway.v1']);
      } finally {
        c.close();
      }
    } finally {
      await g2.cleanup();
    }
  });

  test('a wrong password stops and reports: no retry', async () => {
    const c = mk({ username: 'alice', password: 'wrong' });
    await assert.rejects(within(c.connect(), WAIT, 'connect()'), (err) => err instanceof GatewayError && err.code === 401 &&
      err.errMsg === 'invalid username or password');
    assert.equal(c.state, 'closed');
    assert.equal(c.error.code, 401);
    await sleep(1000); // backoff would have tried several times by now (50 ms steps)
    assert.equal(c.sockets.length, 1);
  });

  test('an invalid token with nothing to fall back on stops and reports', async () => {
    const c = mk({ token: mintToken('alice').slice(0, -3) + 'AAA' });
    await assert.rejects(within(c.connect(), WAIT, 'connect()'), (err) => err instanceof GatewayError && err.code === 401);
    await sleep(1000);
    assert.equal(c.sockets.length, 1);
    assert.equal(c.state, 'closed');
  });

  test('a throttled login (429) stops and reports: no retry', async () => {
    // Fail user123's logins from this address until the gateway throttles.
    await eventually(async () => (await post(g, '/api/login', { username: 'user123', password: 'x' })).status === 429,
      20000, 'a 429 from /api/login');
    const c = mk({ username: 'user123', password: 'password123' });
    await assert.rejects(within(c.connect(), WAIT, 'connect()'), (err) => err instanceof GatewayError && err.code === 429);
    await sleep(1000);
    assert.equal(c.sockets.length, 1);
  });

  test('requests are promises correlated by seq', async () => {
    const a = mk({ token: mintToken('alice') });
    const b = mk({ token: mintToken('bob') });
    await Promise.all([a.connect(), b.connect()]);
    const got = next(b, 'message');
    const [r1, r2] = await Promise.all([a.send('bob', { n: 1 }), a.request(1003, {})]);
    assert.ok(r1.msg_id && r1.delivered >= 1);
    assert.ok(r2.server_time > 0);
    const m = await got;
    assert.deepEqual(m.content, { n: 1 });
    assert.equal(m.from_uid, 'alice');
    await assert.rejects(a.request(2001, { to_uid: '' }), (err) => err instanceof GatewayError && err.code === 400);
  });

  test('a backend push (POST /api/push) arrives as a message', async () => {
    const c = mk({ token: mintToken('user123') });
    await c.connect();
    const got = next(c, 'message');
    const r = await post(g, '/api/push', { to_uid: 'user123', content: { text: 'from the backend' } }, true);
    assert.equal(r.status, 200);
    assert.deepEqual((await got).content, { text: 'from the backend' });
  });

  test('logout revokes and closes', async () => {
    const c = mk({ username: 'alice', password: 'alice123' });
    const tokens = next(c, 'tokens');
    await c.connect();
    const { refreshToken } = await tokens;
    await c.logout();
    assert.equal(c.state, 'closed');
    const r = await post(g, '/api/refresh-token', { refresh_token: refreshToken });
    assert.equal(r.status, 401);
  });
});
