// The inbox (PROTOCOL.md §8) through the SDK, against a real gateway:
// resume after being away, after a drain and after a kill, with nothing
// lost and nothing handed to the app twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionError, MemoryStorage } from '../src/index.js';
import { WAIT, eventually, freePort, sleep, startGateway } from './gateway.js';
import { client } from './helpers.js';

const ns = (c) => c.received.map((m) => m.content.n);

test('messages sent while away arrive once, in order, on the next connection', async (t) => {
  const g = await startGateway();
  t.after(() => g.cleanup());
  const a = client(g, { username: 'alice', password: 'alice123' });
  t.after(() => a.close());
  await a.connect();
  const storage = new MemoryStorage();
  const b1 = client(g, { username: 'bob', password: 'bob123', storage, deviceId: 'b1' });
  await b1.connect();
  await a.send('bob', { n: 1 });
  await eventually(() => b1.received.length === 1, WAIT, 'the live message');
  b1.close();
  for (let n = 2; n <= 4; n++) await a.send('bob', { n });
  const b2 = client(g, { storage, deviceId: 'b1' }); // the same device later: tokens and cursor from storage
  t.after(() => b2.close());
  await b2.connect();
  await eventually(() => b2.received.length >= 3, WAIT, 'the missed messages');
  await a.send('bob', { n: 5 });
  await eventually(() => b2.received.length >= 4, WAIT, 'the next live message');
  await sleep(200);
  assert.deepEqual(ns(b2), [2, 3, 4, 5]);
  assert.deepEqual(b2.inbox.epoch, b1.inbox.epoch);
});

test('own SENDs are not handed back; replies after them arrive once', async (t) => {
  const g = await startGateway();
  t.after(() => g.cleanup());
  const a1 = client(g, { username: 'alice', password: 'alice123', deviceId: 'a1' });
  const a2 = client(g, { username: 'alice', password: 'alice123', deviceId: 'a2' });
  const b = client(g, { username: 'bob', password: 'bob123' });
  t.after(() => [a1, a2, b].forEach((x) => x.close()));
  await Promise.all([a1.connect(), a2.connect(), b.connect()]);
  for (let n = 1; n <= 5; n++) {
    await a1.send('bob', { n: 2 * n - 1 }); // alice's copy: a gap in a1's chain
    await eventually(() => b.received.length === n, WAIT, 'bob getting it');
    await b.send('alice', { n: 2 * n });
    await eventually(() => a1.received.length === n, WAIT, 'alice getting the reply');
  }
  await eventually(() => a2.received.length === 10, WAIT, 'the other device getting both sides');
  await sleep(200);
  assert.deepEqual(ns(a1), [2, 4, 6, 8, 10]);
  assert.deepEqual(ns(a2), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(ns(b), [1, 3, 5, 7, 9]);
});

test('ACK records what the app handled: SYNC without since starts there', async (t) => {
  const g = await startGateway();
  t.after(() => g.cleanup());
  const a = client(g, { username: 'alice', password: 'alice123' });
  const b = client(g, { username: 'bob', password: 'bob123', deviceId: 'phone', ackDelay: 10 });
  t.after(() => [a, b].forEach((x) => x.close()));
  await Promise.all([a.connect(), b.connect()]);
  for (let n = 1; n <= 3; n++) await a.send('bob', { n });
  await eventually(() => b.received.length === 3, WAIT, 'three messages');
  const handled = b.inbox.offset;
  const c = client(g, { username: 'bob', password: 'bob123', deviceId: 'phone' });
  t.after(() => c.close());
  await c.connect();
  await eventually(async () => (await c.request(1005, {})).offset === handled, WAIT, 'the device cursor at the handled offset');
});

test('a new device with inboxFrom oldest gets the history', async (t) => {
  const g = await startGateway();
  t.after(() => g.cleanup());
  const a = client(g, { username: 'alice', password: 'alice123' });
  t.after(() => a.close());
  await a.connect();
  for (let n = 1; n <= 3; n++) await a.send('user123', { n });
  const u = client(g, { username: 'user123', password: 'password123', inboxFrom: 'oldest' });
  t.after(() => u.close());
  await u.connect();
  await eventually(() => u.received.length === 3, WAIT, 'the history');
  assert.deepEqual(ns(u), [1, 2, 3]);
});

// sendLoop sends {n} to bob until stopped, retrying what failed to send;
// acked collects the n whose SEND was answered 200.
function sendLoop(a, acked) {
  let stop = false;
  let n = 0;
  const done = (async () => {
    while (!stop) {
      if (a.state !== 'open') {
        await sleep(20);
        continue;
      }
      n++;
      try {
        await a.send('bob', { n });
        acked.push(n);
      } catch (err) {
        if (!(err instanceof ConnectionError) && err.name !== 'TimeoutError' && !(err.code >= 500)) throw err;
      }
      await sleep(5);
    }
  })();
  return async () => {
    stop = true;
    await done;
  };
}

test('across a drain and a kill nothing acknowledged is lost or doubled', async (t) => {
  const port = await freePort();
  const httpPort = await freePort();
  const flags = ['-drain-retry-after', '300ms'];
  let g = await startGateway(flags, { port, httpPort });
  const dataDir = g.dataDir;
  t.after(() => g.cleanup());
  const a = client(g, { username: 'alice', password: 'alice123' });
  const b = client(g, { username: 'bob', password: 'bob123', deviceId: 'b1' });
  t.after(() => [a, b].forEach((x) => x.close()));
  await Promise.all([a.connect(), b.connect()]);
  const acked = [];
  const stop = sendLoop(a, acked);
  const restart = async (signal) => {
    const before = acked.length;
    await eventually(() => acked.length >= before + 20, WAIT, 'messages flowing');
    g.proc.kill(signal);
    await g.exited;
    g = await startGateway(flags, { port, httpPort, dataDir });
    await eventually(() => a.state === 'open' && b.state === 'open', WAIT, 'both back');
  };
  await restart('SIGTERM');
  await restart('SIGKILL');
  const last = acked.length;
  await eventually(() => acked.length >= last + 20, WAIT, 'messages flowing again');
  await stop();
  const got = ns(b);
  await eventually(() => acked.every((n) => ns(b).includes(n)), WAIT, 'every acknowledged message at bob');
  const final = ns(b);
  assert.equal(new Set(final).size, final.length, 'a message handed to the app twice');
  for (let i = 1; i < final.length; i++) assert.ok(final[i] > final[i - 1], `out of order at ${i}: ${final[i - 1]}, ${final[i]}`);
  assert.ok(got.length > 40);
});
