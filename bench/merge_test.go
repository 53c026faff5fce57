package bench

import (
	"errors"
	"testing"
	"time"
)

// recorded returns a recorder holding values µs.
func recorded(values ...int64) *recorder {
	r := newRecorder()
	for i, v := range values {
		r.record(i, time.Duration(v)*time.Microsecond)
	}
	return r
}

func TestHistogramEncodeDecode(t *testing.T) {
	h := recorded(1, 50, 700, 12_000, 999_999, 59_000_000).merged()
	enc, err := encodeHist(h)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeHist(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equals(h) {
		t.Fatalf("decoded %v, want %v", summarize(got), summarize(h))
	}
	if _, err := decodeHist("not base64!"); !errors.Is(err, ErrBadHistogram) {
		t.Fatalf("err = %v, want ErrBadHistogram", err)
	}
}

// TestMergeHistograms checks that merged percentiles are those of all the
// values together, not averages of the parts' percentiles.
func TestMergeHistograms(t *testing.T) {
	var a, b, all []int64
	for v := int64(1); v <= 1000; v++ {
		a = append(a, v)             // 1..1000 µs
		b = append(b, 100_000+v*100) // 100.1..200 ms
	}
	b = b[:100] // a: 1000 fast values, b: 100 slow ones
	all = append(append(all, a...), b...)
	part := func(vals []int64, conns int64) *Report {
		r := &Report{Scenario: "echo", Connected: conns, Requested: int(conns), ConnectSeconds: float64(conns),
			Echo: &EchoReport{Messages: int64(len(vals)), Rate: float64(len(vals))}}
		r.addLatency(LatencyRTT, recorded(vals...))
		return r
	}
	want := recorded(all...).summary()
	got, err := Merge([]*Report{part(a, 3), part(b, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Latency[LatencyRTT] != want {
		t.Fatalf("merged %+v, want %+v", got.Latency[LatencyRTT], want)
	}
	if got.Latency[LatencyRTT].P99 < 100_000 {
		t.Fatalf("p99 %d: the slow part was averaged away", got.Latency[LatencyRTT].P99)
	}
	if got.Connected != 8 || got.Requested != 8 || got.ConnectSeconds != 5 || got.ConnectRate != 8.0/5 ||
		got.Echo.Messages != 1100 || got.Echo.Rate != 1100 {
		t.Fatalf("counts %+v echo %+v", got, got.Echo)
	}
	if got.Histograms[LatencyRTT] == "" {
		t.Fatal("merged report lost its histogram")
	}
}

func TestMergeCounts(t *testing.T) {
	t0 := time.Now()
	a := &Report{Scenario: "chat", Started: t0.Add(time.Second), Connected: 2, Errors: map[string]int64{"refused": 1},
		Chat:   &ChatReport{Sent: 10, Acked: 10, Delivered: 4, AckErrors: map[string]int64{"code 429": 1}},
		Memory: &MemoryReport{ClientBefore: 100, ClientAfter: 300}, Notes: []string{"x"},
		Client: &Load{Seconds: 2, CPUSeconds: 1, ReadSyscalls: 10, WriteSyscalls: 5, Messages: 4}}
	b := &Report{Scenario: "chat", Started: t0, Connected: 2, Errors: map[string]int64{"refused": 2, "timeout": 1},
		Chat:   &ChatReport{Sent: 5, Acked: 5, Delivered: 11, Duplicates: 1},
		Memory: &MemoryReport{ClientBefore: 100, ClientAfter: 500}, Interrupted: true,
		Client: &Load{Seconds: 3, CPUSeconds: 2, ReadSyscalls: 10, WriteSyscalls: 5, Messages: 11}}
	got, err := Merge([]*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Chat
	switch {
	case !got.Started.Equal(t0), !got.Interrupted, got.Connected != 4:
		t.Fatalf("report %+v", got)
	case got.Errors["refused"] != 3 || got.Errors["timeout"] != 1:
		t.Fatalf("errors %v", got.Errors)
	case c.Sent != 15 || c.Acked != 15 || c.Delivered != 15 || c.Lost != 0 || c.Duplicates != 1 || c.AckErrors["code 429"] != 1:
		// Acks and deliveries of one message are in different processes:
		// loss is only known after the merge.
		t.Fatalf("chat %+v", c)
	case got.Memory.ClientPerConn != 150:
		t.Fatalf("memory %+v", got.Memory)
	case *got.Client != Load{Seconds: 3, CPUSeconds: 3, ReadSyscalls: 20, WriteSyscalls: 10, Messages: 15,
		SyscallsPerMsg: 2, MsgsPerCPUSec: 5, CoresUsed: 1}:
		// Client load: both processes' CPU and syscalls, per merged message.
		t.Fatalf("client load %+v", got.Client)
	case len(got.Notes) != 1 || got.Notes[0] != "report 1: x":
		t.Fatalf("notes %q", got.Notes)
	}
	if a.Chat.Sent != 10 || a.Errors["refused"] != 1 || a.Client.CPUSeconds != 1 {
		t.Fatal("Merge modified its input")
	}
}

func TestMergeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		reps []*Report
		want error
	}{
		{name: "none", want: ErrMerge},
		{name: "scenarios differ", reps: []*Report{{Scenario: "echo"}, {Scenario: "chat"}}, want: ErrMerge},
		{name: "bad histogram", reps: []*Report{{Scenario: "echo", Histograms: map[string]string{"rtt": "%%%"}}}, want: ErrBadHistogram},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Merge(tc.reps); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestShard(t *testing.T) {
	base := Config{Targets: []string{"ws://h:1/"}, Conns: 10, FirstUser: 100, Rate: 1000,
		ServerPIDs: []int{1}, StatsURL: "http://h/stats"}
	var total, next int
	for k := range 3 {
		s, err := base.Shard(k, 3)
		if err != nil {
			t.Fatal(err)
		}
		if s.FirstConn != next || s.FirstUser != 100+next || s.PeerUsers != 10 || s.ServerPIDs != nil || s.StatsURL != "" {
			t.Fatalf("shard %d: %+v", k, s)
		}
		if want := 1000 * float64(s.Conns) / 10; s.Rate != want {
			t.Fatalf("shard %d rate %v, want %v", k, s.Rate, want)
		}
		total, next = total+s.Conns, next+s.Conns
	}
	if total != 10 {
		t.Fatalf("shards hold %d connections, want 10", total)
	}
	for _, tc := range []struct{ k, n int }{{k: 0, n: 0}, {k: 3, n: 3}, {k: -1, n: 2}, {k: 0, n: 11}} {
		if _, err := base.Shard(tc.k, tc.n); !errors.Is(err, ErrBadConfig) {
			t.Errorf("Shard(%d, %d) err = %v, want ErrBadConfig", tc.k, tc.n, err)
		}
	}
}
