#!/usr/bin/env bash
# Runs the product document's Python and JavaScript clients, unchanged,
# against a freshly started gateway (bin/gateway -demo). Needs
# /usr/bin/python3 with python3-websockets, and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
# The product document (a copy of ../shared/seed/ kept in the repo, so that a
# fresh CI clone has it); SEED=path overrides.
seed=${SEED:-scripts/testdata/websocket-token-auth-guide.md}
tmp=$(mktemp -d)
trap 'kill $gw 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ws_port=$(port); http_port=$(port)
bin/gateway -demo -data-dir "$tmp/data" -addr "127.0.0.1:$ws_port" -http-addr "127.0.0.1:$http_port" 2>"$tmp/gateway.log" &
gw=$!
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null && break
  sleep 0.1
done
token=$(bin/gateway token -sub alice -data-dir "$tmp/data")
url="ws://127.0.0.1:$ws_port"

echo "== seed Python ChatClient"
/usr/bin/python3 scripts/seed_python.py "$seed" "$url" "$token"

echo "== seed JavaScript ChatClient in headless Chromium"
/usr/bin/python3 scripts/seed_js.py "$seed" "$url" "$token" >"$tmp/page.html"
timeout 8 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
  "file://$tmp/page.html" >/dev/null 2>"$tmp/chromium.log" || true  # runs until the timeout
grep -o 'CONSOLE.*' "$tmp/chromium.log" | sed 's/, source:.*//; s/\("\(access\|refresh\)_token":"\)[^"]*/\1<redacted>/g' || true
for want in '"Authentication successful: Connected and authenticated successfully"' \
            '"WebSocket connected, sending login..."' '"Login successful"'; do
  if ! grep -qF "$want" "$tmp/chromium.log"; then
    echo "seed js client: missing console output: $want" >&2
    exit 1
  fi
done
echo "seed js client: ok"
