#!/usr/bin/env bash
# A short run of every bench scenario against the real binaries (make
# build first): bin/gateway for connect, idle, chat and room (with -procs), bin/echo
# for echo. Each run is small and bounded; a failed connection, a lost or
# duplicated message, or a non-zero exit fails the script. Runs in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
gw=; echo_pid=
trap 'kill $gw $echo_pid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # host:port, up to 5 s
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench-smoke: nothing listens on $1" >&2; exit 1
}
export GATEWAY_JWT_SECRET="bench-smoke-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ws="127.0.0.1:$(port)"; api="127.0.0.1:$(port)"; echo_addr="127.0.0.1:$(port)"
bin/gateway -demo -data-dir "$tmp/data" -addr "$ws" -http-addr "$api" -log-level warn 2>"$tmp/gateway.log" &
gw=$!
bin/echo -addr "$echo_addr" 2>"$tmp/echo.log" &
echo_pid=$!
wait_port "$ws"; wait_port "$echo_addr"

# run NAME ARGS...: one bounded bench run; its JSON report is $tmp/NAME.json.
run() {
  local name=$1; shift
  echo "== bench $*"
  timeout 60 bin/bench "$@" -quiet -json "$tmp/$name.json" | tee "$tmp/$name.txt"
  grep -q '"conns_failed": 0,' "$tmp/$name.json" || { echo "bench-smoke: $name: failed connections" >&2; exit 1; }
}
# want NAME REGEX: the JSON report of NAME matches REGEX.
want() { grep -Eq "$2" "$tmp/$1.json" || { echo "bench-smoke: $1: no match for $2" >&2; exit 1; }; }

run connect connect -target "$ws" -conns 300 -rate 3000
want connect '"conns_connected": 300,'
run login connect -target "$ws" -conns 3 -auth login -login-user alice -login-pass alice123
want login '"conns_connected": 3,'
run idle idle -target "$ws" -conns 400 -procs 2 -ramp 500ms -duration 1s -server-pid "$gw" \
  -stats-url "http://$api/api/stats?gc=1"
want idle '"server_bytes_per_conn": [0-9.e+-]+,'
run chat chat -target "$ws" -conns 200 -procs 2 -inflight 2 -duration 2s -server-pid "$gw"
want chat '"syscalls_per_msg": [0-9.e+-]+,'
want chat '"lost": 0,'
want chat '"duplicates": 0,'
want chat '"unacked": 0,'
# churn: users reconnect and resume from the inbox (bolt in -data-dir, the
# default): nothing acknowledged is lost, nothing twice, nothing out of order.
run churn chat -target "$ws" -conns 200 -inflight 2 -duration 3s -churn 0.5 -device-id smoke
want churn '"acked_lost": 0,'
want churn '"out_of_order": 0,'
want churn '"duplicates": 0,'
want churn '"reconnects": [1-9][0-9]*,'
run room room -target "$ws" -conns 300 -procs 2 -rooms 3 -publishers 3 -msg-rate 200 -duration 2s -server-pid "$gw"
want room '"lost": 0,'
want room '"duplicates": 0,'
want room '"out_of_order": 0,'
want room '"gaps": 0,'
run echo64 echo -target "$echo_addr" -conns 50 -inflight 4 -payload 64 -duration 1s -server-pid "$echo_pid"
want echo64 '"msgs_per_cpu_second": [0-9.e+-]+,'
want echo64 '"unexpected": 0'
run echo1k echo -target "$echo_addr" -conns 50 -inflight 4 -payload 1024 -binary -duration 1s
want echo1k '"unexpected": 0'
echo "bench-smoke: ok"
