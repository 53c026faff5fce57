#!/usr/bin/env bash
# Interop with clients nobody here wrote: Python `websockets` (Debian's
# python3-websockets), Node `ws` (npm, installed into the ignored
# node_modules when missing) and headless Chromium's own WebSocket, each
# against a freshly started bin/gateway -demo. Each client connects with a
# token (query, header or subprotocol) and without one, logs in, is
# refused a bad and an expired token and logs in on the same socket, sends
# a message to another user, pings, stays silent past -idle-timeout while
# the server pings it, and closes cleanly; interop_checks.py asserts on
# everything it received. Each negotiates permessage-deflate (all three
# offer it by default) and must see it in the handshake response and
# receive RSV1 frames (Chromium's are counted in its net log).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
gw=
trap '[ -n "$gw" ] && kill "$gw" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

if [ ! -f node_modules/ws/package.json ]; then
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error ws@8 >/dev/null
fi

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ws_port=$(port); http_port=$(port)
# Server pings every second and drops connections silent for 3s: a client
# that did not answer pings would not survive the flows' 4s of silence.
idle_ms=4000
bin/gateway -demo -data-dir "$tmp/data" -addr "127.0.0.1:$ws_port" -http-addr "127.0.0.1:$http_port" \
  -ping-interval 1s -idle-timeout 3s -jwt-leeway 0 -compression 2>"$tmp/gateway.log" &
gw=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null && break
  sleep 0.1
done
alice=$(bin/gateway token -sub alice -data-dir "$tmp/data")
# -jwt-leeway 0 above: this token counts as expired once its second is up.
expired=$(bin/gateway token -sub alice -ttl 1s -data-dir "$tmp/data") # used after 4s of silence
url="ws://127.0.0.1:$ws_port/"

status=0
echo "== Python websockets $(/usr/bin/python3 -c 'import websockets; print(websockets.__version__)')"
/usr/bin/python3 scripts/interop_python.py "$url" "$alice" "$expired" "$idle_ms" || status=1

echo "== Node $(node --version), ws $(node -p 'require("ws/package.json").version')"
node scripts/interop_node.js "$url" "$alice" "$expired" "$idle_ms" >"$tmp/node.json" || true
/usr/bin/python3 scripts/interop_checks.py node "$tmp/node.json" "$idle_ms" || status=1

echo "== $(chromium --version 2>/dev/null | head -1), headless"
mkdir -p "$tmp/profile"
/usr/bin/python3 scripts/interop_browser.py "$url" "$alice" "$expired" "$idle_ms" "$tmp/profile" || status=1

if ! kill -0 "$gw" 2>/dev/null; then
  echo "the gateway died:" >&2
  cat "$tmp/gateway.log" >&2
  status=1
fi
[ "$status" = 0 ] && echo "interop: ok" || echo "interop: FAILED" >&2
exit "$status"
