package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/imgate/gateway/internal/testutil"
)

// pieces splits b at two fuzzer-chosen points into three pieces (some may
// be empty), as partial reads would deliver it.
func pieces(b []byte, cut1, cut2 uint16) [][]byte {
	i := int(cut1) % (len(b) + 1)
	j := i + int(cut2)%(len(b)-i+1)
	return [][]byte{b[:i], b[i:j], b[j:]}
}

func FuzzHead(f *testing.F) {
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	for _, h := range [][]byte{
		upgradeHead("/?token=abc.def&device_id=web001&platform=web", key),
		upgradeHead("/", key, "Authorization: Bearer abc"),
		upgradeHead("/", key, "Sec-WebSocket-Protocol: gateway.v1, bearer.abc"),
		upgradeHead("/?token=a%2Fb+c&token=x", key, "Sec-WebSocket-Protocol: bearer.abc"),
		upgradeHead("/?device_id=a%20b", key),
		upgradeHead("/", key, "X-Pad: "+string(bytes.Repeat([]byte("p"), 5000))),
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		[]byte("POST / HTTP/1.0\r\n\r\n"),
		[]byte("\r\n\r\n"),
	} {
		f.Add(h, uint16(len(h)/2), uint16(3))
	}
	up := newUpgrader() // reused, as a loop reuses its upgrader
	const max = 8 << 10
	f.Fuzz(func(t *testing.T, in []byte, cut1, cut2 uint16) {
		var buf []byte
		searched := 0
		for _, p := range pieces(in, cut1, cut2) {
			buf = append(buf, p...)
			end := headEnd(buf[:min(len(buf), max+4)], searched)
			want := bytes.Index(buf[:min(len(buf), max+4)], []byte("\r\n\r\n"))
			if want >= 0 {
				want += 4
			}
			if end != want {
				t.Fatalf("headEnd searched from %d: %d, want %d", searched, end, want)
			}
			if end < 0 {
				if len(buf) > max {
					return // 431
				}
				searched = len(buf)
				continue
			}
			if end <= max {
				checkUpgrade(t, up, buf[:end])
			}
			return
		}
	})
}

// checkUpgrade runs the upgrader over head twice and checks its answer.
func checkUpgrade(t *testing.T, up *upgrader, head []byte) {
	resp, ok := up.upgrade(head)
	req, first := up.req, string(resp)
	switch {
	case ok && !bytes.HasPrefix(resp, []byte("HTTP/1.1 101 Switching Protocols\r\n")):
		t.Fatalf("success with response %q", resp)
	case !ok && !bytes.HasPrefix(resp, []byte("HTTP/1.1 4")) && !bytes.HasPrefix(resp, []byte("HTTP/1.1 5")):
		t.Fatalf("failure with response %q", resp)
	case ok && bytes.Contains(bytes.ToLower(resp), []byte("bearer")):
		t.Fatalf("response echoes a bearer entry: %q", resp)
	case ok && (!validParam([]byte(req.DeviceID)) || !validParam([]byte(req.Platform))):
		t.Fatalf("accepted device_id %q platform %q", req.DeviceID, req.Platform)
	case ok && (req.Token == "") != (req.TokenSource == TokenNone):
		t.Fatalf("token %q from %v", req.Token, req.TokenSource)
	}
	again, ok2 := up.upgrade(bytes.Clone(head))
	if ok2 != ok || string(again) != first || up.req != req {
		t.Fatalf("second run differs: %v %q %+v, first %v %q %+v", ok2, again, up.req, ok, first, req)
	}
}

func FuzzFrames(f *testing.F) {
	o := testOptions()
	o.MaxMessageSize = 4 << 10
	o.CloseTimeout = 200 * time.Millisecond
	srv := startServer(f, echoHandler{}, o)
	for _, seed := range [][]byte{
		nil,
		msg(OpText, []byte("hello")),
		cat(msg(OpBinary, asciiPayload(200)), msg(OpPing, []byte("p")), msg(OpText, []byte("€"))),
		cat(frag(false, OpText, []byte("a\xe2")), msg(OpPing, nil), frag(true, OpContinuation, []byte("\x82\xac"))),
		cat(msg(OpText, []byte("x")), closeMsg(1000, "bye"), msg(OpText, []byte("late"))),
		cframe{fin: true, op: OpText, noMask: true, payload: []byte("unmasked")}.bytes(),
		{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
		msg(OpText, []byte("bad\xff")),
		frag(true, OpContinuation, []byte("orphan")),
		msg(OpBinary, asciiPayload(5000)),
		cframe{fin: true, rsv: 4, op: OpText}.bytes(),
	} {
		f.Add(seed, uint16(len(seed)/3), uint16(len(seed)/3))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut1, cut2 uint16) {
		c := dialRaw(t, srv.Addr())
		c.send(c.request("/"))
		for _, p := range pieces(in, cut1, cut2) {
			c.trySend(p)
		}
		_ = c.tcp().CloseWrite()
		c.expectUpgrade()
		checkServerOutput(t, c)
		_ = c.nc.Close()

		probe := dialWS(t, srv.Addr(), "/")
		probe.send(msg(OpText, []byte("probe")))
		probe.expectMessage(OpText, []byte("probe"))
		_ = probe.nc.Close()
	})
}

// checkServerOutput reads what the server sends until it closes the socket
// and checks that it is well-formed: whole frames, valid text, a close
// frame with a valid code and nothing after it.
func checkServerOutput(t *testing.T, c *wsClient) {
	_ = c.nc.SetReadDeadline(time.Now().Add(testWait))
	closed := false
	for {
		f, err := readServerFrame(c.br)
		var ne net.Error
		switch {
		case errors.Is(err, io.EOF):
			return
		case testutil.IsReset(err):
			return // the server closed with input unread: output may be cut
		case errors.As(err, &ne) && ne.Timeout():
			t.Fatal("the server kept the socket open after the client's FIN")
		case err != nil:
			t.Fatalf("bad server output: %v", err)
		}
		switch {
		case closed:
			t.Fatalf("frame op %d after the close frame", f.op)
		case f.op == OpText && !utf8.Valid(f.payload):
			t.Fatalf("invalid UTF-8 in a text frame")
		case f.op == OpClose:
			closed = true
			if len(f.payload) == 1 || len(f.payload) >= 2 && !validCloseCode(binary.BigEndian.Uint16(f.payload)) {
				t.Fatalf("bad close payload % x", f.payload)
			}
		case f.op != OpText && f.op != OpBinary && f.op != OpPong && f.op != OpPing:
			t.Fatalf("server sent op %d", f.op)
		}
	}
}

func FuzzUTF8Prefix(f *testing.F) {
	for _, s := range []string{"", "hello", "a€😀é\U0010FFFF", "\xe2\x82", "ab\xff", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xc0\xaf", "€\x80", "\xf0\x9f\x98"} {
		f.Add([]byte(s), uint64(0x9E3779B97F4A7C15))
		f.Add([]byte(s), uint64(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		var frag []byte
		valid, rest := 0, data
		for rng := seed; len(rest) > 0; rng = rng*6364136223846793005 + 1442695040888963407 {
			n := min(int(rng>>59)%9, len(rest)) // 0 to 8 bytes, empty pieces included
			frag, rest = append(frag, rest[:n]...), rest[n:]
			// frag[:valid] is valid and ends on a rune boundary, so frag
			// can be completed iff frag[valid:] can.
			tail := frag[valid:]
			k, ok := validUTF8Prefix(tail)
			if !ok {
				if completable(tail) {
					t.Fatalf("refused %q, which can still become valid", tail)
				}
				if utf8.Valid(data) {
					t.Fatalf("refused valid %q at %q", data, tail)
				}
				return
			}
			if !utf8.Valid(tail[:k]) || len(tail)-k > 3 || !completable(tail[k:]) {
				t.Fatalf("validUTF8Prefix(%q) = %d, true", tail, k)
			}
			valid += k
		}
		if accepted := valid == len(frag); accepted != utf8.Valid(data) {
			t.Fatalf("%q: accepted %v, utf8.Valid %v", data, accepted, !accepted)
		}
	})
}

// completable reports whether some 0 to 3 continuation bytes make b valid
// UTF-8. The candidates cover every range a continuation byte is checked
// against (80–8F, 90–9F, A0–BF).
func completable(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	conts := []byte{0x80, 0x90, 0xA0}
	buf := append([]byte(nil), b...)
	var try func(depth int) bool
	try = func(depth int) bool {
		if depth == 0 {
			return false
		}
		for _, c := range conts {
			buf = append(buf, c)
			if utf8.Valid(buf) || try(depth-1) {
				return true
			}
			buf = buf[:len(buf)-1]
		}
		return false
	}
	return try(3)
}
