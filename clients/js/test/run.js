// Runs the SDK's tests: builds the gateway (bin/gateway at the repository
// root; IMGATE_GATEWAY_BIN overrides), then `node --test` on every
// test/*.test.js, with --experimental-websocket on Node 20 and 21 (where
// the built-in WebSocket is still behind that flag). Older Nodes have no
// built-in WebSocket: the tests then use the ws package at the repository
// root (scripts/deps.sh installs it).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const major = Number(process.versions.node.split('.')[0]);
if (!process.env.IMGATE_GATEWAY_BIN) {
  const go = spawnSync(process.env.GO ?? 'go', ['build', '-o', 'bin/gateway', './cmd/gateway'], { cwd: root, stdio: 'inherit' });
  if (go.status !== 0) {
    console.error('building the gateway failed (go build -o bin/gateway ./cmd/gateway)');
    process.exit(1);
  }
}
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(here).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(here, f));
const flags = major === 20 || major === 21 ? ['--experimental-websocket'] : [];
const conc = process.env.SDK_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, [...flags, '--test', `--test-concurrency=${conc}`, '--test-timeout=120000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
