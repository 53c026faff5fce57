// Rooms (PROTOCOL.md §7) through the SDK, against a real gateway.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../src/index.js';
import { WAIT, eventually, freePort, mintToken, post, sleep, startGateway } from './gateway.js';
import { client } from './helpers.js';

const roomLog = (c) => {
  const got = [];
  c.on('roomMessage', (m) => got.push(m));
  return got;
};

test('join, publish, leave', async (t) => {
  const g = await startGateway();
  t.after(() => g.cleanup());
  const [a, b, c] = ['alice', 'bob', 'user123'].map((u) => client(g, { token: mintToken(u) }));
  t.after(() => [a, b, c].forEach((x) => x.close()));
  await Promise.all([a, b, c].map((x) => x.connect()));
  const [ga, gb, gc] = [a, b, c].map(roomLog);
  for (const x of [a, b, c]) assert.deepEqual(await x.join('lobby'), { room: 'lobby' });
  assert.deepEqual(b.rooms, ['lobby']);
  const r = await a.publish('lobby', { text: 'hi' });
  assert.ok(r.msg_id);
  assert.equal(r.delivered, 2);
  await eventually(() => gb.length === 1 && gc.length === 1, WAIT, 'the room message at b and c');
  assert.equal(gb[0].room, 'lobby');
  assert.equal(gb[0].from_uid, 'alice');
  assert.deepEqual(gb[0].content, { text: 'hi' });
  await b.leave('lobby');
  assert.deepEqual(b.rooms, []);
  await a.publish('lobby', { text: 'after b left' });
  await eventually(() => gc.length === 2, WAIT, 'the second message at c');
  await sleep(200);
  assert.equal(gb.length, 1, 'b got a message after it left');
  assert.equal(ga.length, 0, 'the publisher got its own message');
  await assert.rejects(b.publish('lobby', 'x'), (e) => e instanceof GatewayError && e.code === 403);
  await assert.rejects(a.join('bad room!'), (e) => e instanceof GatewayError && e.code === 400);
});

test('rooms are re-joined after a reconnect', async (t) => {
  const port = await freePort();
  const httpPort = await freePort();
  const g1 = await startGateway([], { port, httpPort });
  t.after(() => g1.cleanup());
  const a = client(g1, { username: 'alice', password: 'alice123' });
  const b = client(g1, { username: 'bob', password: 'bob123' });
  t.after(() => [a, b].forEach((x) => x.close()));
  await Promise.all([a.connect(), b.connect()]);
  await Promise.all([a.join('team:1'), b.join('team:1')]);
  const gb = roomLog(b);
  await g1.stop('SIGKILL');
  await eventually(() => b.state === 'reconnecting', WAIT, 'b noticing');
  const g2 = await startGateway([], { port, httpPort, dataDir: g1.dataDir });
  t.after(() => g2.cleanup());
  await eventually(() => a.state === 'open' && b.state === 'open', WAIT, 'both back');
  // The re-JOIN follows the authentication: publish until b is back in.
  await eventually(async () => {
    await a.publish('team:1', { text: 'back' }).catch(() => null);
    return gb.length > 0;
  }, WAIT, 'b getting room messages again');
  assert.equal(gb[0].content.text, 'back');
  assert.deepEqual(b.rooms, ['team:1']);
});

test('broadcasts and backend room messages are typed events', async (t) => {
  const g = await startGateway();
  t.after(() => g.cleanup());
  const c = client(g, { token: mintToken('bob') });
  t.after(() => c.close());
  await c.connect();
  await c.join('news');
  const rooms = roomLog(c);
  const casts = [];
  c.on('broadcast', (m) => casts.push(m));
  assert.equal((await post(g, '/api/broadcast', { content: { text: 'to all' } }, true)).status, 200);
  assert.equal((await post(g, '/api/rooms/publish', { room: 'news', content: { text: 'from the backend' } }, true)).status, 200);
  await eventually(() => casts.length === 1 && rooms.length === 1, WAIT, 'the broadcast and the room message');
  assert.deepEqual(casts[0].content, { text: 'to all' });
  assert.ok(casts[0].msg_id && casts[0].ts > 0);
  assert.equal(rooms[0].room, 'news');
  assert.equal(rooms[0].from_uid, '');
});
