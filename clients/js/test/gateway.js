// A real gateway for the tests: bin/gateway started on 127.0.0.1 with
// ports of its own, and helpers to mint tokens and call the HTTP API.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.IMGATE_GATEWAY_BIN ?? join(root, 'bin/gateway');
export const SECRET = 'sdk-test-secret-0123456789abcdef-0123456789';
export const ADMIN_KEY = 'sdk-test-admin-key';
export const WAIT = 20000; // every wait's bound: generous, for a slow shared machine

/** A TCP port that was free a moment ago (for a gateway restarted on the same port). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The inbox in bolt (durable across a kill) and every room open. */
export function featureFlags() {
  return ['-inbox-store', 'bolt', '-rooms-open', '*'];
}

/**
 * Starts bin/gateway with -demo, the test secret and admin key, a
 * temporary data directory, and args (later flags win). opts.port and
 * opts.httpPort fix the ports (a restart on the same address), opts.dataDir
 * reuses a data directory. Resolves once both listeners are up.
 */
export async function startGateway(args = [], opts = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'imgate-sdk-'));
  const all = ['-demo', '-jwt-secret', SECRET, '-admin-key', ADMIN_KEY, '-data-dir', dataDir,
    '-addr', `127.0.0.1:${opts.port ?? 0}`, '-http-addr', `127.0.0.1:${opts.httpPort ?? 0}`,
    '-log-format', 'json', '-log-level', 'info', ...featureFlags(), ...args];
  const proc = spawn(BIN, all, { stdio: ['ignore', 'ignore', 'pipe'] });
  const g = { proc, dataDir, log: '', ws: null, http: null, exited: null };
  g.exited = new Promise((res) => proc.once('exit', (code, sig) => res({ code, sig })));
  await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`gateway did not start:\n${g.log}`)), WAIT);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      g.log += chunk;
      const ws = /"ws":"([0-9.]+:[0-9]+)"/.exec(g.log);
      const http = /"msg":"http api listening".*?"addr":"([0-9.]+:[0-9]+)"/.exec(g.log);
      if (ws && http && !g.ws) {
        g.ws = `ws://${ws[1]}/`;
        g.http = `http://${http[1]}`;
        g.port = Number(ws[1].split(':')[1]);
        g.httpPort = Number(http[1].split(':')[1]);
        clearTimeout(timer);
        res();
      }
    });
    g.exited.then(({ code }) => {
      clearTimeout(timer);
      rej(new Error(`gateway exited (${code}) before listening:\n${g.log}`));
    });
  });
  g.stop = async (signal = 'SIGKILL') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return g.exited;
  };
  g.cleanup = async () => {
    await g.stop('SIGKILL');
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return g;
}

/** An access token for sub, signed with the test secret (gateway token). */
export function mintToken(sub, ttl = '1h', did) {
  const args = ['token', '-sub', sub, '-ttl', ttl, '-jwt-secret', SECRET];
  if (did) args.push('-did', did);
  const r = spawnSync(BIN, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gateway token: ${r.stderr}`);
  return r.stdout.trim();
}

/** POSTs JSON to the gateway's HTTP API; admin adds the admin key. */
export async function post(g, path, body, admin = false) {
  const headers = { 'content-type': 'application/json' };
  if (admin) headers.authorization = `Bearer ${ADMIN_KEY}`;
  const r = await fetch(g.http + path, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json().catch(() => null) };
}

/** Polls fn until it returns a truthy value, or fails after ms. */
export async function eventually(fn, ms = WAIT, what = 'condition') {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(25);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the next emit of event on client (args of the first listener call). */
export function next(client, event, ms = WAIT) {
  return new Promise((res, rej) => {
    const t = setTimeout(() => { off(); rej(new Error(`no '${event}' within ${ms} ms`)); }, ms);
    const off = client.once(event, (v) => { clearTimeout(t); res(v); });
  });
}
