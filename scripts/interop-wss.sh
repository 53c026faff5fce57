#!/usr/bin/env bash
# wss:// interop: a gateway with a plain and a TLS listener on one engine, a
# development CA (gateway devcert), then Python websockets (trusting the CA),
# Node ws (trusting the CA) and headless Chromium (--ignore-certificate-errors)
# over wss://, and a certificate reload on file change and on SIGHUP.
# Needs /usr/bin/python3 with python3-websockets, node and npm (ws is
# installed into the gitignored node_modules/ on first use), chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill $gw 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

if [ ! -d node_modules/ws ]; then
  npm install --no-save --no-package-lock --no-audit --no-fund ws@8.23.0 >/dev/null
fi

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ws_port=$(port); wss_port=$(port); http_port=$(port)
bin/gateway devcert -dir "$tmp/tls" -hosts localhost,127.0.0.1 >/dev/null
bin/gateway -demo -data-dir "$tmp/data" -addr "127.0.0.1:$ws_port" -http-addr "127.0.0.1:$http_port" \
  -tls-addr "127.0.0.1:$wss_port" -tls-cert "$tmp/tls/cert.pem" -tls-key "$tmp/tls/key.pem" \
  -tls-watch-interval 200ms 2>"$tmp/gateway.log" &
gw=$!
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null && break
  sleep 0.1
done
alice=$(bin/gateway token -sub alice -data-dir "$tmp/data")
bob=$(bin/gateway token -sub bob -data-dir "$tmp/data")
wss="wss://127.0.0.1:$wss_port"

echo "== plain ws beside wss"
/usr/bin/python3 - "ws://127.0.0.1:$ws_port/?token=$alice" <<'PY'
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        m = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert m["code"] == 200, m
asyncio.run(main())
print("plain ws: ok")
PY

echo "== Python websockets over wss"
/usr/bin/python3 scripts/interop_wss.py check "$wss" "$tmp/tls/ca.pem" "$alice" "$bob"

echo "== Node ws over wss"
node scripts/interop_wss.mjs "$wss" "$tmp/tls/ca.pem" "$alice"

echo "== headless Chromium over wss"
cat >"$tmp/page.html" <<HTML
<!doctype html><script>
const ws = new WebSocket("$wss/?device_id=chromium", ["gateway.v1", "bearer.$alice"]);
ws.onopen = () => console.log("WSS open, protocol " + ws.protocol);
let n = 0;
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (n++ === 0) {
    console.log("WSS first frame " + m.code + " " + m.body.user_id);
    ws.send(JSON.stringify({cmd_id: 1003, seq: 9, body: {}}));
  } else if (m.cmd_id === 1003) {
    console.log("WSS heartbeat " + m.code);
    ws.close(1000, "done");
  }
};
ws.onclose = (e) => console.log("WSS closed " + e.code);
ws.onerror = () => console.log("WSS error");
</script>
HTML
timeout 8 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --ignore-certificate-errors --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
  "file://$tmp/page.html" >/dev/null 2>"$tmp/chromium.log" || true  # runs until the timeout
grep -o 'CONSOLE.*' "$tmp/chromium.log" | sed 's/, source:.*//' || true
for want in '"WSS open, protocol gateway.v1"' '"WSS first frame 200 alice"' '"WSS heartbeat 200"' '"WSS closed 1000"'; do
  if ! grep -qF "$want" "$tmp/chromium.log"; then
    echo "chromium wss: missing console output: $want" >&2
    exit 1
  fi
done
echo "chromium over wss: ok"

echo "== certificate reload"
before=$(/usr/bin/python3 scripts/interop_wss.py fingerprint 127.0.0.1 "$wss_port")
bin/gateway devcert -dir "$tmp/tls2" -hosts localhost,127.0.0.1 >/dev/null
mv "$tmp/tls2/key.pem" "$tmp/tls/key.pem"
mv "$tmp/tls2/cert.pem" "$tmp/tls/cert.pem"
after=$before
for _ in $(seq 50); do
  after=$(/usr/bin/python3 scripts/interop_wss.py fingerprint 127.0.0.1 "$wss_port")
  [ "$after" != "$before" ] && break
  sleep 0.1
done
if [ "$after" = "$before" ]; then
  echo "reload: the gateway still presents the old certificate" >&2
  exit 1
fi
/usr/bin/python3 scripts/interop_wss.py check "$wss" "$tmp/tls2/ca.pem" "$alice" "$bob" >/dev/null
echo "reload on file change: ok (new handshakes chain to the new CA)"
kill -HUP $gw
for _ in $(seq 50); do
  grep -q 'msg="TLS certificate reloaded"' "$tmp/gateway.log" && break
  sleep 0.1
done
grep -q 'msg="TLS certificate reloaded"' "$tmp/gateway.log" || { echo "SIGHUP: no reload logged" >&2; exit 1; }
kill -0 $gw
echo "reload on SIGHUP: ok"
