// wss:// interop with Node's ws package: the test CA as the only trusted
// root, a token in the query, delivery to a second session that logged in
// with cmd 1001, a ping answered by a pong, and a normal close.
// usage: node interop_wss.mjs WSS_URL CA_PEM TOKEN_ALICE
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.cwd() + '/');
const WebSocket = require('ws');
const [url, caFile, alice] = process.argv.slice(2);
const ca = readFileSync(caFile);

function fail(what) {
  console.error('node wss:', what);
  process.exit(1);
}
setTimeout(() => fail('timed out'), 10000).unref();

function open(target) {
  const ws = new WebSocket(target, { ca });
  const queue = [];
  const waiters = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    const w = waiters.shift();
    if (w) w(m); else queue.push(m);
  });
  ws.on('error', (e) => fail(`${target}: ${e.message}`));
  ws.next = () => new Promise((resolve) => {
    const m = queue.shift();
    if (m) resolve(m); else waiters.push(resolve);
  });
  return new Promise((resolve) => ws.on('open', () => resolve(ws)));
}

const a = await open(`${url}/?token=${alice}&device_id=node1&platform=node`);
let m = await a.next();
if (m.code !== 200 || m.body.user_id !== 'alice') fail(`query token: ${JSON.stringify(m)}`);

const b = await open(`${url}/?device_id=node2`);
m = await b.next();
if (!m.body.message.startsWith('Connected successfully')) fail(`no token: ${JSON.stringify(m)}`);
b.send(JSON.stringify({ cmd_id: 1001, seq: 1, body: { username: 'bob', password: 'bob123' } }));
m = await b.next();
if (m.code !== 200 || m.body.message !== 'Login successful') fail(`login: ${JSON.stringify(m)}`);

a.send(JSON.stringify({ cmd_id: 2001, seq: 2, body: { to_uid: 'bob', content: { text: 'hi from node' } } }));
const [resp, push] = await Promise.all([a.next(), b.next()]);
if (resp.code !== 200 || resp.body.delivered < 1) fail(`send response: ${JSON.stringify(resp)}`);
if (push.cmd_id !== 3001 || push.body.content.text !== 'hi from node') fail(`push: ${JSON.stringify(push)}`);

await new Promise((resolve) => { b.once('pong', resolve); b.ping('interop'); });
const code = await new Promise((resolve) => { b.once('close', (c) => resolve(c)); b.close(1000, 'done'); });
if (code !== 1000) fail(`close code ${code}`);
a.close();
console.log('node ws over wss: ok');
