package engine

import (
	"bytes"
	"testing"
)

// recordEnds returns the offsets at which the records of stream end, as
// far as stream holds whole records.
func recordEnds(stream []byte) []int {
	var ends []int
	for off := 0; off+recordHeaderLen <= len(stream); {
		off += recordHeaderLen + (int(stream[off+3])<<8 | int(stream[off+4]))
		if off > len(stream) {
			break
		}
		ends = append(ends, off)
	}
	return ends
}

// cutReads reads stream through a recordCut with reads of the given sizes
// (cycled), the source offering at most avail bytes per fill, and returns
// the delivered pieces.
func cutReads(stream []byte, sizes []int, avail int) [][]byte {
	var r recordCut
	var pieces [][]byte
	src := stream
	fill := func(b []byte) int {
		n := copy(b, src[:min(len(src), avail)])
		src = src[n:]
		return n
	}
	for i := 0; len(src) > 0; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n := r.read(p, fill)
		if n == 0 {
			break
		}
		pieces = append(pieces, p[:n])
	}
	return pieces
}

// checkCut checks that pieces are stream in order and that no piece
// crosses the end of a record.
func checkCut(t *testing.T, stream []byte, pieces [][]byte) {
	t.Helper()
	if got := bytes.Join(pieces, nil); !bytes.Equal(got, stream) {
		t.Fatalf("delivered %d bytes, want the %d of the stream", len(got), len(stream))
	}
	ends := recordEnds(stream)
	off := 0
	for _, p := range pieces {
		for _, e := range ends {
			if off < e && e < off+len(p) {
				t.Fatalf("a read of [%d,%d) crosses the record end at %d", off, off+len(p), e)
			}
		}
		off += len(p)
	}
}

func TestRecordCut(t *testing.T) {
	rec := func(n int) []byte { return append([]byte{23, 3, 3, byte(n >> 8), byte(n)}, asciiPayload(n)...) }
	stream := cat(rec(0), rec(1), rec(300), rec(5), rec(16384+256), rec(2))
	for _, tc := range []struct {
		name  string
		sizes []int
		avail int
	}{
		{name: "large reads", sizes: []int{64 << 10}, avail: 1 << 30},
		{name: "crypto/tls-like reads", sizes: []int{576, 517, 1152}, avail: 1 << 30},
		{name: "one byte at a time", sizes: []int{1}, avail: 1 << 30},
		{name: "source trickles", sizes: []int{4096}, avail: 3},
		{name: "odd sizes", sizes: []int{7, 2, 13, 5}, avail: 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pieces := cutReads(stream, tc.sizes, tc.avail)
			checkCut(t, stream, pieces)
			if tc.avail > len(stream) && tc.sizes[0] > len(stream) && len(pieces) != len(recordEnds(stream)) {
				t.Fatalf("%d reads for %d records", len(pieces), len(recordEnds(stream)))
			}
		})
	}
}

func TestReframeHello(t *testing.T) {
	hello := realHello()
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{name: "one record", in: hello},
		{name: "tiny records", in: splitRecords(hello, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rest := []byte{20, 3, 3, 0, 1, 1}
			out := reframeHello(tc.in, rest)
			if !bytes.HasSuffix(out, rest) {
				t.Fatal("the bytes after the hello were lost")
			}
			out = out[:len(out)-len(rest)]
			n, err := scanHello(out)
			if err != nil || n != len(out) {
				t.Fatalf("scanHello(reframed) = %d, %v; want %d", n, err, len(out))
			}
			var payload []byte
			for off := 0; off < len(out); {
				k := int(out[off+3])<<8 | int(out[off+4])
				if k > helloFragment || out[off] != recordTypeHandshake {
					t.Fatalf("record of %d bytes, type %d", k, out[off])
				}
				payload = append(payload, out[off+recordHeaderLen:off+recordHeaderLen+k]...)
				off += recordHeaderLen + k
			}
			if !bytes.Equal(payload, hello[recordHeaderLen:]) {
				t.Fatal("the handshake message changed")
			}
		})
	}
}

// FuzzRecordCut feeds an arbitrary stream through a recordCut in pieces of
// fuzzed sizes: everything arrives, in order, and no read crosses the end
// of a record.
func FuzzRecordCut(f *testing.F) {
	f.Add(cat([]byte{23, 3, 3, 0, 3, 1, 2, 3}, []byte{23, 3, 3, 0, 0}, []byte{21, 3, 3, 0, 2, 1, 0}), uint16(3), uint16(2))
	f.Add(realHello(), uint16(576), uint16(9))
	f.Fuzz(func(t *testing.T, stream []byte, size, avail uint16) {
		pieces := cutReads(stream, []int{1 + int(size)%(1<<15), 1 + int(size)%7}, 1+int(avail))
		checkCut(t, stream, pieces)
	})
}
