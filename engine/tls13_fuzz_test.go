package engine

import (
	"bytes"
	"testing"
)

// fuzzSecret keys both ends of FuzzTLS13Records (client write = server
// read).
var fuzzSecret = bytes.Repeat([]byte{0x5a}, 32)

// fuzzServer returns a server-side tlsConn on the record layer, keyed with
// fuzzSecret, on a loop of its own (only its scratch buffers are used).
func fuzzServer(t *testing.T) *tlsConn {
	t.Helper()
	s := &tls13Suites[0]
	r := &tls13Records{}
	if err := r.in.setSecret(s, fuzzSecret); err != nil {
		t.Fatal(err)
	}
	if err := r.out.setSecret(s, fuzzSecret); err != nil {
		t.Fatal(err)
	}
	return &tlsConn{c: &Conn{loop: &loop{}}, rl: r, state: tlsOpen}
}

// sealChunks turns data into a client's record stream: each chunk is a
// content type byte, a length byte and that much content (cut short at
// the end of data), sealed as one record. A KeyUpdate the client sends
// switches its write key after the record, as the server's read key
// must. It returns the stream and the application data it carries.
func sealChunks(t *testing.T, data []byte) (stream, app []byte) {
	t.Helper()
	var peer tls13Half
	if err := peer.setSecret(&tls13Suites[0], fuzzSecret); err != nil {
		t.Fatal(err)
	}
	var nb [12]byte
	for len(data) >= 2 {
		typ, n := data[0], min(int(data[1]), len(data)-2)
		content := data[2 : 2+n]
		data = data[2+n:]
		stream = peer.seal(stream, typ, content, &nb)
		// What the receiver sees: zeros at the end are padding, so a
		// content type of 0 takes the last non-zero byte as the type.
		content, typ = innerType(append(append([]byte(nil), content...), typ))
		switch {
		case typ == recordTypeAppData:
			app = append(app, content...)
		case typ == recordTypeHandshake && len(content) == 5 && content[0] == typeKeyUpdate:
			if err := peer.update(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return stream, app
}

// openSplit feeds in to a fresh server in two pieces, cut at split, as
// partial reads arrive, keeping what a piece leaves of a record for the
// next. It returns the application data and the result.
func openSplit(t *testing.T, in []byte, split int) ([]byte, recResult) {
	t.Helper()
	srv := fuzzServer(t)
	split = min(max(split, 0), len(in))
	var buf, pending []byte
	res := recOK
	for _, piece := range [][]byte{in[:split], in[split:]} {
		pending = append(pending, piece...)
		for res == recOK {
			var used int
			var full bool
			buf, used, res, full = srv.openRecords(buf, pending)
			if used < 0 || used > len(pending) {
				t.Fatalf("used %d of %d bytes", used, len(pending))
			}
			pending = pending[used:]
			if !full {
				break
			}
		}
	}
	return buf, res
}

// FuzzTLS13Records feeds the record layer's parser records sealed from
// arbitrary content (any content type, padding, alerts, KeyUpdates) and
// arbitrary bytes, each whole and cut in two: it must not panic, a cut
// must not change what comes out, and the application data it delivers
// is a prefix of what was sent.
func FuzzTLS13Records(f *testing.F) {
	f.Add([]byte("\x17\x05hello\x17\x00\x15\x02\x01\x5a\x17\x01x"), 9)
	f.Add([]byte("\x16\x05\x18\x00\x00\x01\x01\x17\x03abc"), 7)
	f.Add([]byte("\x16\x05\x18\x00\x00\x01\x00\x17\x03abc\x15\x02\x01\x00"), 30)
	f.Add([]byte("\x14\x01\x01\x00\x04\x00\x00\x00\x00"), 4)
	f.Add([]byte("\x17\x03\x03\x00\x11\x00"), 2)
	f.Add([]byte("\x00\x02x\x17"), 1) // content type 0: the last non-zero byte is the type
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		stream, app := sealChunks(t, data)
		whole, res := openSplit(t, stream, len(stream))
		cut, resCut := openSplit(t, stream, split)
		if !bytes.Equal(whole, cut) || res != resCut {
			t.Fatalf("cut at %d: %d bytes (result %d), whole: %d bytes (result %d)", split, len(cut), resCut, len(whole), res)
		}
		if !bytes.HasPrefix(app, whole) {
			t.Fatalf("delivered %q, not a prefix of the %q sent", whole, app)
		}
		openSplit(t, data, split) // arbitrary bytes: alerts, never a panic
	})
}
