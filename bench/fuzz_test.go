package bench

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// childTranscript reads what a child wrote with readChild and returns one
// line per event; the last is always the end.
func childTranscript(r io.Reader) []string {
	events := make(chan kidEvent, 1024)
	go readChild(0, r, events)
	var out []string
	for ev := range events {
		switch {
		case ev.end:
			return append(out, fmt.Sprintf("end %v", ev.err != nil))
		case ev.msg != nil:
			out = append(out, fmt.Sprintf("msg %+v %q %v", ev.msg.Tick, ev.msg.Stage, ev.msg.Report != nil))
		default:
			out = append(out, "bad line")
		}
	}
	return out
}

// FuzzReadChild feeds the parent's reader of a child's output whole and in
// three pieces: the events must be the same, and the reader must end.
func FuzzReadChild(f *testing.F) {
	f.Add([]byte(`{"tick":{"connected":3,"live":3}}`+"\n"+`{"stage":"connected","at":{"live":3}}`+"\n"+`{"report":{"scenario":"echo"}}`+"\n"), uint16(5), uint16(40))
	f.Add([]byte("not json\n{\"error\":\"x\"}"), uint16(2), uint16(3))
	f.Add([]byte("\n\n{}"), uint16(0), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16) {
		a := min(int(cut1), len(data))
		b := min(max(int(cut2), a), len(data))
		whole := childTranscript(bytes.NewReader(data))
		split := childTranscript(&pieces{chunks: [][]byte{
			bytes.Clone(data[:a]), bytes.Clone(data[a:b]), bytes.Clone(data[b:]),
		}})
		if fmt.Sprint(whole) != fmt.Sprint(split) {
			t.Fatalf("whole %q\nsplit %q", whole, split)
		}
	})
}

// FuzzParseProc runs the /proc parsers on input glued from two pieces (they
// take whole files): no panic, no negative counts.
func FuzzParseProc(f *testing.F) {
	f.Add([]byte("42 (echo) S 1 42 42 0 -1 4194560 100 0 0 0 250 125 0 0"), uint8(9))
	f.Add([]byte("rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\n"), uint8(12))
	f.Add([]byte("VmRSS:\t  1234 kB\n"), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		c := min(int(cut), len(in))
		glued := append(bytes.Clone(in[:c]), in[c:]...)
		if n, err := parseCPUTicks(glued); err == nil && n < 0 {
			t.Fatalf("cpu ticks %d", n)
		}
		if r, w, err := parseSyscalls(glued); err == nil && (r < 0 || w < 0) {
			t.Fatalf("syscalls %d %d", r, w)
		}
		if rss, err := parseVmRSS(glued); err == nil && rss < 0 {
			t.Fatalf("rss %d", rss)
		}
	})
}
