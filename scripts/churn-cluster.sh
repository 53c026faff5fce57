#!/usr/bin/env bash
# Churn on a cluster with a node killed: one NATS server with JetStream
# (bin/natsd) and NODES gateway processes sharing one WebSocket port with
# -reuseport, each with -nats-url (so -inbox-store auto is nats: one
# JetStream stream every node appends to and replays from). One bench
# process runs `bench chat -churn` (each user reconnects CHURN times a second
# on average and resumes with ?since= from the last offset it saw); about
# halfway through, node KILL_NODE is killed with SIGKILL (not drained), so
# its users are cut off and reconnect to the surviving nodes. Prints the
# bench report: acknowledged messages never received, duplicates, out of
# order, reconnects, throughput, latency.
#
#   make build && flock /work/heavy.lock scripts/churn-cluster.sh
#   CONNS=3000 scripts/churn-cluster.sh
#
# Loopback only; every process started here is stopped on exit (bounded by
# the bench's -duration plus a fixed drain); KEEP=1 keeps logs and reports.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=${NODES:-3}
KILL_NODE=${KILL_NODE:-2}  # 0: kill nothing
CONNS=${CONNS:-10000}      # users (one connection each), one bench process
MSG_RATE=${MSG_RATE:-0.2}  # SENDs per second per user
CHURN=${CHURN:-0.1}        # reconnects per second per user
DURATION=${DURATION:-30s}
RAMP=${RAMP:-3s}
BENCH=${BENCH:-bin/bench}  # the bench client binary
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WS_PORT=$(port)
NATS_PORT=$(port)
HTTP_PORTS=()
for i in $(seq "$NODES"); do HTTP_PORTS[$i]=$(port); done

out=$(mktemp -d /tmp/churn-cluster.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "logs and reports kept in $out"; else rm -rf "$out"; fi
}
trap cleanup EXIT

export GATEWAY_JWT_SECRET=${GATEWAY_JWT_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
for b in gateway bench natsd; do [ -x "bin/$b" ] || { echo "bin/$b missing: run make build"; exit 1; }; done

bin/natsd -port "$NATS_PORT" -jetstream -store-dir "$out/jetstream" 2>"$out/natsd.log" &
pids+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null && break; sleep 0.1; done
gwpids=()
for i in $(seq "$NODES"); do
  bin/gateway -addr "127.0.0.1:$WS_PORT" -reuseport -http-addr "127.0.0.1:${HTTP_PORTS[$i]}" \
    -nats-url "nats://127.0.0.1:$NATS_PORT" -inbox-store nats -node-id "gw$i" -data-dir "$out" \
    -log-level warn -max-sessions-per-user 0 2>"$out/gw$i.log" &
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
echo "== $NODES gateway nodes on 127.0.0.1:$WS_PORT (-reuseport), JetStream on :$NATS_PORT; load: $(cut -d' ' -f1-3 /proc/loadavg)"

cmd=("$BENCH" chat -target "127.0.0.1:$WS_PORT" -src 127.0.0.2-127.0.0.20 -conns "$CONNS"
  -msg-rate "$MSG_RATE" -churn "$CHURN" -device-id phone -duration "$DURATION" -ramp "$RAMP"
  -timeout 20s -quiet -json "$out/bench.json")
echo "== ${cmd[*]}"
"${cmd[@]}" >"$out/bench.txt" 2>&1 &
bench=$!
pids+=($bench)

secs() { local d=$1; case $d in *m) echo $(( ${d%m} * 60 ));; *s) echo "${d%s}";; *) echo "$d";; esac; }
if [ "$KILL_NODE" != 0 ]; then
  sleep $(( $(secs "$RAMP") + $(secs "$DURATION") / 2 ))
  conns=$(curl -s "http://127.0.0.1:${HTTP_PORTS[$KILL_NODE]}/api/stats" | jq .connections)
  kill -KILL "${gwpids[$KILL_NODE]}"
  echo "== $(date -u +%T) node $KILL_NODE (pid ${gwpids[$KILL_NODE]}, $conns connections) killed with SIGKILL; load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
# Bounded: the bench ends after ramp + duration + its own drain; give up past
# twice that plus a minute.
limit=$(( 2 * ($(secs "$RAMP") + $(secs "$DURATION")) + 60 ))
for _ in $(seq "$limit"); do kill -0 "$bench" 2>/dev/null || break; sleep 1; done
kill -0 "$bench" 2>/dev/null && { echo "bench still running after ${limit}s: stopping it"; kill "$bench"; }
status=0
wait "$bench" || status=$?
echo "== bench report (exit $status); load: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$out/bench.txt"
for i in $(seq "$NODES"); do
  [ "$i" = "$KILL_NODE" ] && continue
  curl -s "http://127.0.0.1:${HTTP_PORTS[$i]}/api/stats" | jq -c "{node: $i, connections, cluster, inbox}" 2>/dev/null || true
done
exit $status
