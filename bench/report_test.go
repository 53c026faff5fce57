package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestFmtMicros(t *testing.T) {
	for _, tc := range []struct {
		us   float64
		want string
	}{
		{us: 0, want: "0µs"},
		{us: 999, want: "999µs"},
		{us: 999.6, want: "1.00ms"},
		{us: 1234, want: "1.23ms"},
		{us: 12345, want: "12.3ms"},
		{us: 123456, want: "123ms"},
		{us: 999_499, want: "999ms"},
		{us: 999_600, want: "1.00s"},
		{us: 61e6, want: "61.0s"},
	} {
		if got := fmtMicros(tc.us); got != tc.want {
			t.Errorf("fmtMicros(%v) = %q, want %q", tc.us, got, tc.want)
		}
	}
}

func TestFmtBytes(t *testing.T) {
	for _, tc := range []struct {
		b    float64
		want string
	}{
		{b: 0, want: "0 B"},
		{b: 1023, want: "1023 B"},
		{b: 8 << 10, want: "8.0 KiB"},
		{b: 1.5 * (1 << 20), want: "1.5 MiB"},
		{b: 3 << 30, want: "3.00 GiB"},
		{b: -2048, want: "-2.0 KiB"},
	} {
		if got := fmtBytes(tc.b); got != tc.want {
			t.Errorf("fmtBytes(%v) = %q, want %q", tc.b, got, tc.want)
		}
	}
}

func TestKinds(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   map[string]int64
		want string
	}{
		{name: "empty", in: nil, want: ""},
		{name: "by count then name", in: map[string]int64{"timeout": 2, "refused": 5, "401": 2},
			want: "refused 5, 401 2, timeout 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kinds(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRecorderSummary(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []time.Duration
		want   Summary
	}{
		{name: "empty", want: Summary{}},
		{name: "one", values: []time.Duration{1500 * time.Microsecond},
			want: Summary{Count: 1, Min: 1500, Mean: 1500, P50: 1500, P90: 1500, P99: 1500, P999: 1500, Max: 1500}},
		{name: "clamped", values: []time.Duration{-time.Second, 2 * time.Hour},
			want: Summary{Count: 2, Min: 0, Mean: 30_000_000, P50: 0, P90: 60_000_000, P99: 60_000_000, P999: 60_000_000, Max: 60_000_000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			for i, v := range tc.values {
				r.record(i, v)
			}
			got := r.summary()
			// HdrHistogram keeps three significant digits: compare within 0.1%.
			for _, pair := range [][2]float64{
				{float64(got.Count), float64(tc.want.Count)}, {float64(got.Min), float64(tc.want.Min)},
				{got.Mean, tc.want.Mean}, {float64(got.P50), float64(tc.want.P50)},
				{float64(got.P99), float64(tc.want.P99)}, {float64(got.Max), float64(tc.want.Max)},
			} {
				if d := pair[0] - pair[1]; d > pair[1]/1000+1 || -d > pair[1]/1000+1 {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
			}
		})
	}
}

func TestRecorderPercentiles(t *testing.T) {
	var r recorder
	for i := 1; i <= 1000; i++ {
		r.record(i, time.Duration(i)*time.Microsecond)
	}
	s := r.summary()
	for _, tc := range []struct {
		name      string
		got, want int64
	}{
		{name: "count", got: s.Count, want: 1000},
		{name: "p50", got: s.P50, want: 500},
		{name: "p90", got: s.P90, want: 900},
		{name: "p99", got: s.P99, want: 990},
		{name: "p999", got: s.P999, want: 999},
		{name: "max", got: s.Max, want: 1000},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

func sampleReport() *Report {
	return &Report{
		Scenario: "idle", Targets: []string{"ws://127.0.0.1:8080/"}, Auth: "query",
		Requested: 100, Connected: 97, Failed: 3, ConnectSeconds: 0.5, ConnectRate: 194,
		Errors:      map[string]int64{"refused": 2, "401": 1},
		Drops:       map[string]int64{"close 1001": 1},
		HoldSeconds: 10, Pings: 97,
		Latency: map[string]Summary{
			LatencyAuth: {Count: 97, Min: 100, Mean: 250, P50: 200, P90: 400, P99: 900, P999: 1500, Max: 2000},
		},
		Memory: &MemoryReport{ServerBefore: 10 << 20, ServerAfter: 11 << 20, ServerEnd: 11 << 20,
			ServerPerConn: 10810, ClientBefore: 5 << 20, ClientAfter: 6 << 20, ClientPerConn: 10810},
		Stats: &StatsReport{URL: "http://x/stats", After: json.RawMessage(`{"conns":97}`),
			Deltas: []StatDelta{{Key: "conns", Before: 0, After: 97, PerConn: 1}}},
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"idle → ws://127.0.0.1:8080/ (auth query)",
		"100 requested, 97 connected, 3 failed, 0 not started in 0.50s (194/s)",
		"refused 2, 401 1",
		"close 1001 1",
		"10.00s, 97 pings answered",
		"10.0 MiB → 11.0 MiB (10.6 KiB/conn), at end 11.0 MiB",
		"stats conns",
		"0 → 97 (+1/conn)",
		"p99.9",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	var authRow string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "auth") {
			authRow = strings.Join(strings.Fields(line), " ")
		}
	}
	if authRow != "auth 97 100µs 250µs 200µs 400µs 900µs 1.50ms 2.00ms" {
		t.Errorf("auth row %q", authRow)
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Connected != 97 || back.Latency[LatencyAuth].P999 != 1500 || back.Stats.Deltas[0].PerConn != 1 ||
		back.Memory.ServerPerConn != 10810 {
		t.Fatalf("round trip lost data: %+v", back)
	}
}

func TestStatDeltas(t *testing.T) {
	before := []byte(`{"conns":1,"mem":{"heap":1000,"name":"x"},"gone":5,"same":3}`)
	after := []byte(`{"conns":11,"mem":{"heap":3000,"name":"y"},"new":1,"same":3}`)
	got := statDeltas(before, after, 10)
	want := []StatDelta{
		{Key: "conns", Before: 1, After: 11, PerConn: 1},
		{Key: "mem.heap", Before: 1000, After: 3000, PerConn: 200},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("delta %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if d := statDeltas([]byte("# not json"), after, 10); d != nil {
		t.Errorf("non-JSON gave %+v", d)
	}
}

func TestRawJSON(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{in: "{ \"a\" : 1 }\n", want: `{"a":1}`},
		{in: "gateway_conns 5\n", want: `"gateway_conns 5\n"`},
	} {
		if got := string(rawJSON([]byte(tc.in))); got != tc.want {
			t.Errorf("rawJSON(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
