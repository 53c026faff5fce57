package bench

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "status", in: "Name:\tgateway\nVmPeak:\t  9 kB\nVmRSS:\t   12345 kB\nThreads: 4\n", want: 12345 << 10},
		{name: "missing", in: "Name:\tx\n", wantErr: true},
		{name: "bad unit", in: "VmRSS: 5 MB\n", wantErr: true},
		{name: "bad number", in: "VmRSS: x kB\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "overflow", in: "VmRSS: 9223372036854775807 kB\n", wantErr: true},
		{name: "negative", in: "VmRSS: -5 kB\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(tc.in))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("got %d, %v", got, err)
			}
			if err != nil && !errors.Is(err, ErrNoRSS) {
				t.Fatalf("err %v is not ErrNoRSS", err)
			}
		})
	}
}

func TestReadRSSSelf(t *testing.T) {
	if rss, err := readRSS("self"); err != nil || rss <= 0 {
		t.Fatalf("readRSS(self) = %d, %v", rss, err)
	}
	if _, err := sumRSS([]int{1 << 30}); err == nil {
		t.Fatal("no error for a pid that does not exist")
	}
}

func TestMaxConns(t *testing.T) {
	for _, tc := range []struct {
		nofile uint64
		want   int
	}{
		{nofile: 0, want: 0},
		{nofile: fdReserve, want: 0},
		{nofile: 20000, want: 20000 - fdReserve},
		{nofile: 1 << 40, want: 1 << 30},
	} {
		if got := MaxConns(tc.nofile); got != tc.want {
			t.Errorf("MaxConns(%d) = %d, want %d", tc.nofile, got, tc.want)
		}
	}
}

func TestCheckFilesAndPorts(t *testing.T) {
	src, err := ParseSrc("127.0.0.2-127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	two := []string{"ws://127.0.0.1:1/", "ws://127.0.0.1:2/x", "ws://127.0.0.1:2/y"}
	for _, tc := range []struct {
		name    string
		cfg     Config
		nofile  uint64
		ports   int
		wantErr error
	}{
		{name: "fits", cfg: Config{Targets: two[:1], Conns: 100}, nofile: 20000, ports: 100},
		{name: "files", cfg: Config{Targets: two[:1], Conns: 20000}, nofile: 20000, ports: 30000, wantErr: ErrTooManyConns},
		{name: "ports one pair", cfg: Config{Targets: two[:1], Conns: 101}, nofile: 20000, ports: 100, wantErr: ErrPorts},
		{name: "ports two targets", cfg: Config{Targets: two, Conns: 200}, nofile: 20000, ports: 100},
		{name: "ports two targets short", cfg: Config{Targets: two, Conns: 201}, nofile: 20000, ports: 100, wantErr: ErrPorts},
		{name: "ports with src", cfg: Config{Targets: two, Src: src, Conns: 400}, nofile: 20000, ports: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkFiles(tc.cfg, tc.nofile)
			if err == nil {
				err = checkPorts(tc.cfg, tc.ports)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if p := ephemeralPorts(); p <= 0 {
		t.Fatalf("ephemeralPorts() = %d", p)
	}
}

// FuzzParseVmRSS feeds /proc status text in two pieces glued back together
// and checks the parser never panics and agrees with itself.
func FuzzParseVmRSS(f *testing.F) {
	f.Add([]byte("VmRSS:\t 100 kB\n"), uint8(4))
	f.Add([]byte("Name: x\nVmRSS: 9223372036854775807 kB\n"), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		c := min(int(cut), len(in))
		a, errA := parseVmRSS(in)
		b, errB := parseVmRSS(append(bytes.Clone(in[:c]), in[c:]...))
		if a != b || (errA == nil) != (errB == nil) || a < 0 || (errA == nil && a%1024 != 0) {
			t.Fatalf("%d %v vs %d %v", a, errA, b, errB)
		}
	})
}
