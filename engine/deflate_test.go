package engine

import (
	"bytes"
	"runtime"
	"testing"
	"unsafe"

	"github.com/imgate/gateway/engine/wsframe"
)

// dialDeflate dials srv offering permessage-deflate and returns the client
// and whether the server accepted.
func dialDeflate(t *testing.T, srv *testServer, offer string) (*wsClient, bool) {
	t.Helper()
	c := dialRaw(t, srv.Addr())
	c.send(c.request("/", "Sec-WebSocket-Extensions: "+offer))
	resp := c.expectUpgrade()
	c.deflate = resp.Header.Get("Sec-WebSocket-Extensions") != ""
	return c, c.deflate
}

// The extension is declined unless Options.Compression is on, and RSV1 then
// fails 1002 as before.
func TestDeflateOffByDefault(t *testing.T) {
	rec := newRecorder(true)
	srv := startServer(t, rec, testOptions())
	c, ok := dialDeflate(t, srv, "permessage-deflate; client_max_window_bits")
	if ok {
		t.Fatal("compression negotiated with Options.Compression off")
	}
	sc, _ := rec.nextOpen(t)
	if sc.Compressed() {
		t.Fatal("Conn.Compressed on a connection that did not negotiate")
	}
	c.send(zmsg(OpText, []byte("hello")))
	c.expectClose(CloseProtocolError)
}

// SendFrame: one compression for every recipient that negotiated, the
// plain frame for the others and for payloads under CompressionMinSize.
func TestSendFrameCompressesOnce(t *testing.T) {
	rec := newRecorder(false)
	o := testOptions()
	o.Compression, o.CompressionMinSize = true, 100
	srv := startServer(t, rec, o)
	var clients []*wsClient
	var conns []*Conn
	for _, offer := range []string{"permessage-deflate", "x-other", "permessage-deflate; client_max_window_bits", "permessage-deflate"} {
		c, _ := dialDeflate(t, srv, offer)
		sc, _ := rec.nextOpen(t)
		clients, conns = append(clients, c), append(conns, sc)
	}
	big, small := chatJSON(1000), chatJSON(99)
	fBig := wsframe.New(TextFrame(big))
	fSmall := wsframe.New(TextFrame(small))
	before := wsframe.Compressions()
	for _, sc := range conns {
		if !sc.SendFrame(fBig) || !sc.SendFrame(fSmall) {
			t.Fatal("SendFrame refused")
		}
	}
	if n := wsframe.Compressions() - before; n != 1 {
		t.Fatalf("%d compressions for one frame sent to 3 compressing connections, want 1", n)
	}
	for i, c := range clients {
		f := c.mustFrame()
		if compressed := f.rsv == 4; compressed != c.deflate {
			t.Fatalf("client %d (deflate %v): RSV %d", i, c.deflate, f.rsv)
		}
		if !bytes.Equal(f.payload, big) {
			t.Fatalf("client %d: wrong payload", i)
		}
		if f = c.mustFrame(); f.rsv != 0 || !bytes.Equal(f.payload, small) {
			t.Fatalf("client %d: the small message came with RSV %d", i, f.rsv)
		}
	}
	if z := fBig.Deflated(); len(z) >= len(fBig.Plain()) || z[0] != 0xC1 {
		t.Fatalf("compressed frame %d bytes (plain %d), first byte %#x", len(z), len(fBig.Plain()), z[0])
	}
}

// A bomb (10 MiB of zeros in ~10 KB) stops at the limit: 1009 without
// holding more than about the limit.
func TestInflateBombAllocation(t *testing.T) {
	bomb := wsframe.Compress(nil, make([]byte, 10<<20))
	if len(bomb) > 20<<10 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	const limit = 64 << 10
	var in inflater
	in.inflate(wsframe.Compress(nil, []byte("warm up")), true, limit) // the flate reader itself
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, code, _ := in.inflate(bomb, false, limit)
	runtime.ReadMemStats(&m1)
	if code != CloseTooBig {
		t.Fatalf("code %d, want 1009", code)
	}
	if got := m1.TotalAlloc - m0.TotalAlloc; got > 4*limit {
		t.Fatalf("inflating the bomb allocated %d bytes; the limit is %d", got, limit)
	}
	if _, code, _ = in.inflate(wsframe.Compress(nil, make([]byte, limit)), false, limit); code != 0 {
		t.Fatalf("a message of exactly the limit: code %d", code)
	}
}

// Text is checked as it inflates: invalid UTF-8 at the start of a large
// message fails before the rest is inflated.
func TestInflateUTF8FailFast(t *testing.T) {
	var in inflater
	p := append([]byte{'a', 0xff}, bytes.Repeat([]byte("x"), 1<<20)...)
	_, code, _ := in.inflate(wsframe.Compress(nil, p), true, 2<<20)
	if code != CloseInvalidData {
		t.Fatalf("code %d, want 1007", code)
	}
	if cap(in.out) >= 1<<20 {
		t.Fatalf("inflated %d bytes before failing", cap(in.out))
	}
	// A rune split across the inflater's reads is fine.
	p = bytes.Repeat([]byte("今天"), 100000)
	msg, code, _ := in.inflate(wsframe.Compress(nil, p), true, 2<<20)
	if code != 0 || !bytes.Equal(msg, p) {
		t.Fatalf("code %d, %d bytes", code, len(msg))
	}
}

// The negotiated state costs no memory: Conn.pmd shares the word of
// scheduled, closeReq and closed, which had a byte of padding (fragZ is in
// connRare, with the fragments).
func TestDeflateStateInPadding(t *testing.T) {
	var c Conn
	if unsafe.Offsetof(c.pmd)/8 != unsafe.Offsetof(c.scheduled)/8 || unsafe.Offsetof(c.closeMsg) != unsafe.Offsetof(c.scheduled)+8 {
		t.Fatalf("Conn.pmd at %d, scheduled at %d, closeMsg at %d: pmd no longer sits in padding",
			unsafe.Offsetof(c.pmd), unsafe.Offsetof(c.scheduled), unsafe.Offsetof(c.closeMsg))
	}
}
