#!/usr/bin/env bash
# Garbage per connect (issue 15): what the gateway allocates, by site, for
# each authenticated connect. Starts bin/gateway (make build first) with
# default flags plus $GW_ARGS and GODEBUG=memprofilerate=1 (every
# allocation sampled), warms up with $WARMUP connects, saves the allocs
# profile, opens $CONNS authenticated idle connections (`bench idle`), saves
# the profile again while they are held, and prints the difference by
# allocation site: alloc_space and alloc_objects over the ramp, to divide
# by $CONNS. Client side not counted (another process). Profiles are kept
# in $OUTDIR (default a temporary directory, removed).
# Wrap in `flock /work/heavy.lock` on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-2000}; WARMUP=${WARMUP:-200}; NODES=${NODES:-30}
tmp=$(mktemp -d); gw=
out=${OUTDIR:-$tmp}; mkdir -p "$out"
trap 'kill $gw 2>/dev/null || true; rm -rf "$tmp"' EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null && return 0; sleep 0.1; done
  echo "alloc-connect: nothing listens on $1" >&2; exit 1
}
export GATEWAY_JWT_SECRET="alloc-connect-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ws="127.0.0.1:$(port)"; api="127.0.0.1:$(port)"
# shellcheck disable=SC2086
env GODEBUG=memprofilerate=1 ${GW_ENV:-} bin/gateway -data-dir "" -addr "$ws" -http-addr "$api" -log-level warn -pprof ${GW_ARGS:-} 2>"$tmp/gw.log" &
gw=$!
wait_port "$ws"; wait_port "$api"
bin/bench connect -target "$ws" -conns "$WARMUP" -quiet >/dev/null
sleep 1
curl -s "http://$api/debug/pprof/allocs?gc=1" >/dev/null # two GCs: the profile lags one cycle
curl -s "http://$api/debug/pprof/allocs?gc=1" >"$out/before.pb.gz"
bin/bench idle -target "$ws" -conns "$CONNS" -ramp 2s -duration 30s -src 127.0.0.2-127.0.0.5 -quiet >/dev/null &
bn=$!
# Once every connection is open (or 25 s), before any of them closes.
for _ in $(seq 250); do
  n=$(curl -s "http://$api/api/stats" | grep -o "\"sessions\": *[0-9]*" | grep -o '[0-9]*$' || true)
  [ "${n:-0}" -ge "$CONNS" ] && break
  sleep 0.1
done
curl -s "http://$api/debug/pprof/allocs?gc=1" >/dev/null # two GCs: the profile lags one cycle
curl -s "http://$api/debug/pprof/allocs?gc=1" >"$out/after.pb.gz"
echo "connections open when profiled: ${n:-?} of $CONNS"
kill "$bn" 2>/dev/null || true
top() { go tool pprof -sample_index="$1" -top -nodecount=300 -unit=B -ignore "net/http|runtime/pprof" \
  -base "$out/before.pb.gz" bin/gateway "$out/after.pb.gz" 2>/dev/null | sed '1,/flat%/d'; }
top alloc_space >"$out/space.txt"; top alloc_objects >"$out/objects.txt"; top inuse_space >"$out/inuse.txt"
# Per connect, by allocation site (flat): bytes allocated, allocations, and
# bytes still in use while the connections are held; garbage = the difference.
/usr/bin/python3 - "$out" "$CONNS" "$NODES" <<'PY'
import sys
out, n, nodes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    d = {}
    for line in open(f"{out}/{name}.txt"):
        f = line.split(None, 5)
        if len(f) == 6:
            site = f[5].strip().split("[go.shape")[0]
            d[site] = d.get(site, 0) + float(f[0].rstrip("B"))
    return d
space, objs, inuse = load("space"), load("objects"), load("inuse")
rows = sorted(space, key=lambda k: -(space[k] - inuse.get(k, 0)))
tot = [0, 0, 0]
print(f"{'garbage B':>10} {'alloc B':>8} {'allocs':>7} {'in use B':>8}  site (per connect, {n} connects)")
for i, k in enumerate(rows):
    a, o, u = space[k] / n, objs.get(k, 0) / n, inuse.get(k, 0) / n
    tot[0] += a; tot[1] += o; tot[2] += u
    if i < nodes:
        print(f"{a-u:10.0f} {a:8.0f} {o:7.2f} {u:8.0f}  {k}")
print(f"{tot[0]-tot[2]:10.0f} {tot[0]:8.0f} {tot[1]:7.2f} {tot[2]:8.0f}  total")
PY
