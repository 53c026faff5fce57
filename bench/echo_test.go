package bench

import (
	"context"
	"testing"
	"time"
)

func TestEcho(t *testing.T) {
	for _, tc := range []struct {
		name     string
		srv      *testServer
		hello    bool
		payload  int
		binary   bool
		inflight int
		wantRTT  bool
	}{
		{name: "text after hello", srv: &testServer{}, hello: true, payload: 100, inflight: 4, wantRTT: true},
		{name: "binary plain echo server", srv: &testServer{noHello: true}, payload: 1 << 16, binary: true, inflight: 2, wantRTT: true},
		{name: "tiny payload, no rtt", srv: &testServer{noHello: true}, payload: 8, inflight: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv.start(t)
			cfg := Config{
				Targets:  []string{srv.url},
				Conns:    3,
				Duration: 300 * time.Millisecond,
				Hello:    tc.hello,
				Payload:  tc.payload,
				Binary:   tc.binary,
				Inflight: tc.inflight,
			}
			rep, err := Echo(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			e := rep.Echo
			if rep.Connected != 3 || e == nil || e.Messages == 0 || e.Unexpected != 0 || len(rep.Drops) != 0 {
				t.Fatalf("connected %d echo %+v drops %v", rep.Connected, e, rep.Drops)
			}
			if rtt := rep.Latency[LatencyRTT]; (rtt.Count > 0) != tc.wantRTT || rtt.Count > e.Messages {
				t.Fatalf("rtt %+v for %d messages", rtt, e.Messages)
			}
		})
	}
}

func TestEchoCountsHelloAsUnexpectedWithoutHelloFlag(t *testing.T) {
	srv := (&testServer{}).start(t)
	rep, err := Echo(context.Background(), Config{Targets: []string{srv.url}, Conns: 2, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Echo.Unexpected != 2 {
		t.Fatalf("unexpected %d, want 2 (the first frames)", rep.Echo.Unexpected)
	}
}

func TestEchoStamp(t *testing.T) {
	e := &echoRun{epoch: time.Now().Add(-time.Hour)}
	p := make([]byte, 40)
	e.stamp(p)
	got, ok := e.sentAt(p)
	if !ok || got < time.Hour || got > 2*time.Hour {
		t.Fatalf("sentAt = %v, %v", got, ok)
	}
	if _, ok := e.sentAt(p[:stampLen-1]); ok {
		t.Fatal("short payload accepted")
	}
	p[3] = 'z'
	if _, ok := e.sentAt(p); ok {
		t.Fatal("bad hex accepted")
	}
}
