#!/usr/bin/env bash
# Memory per idle authenticated connection (issue 15): starts bin/gateway
# (make build first) with default flags plus $GW_ARGS, opens $CONNS
# authenticated connections with `bench idle`, holds them $HOLD, and prints
# the bench report (server RSS delta per connection, heap deltas from
# /api/stats?gc=1). With PROFILE=DIR it also saves the gateway's heap
# profile (inuse, after a GC) to DIR/heap.pb.gz while the connections are
# open and prints its top entries by type and by allocation site.
# GW_ENV="GODEBUG=memprofilerate=1" makes the profile exact (every allocation).
# CHAT=1 runs `bench chat -inflight 16` instead (CONNS users, HOLD long) and
# prints the GC's share of the CPU: the cost of a lower GOGC or a tight limit.
# TLS=1 measures wss:// with a self-signed certificate instead of ws://.
# Wrap the whole script in `flock /work/heavy.lock` on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-10000}; HOLD=${HOLD:-10s}; PROCS=${PROCS:-1}; RAMP=${RAMP:-3s}
tmp=$(mktemp -d); gw=; prof=
trap 'kill $gw 2>/dev/null || true; rm -rf "$tmp"' EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null && return 0; sleep 0.1; done
  echo "mem-idle: nothing listens on $1" >&2; exit 1
}
export GATEWAY_JWT_SECRET="mem-idle-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ws="127.0.0.1:$(port)"; api="127.0.0.1:$(port)"; target=$ws; tlsargs=()
if [ -n "${TLS:-}" ]; then
  wss="127.0.0.1:$(port)"; tlsargs=(-tls-addr "$wss" -tls-self-signed); target="wss://$wss"
fi
# shellcheck disable=SC2086
env ${GW_ENV:-} bin/gateway -data-dir "" -addr "$ws" -http-addr "$api" -log-level warn -pprof "${tlsargs[@]}" ${GW_ARGS:-} 2>"$tmp/gw.log" &
gw=$!
wait_port "$ws"; wait_port "$api"
rss() { grep -E '^(RssAnon|RssFile)' "/proc/$gw/status" | tr -s ' \t' ' ' | tr '\n' ' '; echo; }
if [ -n "${WARMUP:-}" ]; then # touch the connect path's code pages once, so the delta is per connection
  bin/bench connect -target "$target" -insecure -conns "$WARMUP" -quiet >/dev/null
fi
echo "before: $(rss)"
[ -z "${SMAPS:-}" ] || cp "/proc/$gw/smaps" "$SMAPS.before"
cpu() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$gw/stat"; } # utime+stime, clock ticks of 1/100 s
( sleep "${PROFILE_AT:-8}"; echo "during: $(rss) server CPU since start: $(cpu) s"; [ -z "${SMAPS:-}" ] || cp "/proc/$gw/smaps" "$SMAPS.during" ) &
if [ -n "${PROFILE:-}" ]; then
  mkdir -p "$PROFILE"
  ( sleep "${PROFILE_AT:-8}"; curl -s "http://$api/debug/pprof/heap?gc=1" >"$PROFILE/heap.pb.gz"; curl -s "http://$api/debug/pprof/heap?debug=1" | grep "^# [A-Z]" >"$PROFILE/memstats.txt" ) &
  prof=$!
fi
if [ -n "${CHAT:-}" ]; then # the GC's CPU under load: msgs per server CPU-second
  bin/bench chat -target "$target" -insecure -conns "$CONNS" -procs "$PROCS" -inflight 16 -ramp "$RAMP" -duration "$HOLD" \
    -src 127.0.0.2-127.0.0.5 -server-pid "$gw" -quiet
  curl -s "http://$api/debug/pprof/heap?debug=1" | grep -E '^# (NumGC|GCCPUFraction|NextGC|HeapAlloc) '
  exit 0
fi
bin/bench idle -target "$target" -insecure -conns "$CONNS" -procs "$PROCS" -ramp "$RAMP" -duration "$HOLD" \
  -src 127.0.0.2-127.0.0.5 -server-pid "$gw" -stats-url "http://$api/api/stats?gc=1" -quiet -json "$tmp/idle.json"
grep -E '"server_bytes_per_conn"' "$tmp/idle.json" || true
[ -z "${prof:-}" ] || wait "$prof"
if [ -n "${PROFILE:-}" ]; then
  go tool pprof -sample_index=inuse_space -top -nodecount=25 bin/gateway "$PROFILE/heap.pb.gz" 2>/dev/null >"$PROFILE/sites.txt" || true
  go tool pprof -sample_index=inuse_space -top -nodecount=25 -cum bin/gateway "$PROFILE/heap.pb.gz" 2>/dev/null >"$PROFILE/cum.txt" || true
  echo "== runtime.MemStats"; cat "$PROFILE/memstats.txt"
  echo "== heap by allocation site"; head -32 "$PROFILE/sites.txt"
fi
