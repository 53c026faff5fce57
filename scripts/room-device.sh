#!/usr/bin/env bash
# One room of 19,000 members on one gateway node, on a many-core machine
# with prebuilt static binaries (bin/gateway, bin/bench; no Go needed):
# the gateway pinned to cores 0-7 (-loops 8), the bench client's two
# processes to cores 8-15, so that the client does not compete with the
# server. Several publish rates, each on a fresh gateway; the reports go to
# $OUT (or ./room-device.out).
set -u
out=${OUT:-./room-device.out}
mkdir -p "$out"
ulimit -n 20000 2>/dev/null || true
export GATEWAY_JWT_SECRET=bench-secret-0123456789abcdef0123456789
nproc > "$out/nproc"
command -v taskset >/dev/null || taskset() { shift 2; "$@"; }
IFS=, read -ra runs <<< "${RUNS:-5 40,5 20,5 10,5 7}"
for run in "${runs[@]}"; do
  set -- $run
  p=$1 r=$2
  dir=$(mktemp -d)
  taskset -c 0-7 bin/gateway -addr 127.0.0.1:18080 -http-addr 127.0.0.1:18081 -data-dir "$dir" \
    -log-level warn -ping-interval 0 -max-conns 19500 -loops 8 ${GWFLAGS:-} 2> "$out/gw-p$p-r$r.log" &
  gw=$!
  sleep 1
  taskset -c 8-15 bin/bench room -target 127.0.0.1:18080 -src 127.0.0.2-127.0.0.40 -server-pid $gw \
    -conns 19000 -procs 2 -rate 8000 -rooms 1 -publishers "$p" -msg-rate "$r" -duration 10s \
    > "$out/room-p$p-r$r.json" 2> "$out/room-p$p-r$r.err"
  echo "p=$p r=$r rc=$?" >> "$out/runs"
  kill $gw; wait $gw 2>/dev/null
  rm -rf "$dir"
done
