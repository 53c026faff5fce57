#!/usr/bin/env bash
# Runs `bench echo` against cmd/echo (ours) and the peer echo servers of
# bench/peers (gorilla/websocket, lxzan/gws, lesismal/nbio), one server at a
# time, at the same connection count, payloads and in-flight window, and
# prints each run's messages/s, RTT p99, the server's RSS and CPU, its
# syscalls per message, and the ratio ours/theirs. `make bench-peers`
# builds the binaries first. Client and server share this machine's cores:
# msg/s per server CPU-second is the figure that does not depend on how
# the cores were split.
#
# Environment: PEER_CONNS (1000), PEER_PAYLOADS ("64 1024"),
# PEER_INFLIGHT (1), PEER_DURATION (10s), PEER_ROUNDS (1: each server once
# per payload; more rounds interleave the servers and report the median),
# PEER_SERVERS ("ours gorilla gws nbio"), PEER_BINARY (set: binary frames
# instead of text, which no server checks for UTF-8), PEER_OUT (a folder to
# keep the JSON reports in).
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${PEER_CONNS:-1000}
payloads=${PEER_PAYLOADS:-64 1024}
inflight=${PEER_INFLIGHT:-1}
duration=${PEER_DURATION:-10s}
rounds=${PEER_ROUNDS:-1}
servers=${PEER_SERVERS:-ours gorilla gws nbio}
binary=${PEER_BINARY:+-binary}
kind=text; [ -z "$binary" ] || kind=binary
out=${PEER_OUT:-$(mktemp -d)}
mkdir -p "$out"
srv=
trap 'kill $srv 2>/dev/null || true' EXIT

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench-peers: nothing listens on $1" >&2; exit 1
}
binary() {
  case $1 in
    ours) echo bin/echo ;;
    *) echo "bin/peers/$1" ;;
  esac
}
# peak PID: VmHWM in kB (the highest RSS the server reached)
peak() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

printf 'connections %s, %s in flight each, %s per run, %s frames, servers: %s\n' \
  "$conns" "$inflight" "$duration" "$kind" "$servers"
for round in $(seq "$rounds"); do
  for p in $payloads; do
    for s in $servers; do
      addr="127.0.0.1:$(port)"
      "$(binary "$s")" -addr "$addr" >"$out/$s.log" 2>&1 &
      srv=$!
      wait_port "$addr"
      timeout 300 bin/bench echo -target "$addr" -conns "$conns" -inflight "$inflight" -payload "$p" $binary \
        -duration "$duration" -server-pid "$srv" -quiet -json "$out/$s-$p-$round.json" >"$out/$s-$p-$round.txt" ||
        { echo "bench-peers: bench against $s failed:" >&2; cat "$out/$s-$p-$round.txt" >&2; exit 1; }
      echo "$s $p $round $(peak "$srv")" >>"$out/samples"
      kill "$srv"; wait "$srv" 2>/dev/null || true; srv=
    done
  done
done

/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
rows = {}
for line in open(out + "/samples"):
    s, p, r, hwm = line.split()
    rep = json.load(open(f"{out}/{s}-{p}-{r}.json"))
    srv = rep["server"]  # the server's load over the measurement, from /proc
    rows.setdefault((s, int(p)), []).append(dict(
        rate=rep["echo"]["msgs_per_sec"], p99=rep["latency"].get("rtt", {}).get("p99_us", 0) / 1000,
        rss=srv["rss_end"] / 2**20, hwm=int(hwm) / 1024, cpu=srv["cpu_seconds"],
        per_cpu=srv["msgs_per_cpu_second"], sys_per_msg=srv["syscalls_per_msg"],
        failed=rep["conns_failed"]))
def med(xs, k): return statistics.median(x[k] for x in xs)
def spread(xs, k):
    v = [x[k] for x in xs]
    return "" if len(v) < 2 else f" ({min(v):.0f}–{max(v):.0f})"
print(f"\n{'server':8} {'payload':>7} {'msg/s':>20} {'p99 ms':>7} {'RSS MiB':>8} {'peak MiB':>8} "
      f"{'srv CPU s':>9} {'msg/CPU-s':>10} {'r+w/msg':>8} {'ours/theirs msg/s':>17} {'msg/CPU-s':>9}")
for (s, p), xs in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0] != "ours", kv[0][0])):
    ours = rows.get(("ours", p))
    ratio = ratio_cpu = ""
    if ours and s != "ours":
        ratio = f"{med(ours, 'rate') / med(xs, 'rate'):.2f}"
        ratio_cpu = f"{med(ours, 'per_cpu') / med(xs, 'per_cpu'):.2f}"
    print(f"{s:8} {p:>7} {med(xs, 'rate'):>9.0f}{spread(xs, 'rate'):>11} {med(xs, 'p99'):>7.2f} "
          f"{med(xs, 'rss'):>8.1f} {med(xs, 'hwm'):>8.1f} {med(xs, 'cpu'):>9.1f} {med(xs, 'per_cpu'):>10.0f} "
          f"{med(xs, 'sys_per_msg'):>8.3f} {ratio:>17} {ratio_cpu:>9}")
    if any(x["failed"] for x in xs):
        print(f"  {s}: some connections failed, see {out}")
print(f"\nreports in {out}; medians over {max(len(x) for x in rows.values())} round(s), (min–max) msg/s")
PY
