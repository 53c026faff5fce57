package bench_test

import (
	"context"
	"testing"

	"github.com/imgate/gateway/bench"
	"github.com/imgate/gateway/bench/benchtest"
)

// A short room run against the gateway: every acknowledged publish reaches
// every other member of its room once and in order.
func TestGatewayRoom(t *testing.T) {
	srv := benchtest.StartGateway(t, benchtest.GatewayOptions{})
	for _, tc := range []struct {
		name              string
		rooms, publishers int
		msgRate           float64
		inflight          int
	}{
		{name: "one room, one publisher, closed loop", rooms: 1, publishers: 1, inflight: 4},
		{name: "three rooms, five publishers, paced", rooms: 3, publishers: 5, msgRate: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gatewayConfig(srv.URL, 30)
			cfg.Rooms, cfg.Publishers, cfg.MsgRate, cfg.Inflight = tc.rooms, tc.publishers, tc.msgRate, tc.inflight
			rep, err := bench.Room(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := rep.Room
			if rep.Connected != 30 || m.Published == 0 || m.Acked != m.Published || m.Foreign != 0 {
				t.Fatalf("connected %d room %+v", rep.Connected, m)
			}
			if m.Delivered != m.Expected || m.Lost != 0 || m.Duplicates != 0 || m.OutOfOrder != 0 || m.Gaps != 0 ||
				rep.Latency[bench.LatencyE2E].Count != m.Delivered {
				t.Fatalf("room %+v e2e %+v", m, rep.Latency[bench.LatencyE2E])
			}
		})
	}
}
