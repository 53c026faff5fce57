package engine

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"testing"
)

// helloCapture is a net.Conn that keeps the client's first write (its
// ClientHello) and fails everything else.
type helloCapture struct {
	net.Conn
	hello []byte
}

func (h *helloCapture) Write(p []byte) (int, error) {
	if h.hello == nil {
		h.hello = append([]byte(nil), p...)
	}
	return len(p), nil
}

func (h *helloCapture) Read([]byte) (int, error) { return 0, errors.New("capture only") }
func (h *helloCapture) Close() error             { return nil }

// realHello is a ClientHello as Go's crypto/tls client sends it
// (post-quantum key share included), one record.
var realHello = sync.OnceValue(func() []byte {
	hc := &helloCapture{}
	_ = tls.Client(hc, &tls.Config{ServerName: "localhost", NextProtos: []string{"http/1.1"}}).Handshake()
	return hc.hello
})

// splitRecords re-frames a one-record hello into records of at most n
// bytes of handshake data each.
func splitRecords(hello []byte, n int) []byte {
	body := hello[recordHeaderLen:]
	var out []byte
	for len(body) > 0 {
		k := min(n, len(body))
		out = append(out, recordTypeHandshake, 3, 1, byte(k>>8), byte(k))
		out = append(out, body[:k]...)
		body = body[k:]
	}
	return out
}

func TestScanHello(t *testing.T) {
	hello := realHello()
	split := splitRecords(hello, 3) // even the handshake header spans records
	for _, tc := range []struct {
		name string
		in   []byte
		n    int
		err  bool
	}{
		{name: "empty", in: nil},
		{name: "one byte", in: hello[:1]},
		{name: "record header", in: hello[:recordHeaderLen]},
		{name: "all but one byte", in: hello[:len(hello)-1]},
		{name: "complete", in: hello, n: len(hello)},
		{name: "complete and more", in: append(append([]byte(nil), hello...), 23, 3, 3, 0, 5), n: len(hello)},
		{name: "tiny records, incomplete", in: split[:len(split)-1]},
		{name: "tiny records", in: split, n: len(split)},
		{name: "plain HTTP", in: []byte("GET / HTTP/1.1\r\n"), err: true},
		{name: "first byte wrong", in: []byte{0x42}, err: true},
		{name: "SSLv2 hello", in: []byte{0x80, 0x2e, 1, 3, 1}, err: true},
		{name: "bad version byte", in: []byte{22, 4}, err: true},
		{name: "empty record", in: []byte{22, 3, 1, 0, 0}, err: true},
		{name: "record too long", in: []byte{22, 3, 1, 0x40, 1}, err: true},
		{name: "not a ClientHello", in: []byte{22, 3, 1, 0, 4, 2, 0, 0, 0}, err: true},
		{name: "declared too long", in: []byte{22, 3, 1, 0, 4, 1, 0, 0x40, 1}, err: true},
		{name: "alert record", in: []byte{21, 3, 1, 0, 2, 2, 40}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := scanHello(tc.in)
			if (err != nil) != tc.err || n != tc.n {
				t.Fatalf("scanHello = %d, %v; want %d, error %v", n, err, tc.n, tc.err)
			}
		})
	}
}

// FuzzScanHello feeds input in pieces, as the loop receives it, and checks
// that the decision taken on a prefix is the one taken on the whole input.
func FuzzScanHello(f *testing.F) {
	hello := realHello()
	for _, seed := range [][]byte{hello, splitRecords(hello, 7), hello[:40], []byte("GET /"), {22, 3, 1, 0, 4, 1, 0, 0, 0}} {
		f.Add(seed, uint16(len(seed)/3), uint16(2*len(seed)/3))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut1, cut2 uint16) {
		wantN, wantErr := scanHello(in)
		if wantN < 0 || wantN > len(in) {
			t.Fatalf("scanHello(whole) = %d for %d bytes", wantN, len(in))
		}
		var buf []byte
		for _, p := range pieces(in, cut1, cut2) {
			buf = append(buf, p...)
			n, err := scanHello(buf)
			switch {
			case err != nil:
				if wantErr == nil {
					t.Fatalf("prefix of %d bytes refused (%v), whole input accepted (%d)", len(buf), err, wantN)
				}
				return
			case n > 0:
				if n != wantN || wantErr != nil {
					t.Fatalf("prefix of %d bytes: hello of %d bytes; whole input: %d, %v", len(buf), n, wantN, wantErr)
				}
				return
			}
		}
		if wantN != 0 || wantErr != nil {
			t.Fatalf("whole input gives %d, %v, but the pieces gave no decision", wantN, wantErr)
		}
	})
}
