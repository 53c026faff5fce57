#!/usr/bin/env bash
# The cluster scale run for a large machine without Go, curl, jq or python:
# prebuilt static binaries in bin/ (bin/gateway, bin/bench, bin/natsd), one
# NATS server, NODES gateway processes sharing one port (-reuseport) and
# PROCS bench processes, each holding CONNS authenticated users from its own
# /24 of source addresses, chatting at MSG_RATE SENDs per user per second to
# random other users. Prints each bench report, and, mid-run, every node's
# connections and Go heap (after a forced GC) and the summed RSS.
#
#   NODES=60 PROCS=52 CONNS=19300 RAMP=80s DURATION=30s scripts/scale-run.sh   # 1,003,600 users
#
# 127.0.0.0/8 only; every process started here stops on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${NODES:-2} PROCS=${PROCS:-2} CONNS=${CONNS:-2000}
RAMP=${RAMP:-10s} DURATION=${DURATION:-10s} MSG_RATE=${MSG_RATE:-0.01}
LOOPS=${LOOPS:-2} TIMEOUT=${TIMEOUT:-30s}
# Many processes share the cores: each gets a few Go threads.
export GOMAXPROCS=${GOMAXPROCS:-2}
WS_PORT=${WS_PORT:-18080} NATS_PORT=${NATS_PORT:-14222} HTTP_BASE=${HTTP_BASE:-19000}
OUT=${OUT:-$(mktemp -d /tmp/scale-run.XXXXXX)}
mkdir -p "$OUT"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
export GATEWAY_JWT_SECRET=${GATEWAY_JWT_SECRET:-scale-run-secret-0123456789abcdef0123}

http_get() { # http_get PORT PATH: the body of a GET over bash's /dev/tcp
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: x\r\n\r\n' "$2" >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}
field() { grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

bin/natsd -port "$NATS_PORT" 2>"$OUT/natsd.log" &
pids+=($!); natsd=$!
sleep 1
gws=()
for i in $(seq "$NODES"); do
  bin/gateway -addr "127.0.0.1:$WS_PORT" -reuseport -http-addr "127.0.0.1:$((HTTP_BASE + i))" \
    -nats-url "nats://127.0.0.1:$NATS_PORT" -refresh-store memory -node-id "gw$i" -data-dir "$OUT" \
    -max-sessions-per-user 0 -loops "$LOOPS" -log-level warn 2>"$OUT/gw$i.log" &
  pids+=($!); gws+=($!)
done
for i in $(seq "$NODES"); do
  for _ in $(seq 100); do http_get $((HTTP_BASE + i)) /readyz >/dev/null 2>&1 && break; sleep 0.2; done
done
echo "== $NODES gateways on :$WS_PORT, NATS on :$NATS_PORT, $PROCS bench processes × $CONNS users"
gw_rss0=0; for p in "${gws[@]}"; do gw_rss0=$((gw_rss0 + $(rss_kb "$p"))); done
nats_rss0=$(rss_kb "$natsd")

benches=()
for k in $(seq 0 $((PROCS - 1))); do
  net=$(( k + 1 ))
  bin/bench chat -target "127.0.0.1:$WS_PORT" -conns "$CONNS" -first-user $((k * CONNS)) \
    -src "127.$net.0.2-127.$net.0.41" -ramp "$RAMP" -msg-rate "$MSG_RATE" -duration "$DURATION" \
    -timeout "$TIMEOUT" -quiet -json "$OUT/bench$k.json" >"$OUT/bench$k.txt" 2>&1 &
  pids+=($!); benches+=($!)
done
secs() { local d=$1; case $d in *m) echo $(( ${d%m} * 60 ));; *s) echo "${d%s}";; *) echo "$d";; esac; }
sleep $(( $(secs "$RAMP") + $(secs "$DURATION") / 2 ))
conns=0 heap=0 heap0=0
for i in $(seq "$NODES"); do
  s=$(http_get $((HTTP_BASE + i)) '/api/stats?gc=1' || true)
  c=$(echo "$s" | field connections); h=$(echo "$s" | field heap_alloc)
  conns=$((conns + ${c:-0})); heap=$((heap + ${h:-0}))
done
gw_rss=0; for p in "${gws[@]}"; do gw_rss=$((gw_rss + $(rss_kb "$p"))); done
nats_rss=$(rss_kb "$natsd")
echo "== mid-run: $conns connections on $NODES nodes"
echo "gateway Go heap (after GC) $((heap / 1048576)) MiB = $((heap / (conns > 0 ? conns : 1))) B/conn (incl. each node's baseline)"
echo "gateway RSS $((gw_rss / 1024)) MiB (+$(( (gw_rss - gw_rss0) * 1024 / (conns > 0 ? conns : 1) )) B/conn), NATS RSS $((nats_rss / 1024)) MiB (+$(( (nats_rss - nats_rss0) * 1024 / (conns > 0 ? conns : 1) )) B/conn)"
status=0
for p in "${benches[@]}"; do wait "$p" || status=1; done
for k in $(seq 0 $((PROCS - 1))); do echo "== bench $k"; cat "$OUT/bench$k.txt"; done | grep -E "^== bench|connections|chat |e2e|errors" || true
exit $status
