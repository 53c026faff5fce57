package bench

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseCPUTicks(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want int64
		err  error
	}{
		{name: "plain", in: "42 (echo) S 1 42 42 0 -1 4194560 100 0 0 0 250 125 0 0 20 0 4 0 7 1 2 3", want: 375},
		{name: "spaces and parens in comm", in: "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", want: 7},
		{name: "short", in: "7 (x) R 1 2", err: ErrProcFormat},
		{name: "no comm", in: "7 x R", err: ErrProcFormat},
		{name: "not a number", in: "7 (x) R 1 7 7 0 -1 0 0 0 0 0 u 4 0 0", err: ErrProcFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCPUTicks([]byte(tc.in))
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("got %d, %v; want %d, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseSyscalls(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		r, w int64
		err  error
	}{
		{name: "proc io", in: "rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\nread_bytes: 0\n", r: 3, w: 4},
		{name: "missing syscw", in: "syscr: 3\n", err: ErrProcFormat},
		{name: "garbage", in: "syscr: x\nsyscw: 4\n", err: ErrProcFormat},
		{name: "negative", in: "syscr: -3\nsyscw: 4\n", err: ErrProcFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := parseSyscalls([]byte(tc.in))
			if !errors.Is(err, tc.err) || r != tc.r || w != tc.w {
				t.Fatalf("got %d %d %v", r, w, err)
			}
		})
	}
}

func TestServerLoad(t *testing.T) {
	a := procSample{at: 0, cpuTicks: 100, syscr: 10, syscw: 20, rss: 1 << 20}
	b := procSample{at: int64(2 * time.Second), cpuTicks: 250, syscr: 110, syscw: 120, rss: 2 << 20}
	l := serverLoad(a, b, 400)
	if l.Seconds != 2 || l.CPUSeconds != 1.5 || l.CoresUsed != 0.75 || l.SyscallsPerMsg != 0.5 ||
		l.MsgsPerCPUSec != 400/1.5 || l.RSSStart != 1<<20 || l.RSSEnd != 2<<20 || l.Error != "" {
		t.Fatalf("%+v", l)
	}
	self := sampleProcs([]int{os.Getpid()}, 1)
	if self.err != nil || self.rss == 0 || self.syscr == 0 {
		t.Fatalf("sample of this process: %+v", self)
	}
	if gone := sampleProcs([]int{1 << 30}, 1); gone.err == nil {
		t.Fatal("no error for a pid that does not exist")
	}
}
