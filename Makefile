# Targets a newcomer guesses. `make run` starts the gateway with the demo
# accounts; `make test` is what CI runs.
GO        ?= go
BIN       := bin
# A count, not a duration: go1.26's fuzz coordinator can fail a run with
# "context deadline exceeded" when a duration expires (golang/go#75804).
FUZZTIME  ?= 100000x
PKGS      := ./...

.PHONY: deps build run test vet lint fuzz bench bench-smoke bench-peers cover seed-clients dashboard cluster-demo interop interop-wss clean

build:
	$(GO) build -o $(BIN)/gateway ./cmd/gateway
	$(GO) build -o $(BIN)/echo ./cmd/echo
	$(GO) build -o $(BIN)/bench ./cmd/bench
	$(GO) build -o $(BIN)/natsd ./cmd/natsd

run:
	$(GO) run ./cmd/gateway -demo

# What the tests need beyond Go (Chromium, Python websockets, Node and npm,
# a C compiler for -race, curl; ws@8 into node_modules/): installed when
# root, else the one command to run is printed (scripts/deps.sh).
deps:
	./scripts/deps.sh

test: deps vet
	$(GO) test -race -shuffle=on -timeout 15m $(PKGS)
	$(MAKE) fuzz
	$(MAKE) sdk-test

vet:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: vet

# Every fuzz target, briefly (longer: make fuzz FUZZTIME=2000000x).
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# The JavaScript SDK's tests (clients/js, node --test) against a real
# bin/gateway that they build and start; needs Node.js 20 or later.
.PHONY: sdk-test
sdk-test:
	@command -v node >/dev/null 2>&1 || { echo "sdk-test needs Node.js 20 or later on PATH (.ci/run installs it)"; exit 1; }
	cd clients/js && GO=$(GO) node test/run.js

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Every bench scenario briefly against bin/gateway and bin/echo (CI runs it).
bench-smoke: build
	./scripts/bench-smoke.sh

# bench echo against cmd/echo and the peer echo servers of bench/peers
# (gorilla/websocket, lxzan/gws, lesismal/nbio), one after the other at the
# same load; prints msg/s, p99 and RSS of each and the ratio ours/theirs.
# PEER_CONNS, PEER_PAYLOADS, PEER_INFLIGHT, PEER_DURATION, PEER_ROUNDS tune it.
bench-peers: build
	cd bench/peers && $(GO) build -o ../../$(BIN)/peers/ ./cmd/...
	./scripts/bench-peers.sh

cover:
	$(GO) test -coverprofile=cover.out $(PKGS)
	$(GO) tool cover -func=cover.out | tail -1

# The product document's Python and JavaScript clients, unchanged, against
# a real gateway (needs python3-websockets and chromium; .ci/run installs them).
seed-clients: build
	./scripts/seed-clients.sh

# The dashboard in headless Chromium alone (make test runs it as well; it
# fails, not skips, without Chromium).
dashboard:
	$(GO) test -race -count=1 -run '^TestDashboardInChromium$$' -v ./gateway

# A NATS server and several gateway nodes sharing one port (-reuseport),
# chatted across by bench (see the script for NODES, PROCS, CONNS, …).
cluster-demo:
	./scripts/cluster-demo.sh

# wss:// interop: Python websockets and Node ws trusting a development CA,
# headless Chromium, and a certificate reload (file change and SIGHUP).
# Needs python3-websockets, node/npm (ws goes into node_modules/), chromium.
interop-wss: build
	./scripts/interop-wss.sh

# Independent clients against a real gateway: Python websockets, Node ws
# (npm-installed into the ignored node_modules when missing) and headless
# Chromium's WebSocket (needs python3-websockets, node/npm and chromium;
# .ci/run installs them).
interop: build
	./scripts/interop.sh

clean:
	rm -rf $(BIN) cover.out
