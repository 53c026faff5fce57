#!/usr/bin/env bash
# The issue-15 measurements side by side, from prebuilt binaries in bin/dev
# (gateway-before and echo-before: main at the branch point; gateway, echo,
# bench: this branch). PHASES picks from "idle chat echo"; results go to
# $OUT/*.txt. Ports 20000 and up on 127.0.0.1 (an otherwise idle machine);
# wrap each phase in `flock /work/heavy.lock` on a shared one.
set -uo pipefail
B=bin/dev; OUT=${OUT:-/tmp/memout}; mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
export GATEWAY_JWT_SECRET=mem-device-0123456789abcdef0123456789abcdef
p=20000; N10=${N10:-10000}; N19=${N19:-18500}; PHASES=${PHASES:-idle chat echo}; NCHAT=${NCHAT:-1000}; DCHAT=${DCHAT:-10s}; DECHO=${DECHO:-5s}
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "no listener on $1"; }
get() { exec 3<>"/dev/tcp/127.0.0.1/$1"; printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3; cat <&3; exec 3<&-; }
# gw NAME BIN ENV... -- FLAGS...: start a gateway; sets gpid, ws, wss, api.
gw() {
  local bin=$1; shift; local env=(); while [ "$1" != -- ]; do env+=("$1"); shift; done; shift
  p=$((p+3)); ws=$p; wss=$((p+1)); api=$((p+2))
  env "${env[@]}" "$B/$bin" -data-dir "" -addr 127.0.0.1:$ws -http-addr 127.0.0.1:$api -tls-addr 127.0.0.1:$wss \
    -tls-self-signed -log-level warn -pprof "$@" 2>>"$OUT/gw.log" & gpid=$!
  wait_port $ws; wait_port $api
}
stop() { kill $gpid; wait $gpid 2>/dev/null; }
# idle LABEL TARGET CONNS PROCS
idle() {
  echo "== $1 load $(cut -d' ' -f1-3 /proc/loadavg)"
  timeout 90 $B/bench idle -target "$2" -insecure -conns "$3" -procs "$4" -ramp 3s -duration 5s \
    -src 127.0.0.2-127.0.0.9 -server-pid $gpid -stats-url "http://127.0.0.1:$api/api/stats?gc=1" -quiet -json "$OUT/j.json" |
    grep -E 'connections|server RSS|heap_alloc|heap_inuse'
  grep -E '"server_bytes_per_conn"' "$OUT/j.json"
}
chat() {
  echo "== $1 load $(cut -d' ' -f1-3 /proc/loadavg)"
  timeout 90 $B/bench chat -target 127.0.0.1:$ws -conns $NCHAT -inflight 16 -ramp 2s -duration $DCHAT \
    -src 127.0.0.2-127.0.0.9 -server-pid $gpid -quiet | grep -E 'delivered|server CPU'
  get $api '/debug/pprof/heap?debug=1' | grep -E '^# (NumGC|GCCPUFraction|HeapAlloc) '
}
[[ " $PHASES " != *" idle "* ]] || {
for r in 1 2; do
  gw gateway-before -- ; idle "plain 10k before r$r" 127.0.0.1:$ws $N10 1; stop
  gw gateway -- ; idle "plain 10k after r$r" 127.0.0.1:$ws $N10 1; stop
done
for g in 50 25; do gw gateway GOGC=$g -- ; idle "plain 10k after GOGC=$g" 127.0.0.1:$ws $N10 1; stop; done
gw gateway-before -- ; idle "plain 19k before" 127.0.0.1:$ws $N19 2; stop
gw gateway -- ; idle "plain 19k after" 127.0.0.1:$ws $N19 2; stop
gw gateway-before -- ; idle "wss 10k before" wss://127.0.0.1:$wss $N10 1; stop
gw gateway -- ; idle "wss 10k after" wss://127.0.0.1:$wss $N10 1; stop
gw gateway GOGC=50 -- ; idle "wss 10k after GOGC=50" wss://127.0.0.1:$wss $N10 1; stop
} >"$OUT/idle.txt" 2>&1
[[ " $PHASES " != *" chat "* ]] || {
for r in 1 2; do
  gw gateway-before -- ; chat "chat before r$r"; stop
  gw gateway -- ; chat "chat after r$r"; stop
  gw gateway GOGC=50 -- ; chat "chat after GOGC=50 r$r"; stop
  gw gateway GOGC=25 -- ; chat "chat after GOGC=25 r$r"; stop
  gw gateway -- -memory-limit 24MiB ; chat "chat after -memory-limit 24MiB r$r"; stop
done
} >"$OUT/chat.txt" 2>&1
[[ " $PHASES " != *" echo "* ]] || {
$B/echo-before -addr 127.0.0.1:19001 2>/dev/null & e1=$!
$B/echo -addr 127.0.0.1:19002 2>/dev/null & e2=$!
wait_port 19001; wait_port 19002
for r in 1 2 3; do
  for e in "before 19001 $e1" "after 19002 $e2"; do set -- $e
    echo "== echo $1 r$r load $(cut -d' ' -f1-3 /proc/loadavg)"
    timeout 30 $B/bench echo -target 127.0.0.1:$2 -conns 100 -inflight 16 -payload 64 -duration $DECHO -server-pid $3 -quiet | grep -E 'echo|server CPU|msgs'
  done
done
kill $e1 $e2
} >"$OUT/echo.txt" 2>&1
cat "$OUT"/*.txt 2>/dev/null | grep -v '^$' | tail -c 11000
