// The SDK's pure parts, without a gateway: backoff, the inbox cursor,
// request correlation and storage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, ConnectionError, GatewayError, InboxCursor, LocalStorageAdapter, MemoryStorage, TimeoutError, Verdict } from '../src/index.js';
import { Requests } from '../src/requests.js';
import { decodeExp } from '../src/util.js';

test('backoff: full jitter under an exponential, capped ceiling', () => {
  const rs = [0.5, 0.999, 0, 0.25, 0.999, 0.999, 0.999];
  const b = new Backoff({ initial: 100, max: 1000, factor: 2 }, () => rs.shift());
  assert.deepEqual(Array.from({ length: 7 }, () => b.next()), [50, 199, 0, 200, 999, 999, 999]);
  b.reset();
  assert.equal(b.ceiling(), 100);
});

test('backoff: delays spread over the whole window', () => {
  const b = new Backoff({ initial: 1000, max: 1000 });
  const ds = Array.from({ length: 2000 }, () => b.next());
  assert.ok(ds.every((d) => d >= 0 && d < 1000));
  assert.ok(ds.some((d) => d < 100) && ds.some((d) => d > 900), 'not jittered over [0, ceiling)');
});

const msg = (offset, prev, extra = {}) => ({ msg_id: `m${offset}`, offset, prev_offset: prev, ...extra });

test('inbox: in order delivered once, duplicates skipped, a gap asks for SYNC from the cursor', () => {
  const c = new InboxCursor();
  assert.deepEqual(c.onSession({ epoch: 'e1', offset: 10 }), { sync: null, lost: null });
  assert.equal(c.judge(msg(12, 10)), Verdict.DELIVER);
  assert.equal(c.judge(msg(12, 10)), Verdict.SKIP, 'a duplicate');
  assert.equal(c.judge(msg(20, 15)), Verdict.GAP, '15 was never seen');
  assert.deepEqual(c.syncBody(), { since: 12, epoch: 'e1' });
  // the replay: 15 then 20, each once
  assert.equal(c.judge(msg(15, 12)), Verdict.DELIVER);
  assert.equal(c.judge(msg(20, 15)), Verdict.DELIVER);
  assert.deepEqual(c.onSyncResult({ epoch: 'e1', offset: 20, more: false, lost: false }), { again: null, lost: null });
  assert.equal(c.judge({ msg_id: 'raw' }), Verdict.DELIVER, 'not stored: no offset');
});

test('inbox: entries dropped during a replay ask for another round', () => {
  const c = new InboxCursor();
  c.onSession({ epoch: 'e1', offset: 0 });
  assert.equal(c.judge(msg(5, 3)), Verdict.GAP);
  assert.equal(c.judge(msg(3, 0)), Verdict.DELIVER);
  assert.deepEqual(c.onSyncResult({ epoch: 'e1', offset: 3, more: false, lost: false }).again, { since: 3, epoch: 'e1' });
  assert.equal(c.judge(msg(5, 3)), Verdict.DELIVER);
  assert.equal(c.onSyncResult({ epoch: 'e1', offset: 5, more: false, lost: false }).again, null);
});

test('inbox: own SENDs are skipped, not delivered, also after a reload', () => {
  const c = new InboxCursor();
  c.onSession({ epoch: 'e1', offset: 1 });
  c.onSend('cm-1');
  const d = new InboxCursor();
  d.load(JSON.parse(JSON.stringify(c.toRecord())));
  for (const x of [c, d]) {
    assert.equal(x.judge(msg(2, 1, { client_msg_id: 'cm-1' })), Verdict.SKIP);
    assert.equal(x.offset, 2, 'the cursor moves past it');
    assert.equal(x.judge(msg(3, 2, { client_msg_id: 'other' })), Verdict.DELIVER);
  }
});

test('inbox: resume plans', () => {
  const c = new InboxCursor();
  c.load({ epoch: 'e1', offset: 7, own: [] });
  assert.deepEqual(c.onSession({ epoch: 'e1', offset: 9 }), { sync: { since: 7, epoch: 'e1' }, lost: null });
  assert.deepEqual(c.onSession({ epoch: 'e1', offset: 7 }), { sync: null, lost: null });
  assert.deepEqual(c.onSession({ epoch: 'e2', offset: 4 }), { sync: { since: 0, epoch: 'e2' }, lost: 'e1' });
  const o = new InboxCursor('oldest');
  assert.deepEqual(o.onSession({ epoch: 'e1', offset: 4 }).sync, { since: 0, epoch: 'e1' });
  const l = new InboxCursor('latest');
  assert.equal(l.onSession({ epoch: 'e1', offset: 4 }).sync, null);
  assert.equal(l.offset, 4);
});

test('inbox: a SYNC answered from another epoch replays the new epoch from its start', () => {
  const c = new InboxCursor();
  c.load({ epoch: 'e1', offset: 50, own: [] });
  assert.deepEqual(c.onSyncResult({ epoch: 'e2', offset: 3, more: false, lost: true }),
    { again: { since: 0, epoch: 'e2' }, lost: 'epoch' });
  const p = new InboxCursor();
  p.load({ epoch: 'e1', offset: 5, own: [] });
  assert.deepEqual(p.onSyncResult({ epoch: 'e1', offset: 90, more: false, lost: true }), { again: null, lost: 'pruned' });
  assert.equal(p.offset, 90);
});

function fakeTimers() {
  const q = [];
  return {
    q,
    setTimeout: (fn, ms) => q.push({ fn, ms }) && q.length,
    clearTimeout: (id) => id && (q[id - 1].fn = null),
    fire: () => q.splice(0).forEach((t) => t.fn?.()),
  };
}

test('requests: correlated by seq, rejected by code, timeout or close', async () => {
  const timers = fakeTimers();
  const r = new Requests(timers);
  const [s1, p1] = r.add(2001, 1000);
  const [s2, p2] = r.add(2001, 1000);
  const [, p3] = r.add(1003, 1000);
  const [, p4] = r.add(1003, 1000);
  assert.notEqual(s1, s2);
  assert.ok(r.settle({ cmd_id: 2001, seq: s2, code: 403, err_msg: 'forbidden: x' }));
  assert.ok(r.settle({ cmd_id: 2001, seq: s1, code: 200, body: { msg_id: 'a' } }));
  assert.equal(r.settle({ seq: s1, code: 200 }), false, 'settled once');
  assert.deepEqual(await p1, { msg_id: 'a' });
  await assert.rejects(p2, (e) => e instanceof GatewayError && e.code === 403 && e.errMsg === 'forbidden: x');
  timers.q[2].fn(); // p3's timeout
  await assert.rejects(p3, TimeoutError);
  r.failAll('gone');
  await assert.rejects(p4, ConnectionError);
  assert.equal(r.size, 0);
});

test('storage: memory copies, Web Storage adapter keeps JSON under a prefix', () => {
  const m = new MemoryStorage();
  const v = { a: 1 };
  m.set('k', v);
  v.a = 2;
  assert.deepEqual(m.get('k'), { a: 1 });
  const map = new Map();
  const web = { getItem: (k) => map.get(k) ?? null, setItem: (k, s) => map.set(k, s), removeItem: (k) => map.delete(k) };
  const s = new LocalStorageAdapter('app.', web);
  s.set('tokens', { t: 'x' });
  assert.equal(map.get('app.tokens'), '{"t":"x"}');
  assert.deepEqual(s.get('tokens'), { t: 'x' });
  s.remove('tokens');
  assert.equal(s.get('tokens'), null);
});

test('decodeExp reads a JWT exp, 0 for anything else', () => {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  assert.equal(decodeExp(`${b64({ alg: 'HS256' })}.${b64({ sub: 'a', exp: 1790000000 })}.sig`), 1790000000);
  assert.equal(decodeExp('garbage'), 0);
});
