#!/usr/bin/env bash
# Cluster demo: one NATS server (bin/natsd, built from the nats-server
# module) and NODES gateway processes sharing one WebSocket port with
# -reuseport, then PROCS bench processes (users spread by the kernel over
# the nodes, so about (NODES-1)/NODES of the messages cross nodes over
# NATS). SCENARIO=chat (default) has every user send MSG_RATE SENDs a second
# to random other users; SCENARIO=idle only holds the connections. Prints
# the bench reports and, sampled mid-run after a forced GC, each node's
# connections, memory and bus counters, and the NATS server's memory.
#
#   make cluster-demo
#   NODES=3 PROCS=3 CONNS=12000 MSG_RATE=0.5 DURATION=60s scripts/cluster-demo.sh
#   SCENARIO=idle PROCS=3 CONNS=15000 scripts/cluster-demo.sh
#   NATS=0 NODES=1 scripts/cluster-demo.sh   # the same load on one node, no NATS (baseline)
#
# Everything listens on 127.0.0.1 only; every process started here is
# stopped on exit. KEEP=1 keeps the logs and JSON reports.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIO=${SCENARIO:-chat} # chat or idle
NATS=${NATS:-1}             # 0: single-node gateways, no NATS (a baseline)
NODES=${NODES:-3}           # gateway processes
PROCS=${PROCS:-2}           # bench processes (each holds at most ~19,900 sockets)
CONNS=${CONNS:-10000}       # connections (users) per bench process
MSG_RATE=${MSG_RATE:-0.5}   # SENDs per second per user
DURATION=${DURATION:-30s}   # chat measurement time
RAMP=${RAMP:-20s}           # connect phase of each bench process
PAYLOAD=${PAYLOAD:-64}
# Free ports unless given; node i serves its HTTP API on HTTP_PORTS[i].
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WS_PORT=${WS_PORT:-$(port)}
NATS_PORT=${NATS_PORT:-$(port)}
HTTP_PORTS=()
for i in $(seq "$NODES"); do HTTP_PORTS[$i]=$(port); done

out=$(mktemp -d /tmp/cluster-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "logs and reports kept in $out"; else rm -rf "$out"; fi
}
trap cleanup EXIT

export GATEWAY_JWT_SECRET=${GATEWAY_JWT_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}

go build -o bin/gateway ./cmd/gateway
go build -o bin/bench ./cmd/bench
go build -o bin/natsd ./cmd/natsd

nats_flags=(-refresh-store memory) # NATS=0: nodes share nothing
natsd_pid=$$ # with NATS=0 the "NATS server" rows measure this shell
if [ "$NATS" != 0 ]; then
  bin/natsd -port "$NATS_PORT" -jetstream -store-dir "$out/jetstream" 2>"$out/natsd.log" &
  pids+=($!)
  natsd_pid=$!
  nats_flags=(-nats-url "nats://127.0.0.1:$NATS_PORT")
fi
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
for i in $(seq "$NODES"); do
  bin/gateway -addr "127.0.0.1:$WS_PORT" -reuseport -http-addr "127.0.0.1:${HTTP_PORTS[$i]}" \
    "${nats_flags[@]}" -node-id "gw$i" -data-dir "$out" -log-level warn -max-sessions-per-user 0 \
    2>"$out/gw$i.log" &
  pids+=($!)
  gwpids[$i]=$!
done
for i in $(seq "$NODES"); do
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:${HTTP_PORTS[$i]}/readyz" >/dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:${HTTP_PORTS[$i]}/readyz" >/dev/null || { echo "node $i not ready"; cat "$out/gw$i.log"; exit 1; }
done
echo "== $NODES gateway nodes on 127.0.0.1:$WS_PORT (-reuseport), NATS=$NATS on :$NATS_PORT"

stats() { # stats FILE: one JSON line per node, after a forced GC
  for i in $(seq "$NODES"); do curl -s "http://127.0.0.1:${HTTP_PORTS[$i]}/api/stats?gc=1"; done >"$1"
}
stats "$out/before.json"
natsd_before=$(rss_kb "$natsd_pid")

# Each bench process gets its own users and its own source addresses (one
# source address reaches one port about 28k times).
bench_pids=()
for k in $(seq 0 $((PROCS - 1))); do
  lo=$((2 + k * 20)); hi=$((lo + 19))
  chat_flags=()
  [ "$SCENARIO" = chat ] && chat_flags=(-msg-rate "$MSG_RATE" -payload "$PAYLOAD")
  bin/bench "$SCENARIO" -target "127.0.0.1:$WS_PORT" -conns "$CONNS" -first-user $((k * CONNS)) \
    -src "127.0.0.$lo-127.0.0.$hi" -ramp "$RAMP" "${chat_flags[@]}" \
    -duration "$DURATION" -timeout 30s -quiet -json "$out/bench$k.json" >"$out/bench$k.txt" 2>&1 &
  bench_pids+=($!)
  pids+=($!)
done
secs() { local d=$1; case $d in *m) echo $(( ${d%m} * 60 ));; *s) echo "${d%s}";; *) echo "$d";; esac; }
sleep $(( $(secs "$RAMP") + $(secs "$DURATION") / 2 ))
stats "$out/during.json"
natsd_during=$(rss_kb "$natsd_pid")
status=0
for p in "${bench_pids[@]}"; do wait "$p" || status=1; done

for k in $(seq 0 $((PROCS - 1))); do echo "== bench process $k"; cat "$out/bench$k.txt"; done
echo "== nodes mid-run (after a forced GC)"
jq -s -r --slurpfile b "$out/before.json" '
  . as $d | range(0; length) as $i | $d[$i] as $n | $b[$i] as $o |
  "node \($i + 1): \($n.connections) conns, heap +\((($n.heap_alloc - $o.heap_alloc) / ([$n.connections,1]|max)) | floor) B/conn, rss +\((($n.rss - $o.rss) / ([$n.connections,1]|max)) | floor) B/conn, goroutines \($n.goroutines)"
' "$out/during.json"
conns=$(jq -s 'map(.connections) | add' "$out/during.json")
jq -s -r --slurpfile b "$out/before.json" --argjson nb "$natsd_before" --argjson nd "$natsd_during" '
  (map(.rss) | add) as $r | ($b | map(.rss) | add) as $r0 | (map(.connections) | add) as $c |
  "all nodes: \($c) conns, gateway rss +\((($r - $r0) / ([$c,1]|max)) | floor) B/conn, NATS server rss +\((($nd - $nb) * 1024 / ([$c,1]|max)) | floor) B/conn (\($nd / 1024 | floor) MiB)"
' "$out/during.json"
if [ "$SCENARIO" = chat ]; then
  echo "== totals"
  jq -s -r '
    (map(.conns_connected) | add) as $c | (map(.chat.sent) | add) as $s | (map(.chat.delivered) | add) as $d |
    (map(.chat.lost) | add) as $l | (map(.chat.duplicates) | add) as $u | (map(.hold_seconds) | max) as $h |
    "connections \($c), sent \($s), delivered \($d) (\(($d / $h) | floor)/s), lost \($l), duplicates \($u)"
  ' "$out"/bench*.json
fi
[ "$NATS" = 0 ] || for i in $(seq "$NODES"); do curl -s "http://127.0.0.1:${HTTP_PORTS[$i]}/api/stats"; done | jq -s -r '
  "bus: published \(map(.cluster.published) | add), publish failed \(map(.cluster.publish_failed) | add), pushes from the bus \(map(.cluster.remote_pushes) | add), slow consumer \(map(.cluster.slow_consumer) | add)"'
exit $status
