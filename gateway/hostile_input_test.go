package gateway

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/protocol"
)

// The bad clients of TestHostile that attack the handshake, the framing
// and the JSON, each with the answer PROTOCOL.md documents for it.

// hostileHeads: request heads that are too big or not HTTP.
func hostileHeads(t *testing.T, st *stack) {
	mib := strings.Repeat("a", 1<<20)
	big := strings.Repeat("t", 100_000) // a 100 KB token
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return strings.ReplaceAll(string(b), "\r\n\r\n", "")
	}
	for _, tc := range []struct {
		name   string
		head   string
		status int
	}{
		{"1 MiB head, never ending", "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + mib, http.StatusRequestHeaderFieldsTooLarge},
		{"1 MiB head, complete", upgradeHead("/", "X-Pad: "+mib), http.StatusRequestHeaderFieldsTooLarge},
		{"100 KB token in the query", upgradeHead("/?token=" + big), http.StatusRequestHeaderFieldsTooLarge},
		{"100 KB token in Authorization", upgradeHead("/", "Authorization: Bearer "+big), http.StatusRequestHeaderFieldsTooLarge},
		{"100 KB token as a subprotocol", upgradeHead("/", "Sec-WebSocket-Protocol: bearer."+big), http.StatusRequestHeaderFieldsTooLarge},
		{"16 KiB of random bytes", random(16 << 10), http.StatusRequestHeaderFieldsTooLarge},
		{"random bytes, then a blank line", random(2<<10) + "\r\n\r\n", http.StatusBadRequest},
		{"bad device_id", upgradeHead("/?device_id=%00%ff"), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc := rawDial(t, st)
			go func() { // the server may stop reading: errors are expected
				_ = nc.SetWriteDeadline(time.Now().Add(testWait))
				_, _ = nc.Write([]byte(tc.head))
			}()
			br := bufio.NewReader(nc)
			_ = nc.SetReadDeadline(time.Now().Add(testWait))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("read response: %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			testutil.ExpectEOF(t, nc, br)
		})
	}
}

// hostileFrames: frames no client may send.
func hostileFrames(t *testing.T, st *stack) {
	mask := []byte{1, 2, 3, 4}
	for _, tc := range []struct {
		name   string
		in     []byte
		tooBig bool     // a 413 response comes before the close
		codes  []uint16 // acceptable close codes
	}{
		{name: "length 2^63", in: append([]byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0}, mask...), codes: []uint16{1002}},
		{name: "length 2^64-1", in: append([]byte{0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, mask...), codes: []uint16{1002}},
		{name: "length 2^63-1", in: append([]byte{0x81, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, mask...), tooBig: true, codes: []uint16{1009}},
		{name: "unmasked text", in: []byte{0x81, 0x02, '{', '}'}, codes: []uint16{1002}},
		{name: "unmasked close", in: []byte{0x88, 0x02, 0x03, 0xE8}, codes: []uint16{1002}},
		{name: "reserved opcode", in: append([]byte{0x83, 0x80}, mask...), codes: []uint16{1002}},
		{name: "invalid UTF-8", in: maskedFrame(ws.OpText, []byte(`{"cmd_id":1003,"x":"`+"\xff"+`"}`)), codes: []uint16{1007}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := anonymous(t, st)
			if _, err := c.Conn.Write(tc.in); err != nil {
				t.Fatal(err)
			}
			if tc.tooBig {
				if r := c.Read(); r.Code != 413 || r.ErrMsg != protocol.ErrMsgMessageTooLarge {
					t.Fatalf("got %+v, want 413", r)
				}
			}
			expectCloseOf(c, tc.codes...)
		})
	}
	for seed := range uint64(20) {
		t.Run(fmt.Sprintf("random bytes, seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			in := make([]byte, 4<<10)
			for i := range in {
				in[i] = byte(rng.Uint32())
			}
			c := anonymous(t, st)
			_, _ = c.Conn.Write(in)
			expectCloseOf(c, 1002, 1007, 1009)
		})
	}
}

// hostileJSON: text messages that are not the JSON of PROTOCOL.md. Each
// gets a 400 and the connection stays usable.
func hostileJSON(t *testing.T, st *stack) {
	c := st.connectAs(t, "alice", "json1")
	deepArr := strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000)
	deepObj := strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000)
	for _, msg := range []string{
		`not json`,
		`{`,
		`{"cmd_id":1003,"seq":1,"body":}`,
		`[]`,
		`"x"`,
		`null`,
		`{"cmd_id":"1003","seq":1,"body":{}}`,
		`{"cmd_id":1003,"cmd_id":1003,"body":{}}`,
		`{"cmd_id":1003,"seq":1,"from_uid":"\q","body":{}}`,
		"{\"cmd_id\":1003,\"seq\":1,\"from_uid\":\"a\x01b\",\"body\":{}}",
		`{"cmd_id":1003,"seq":1e400,"body":{}}`,
		`{"cmd_id":1003,"seq":2,"body":` + deepArr + `}`,
		`{"cmd_id":1003,"seq":3,"body":{"a":` + deepArr + `}}`,
		`{"cmd_id":1003,"seq":4,"body":` + deepObj + `}`,
		`{"cmd_id":2001,"seq":5,"body":{"to_uid":"bob","content":` + deepArr + `}}`,
		`{"cmd_id":2001,"seq":6,"body":{"to_uid":"bob","content":` + deepObj + `}}`,
		`{"cmd_id":1003,"seq":7,"body":` + strings.Repeat("[", 10_000),
		`{"cmd_id":1003,"x":` + strings.Repeat("[", 60_000) + `}`,
	} {
		c.SendRaw(ws.OpText, []byte(msg))
		r := c.Read()
		if r.Code != 400 || !strings.HasPrefix(r.ErrMsg, protocol.ErrMsgBadRequestPrefix) || string(r.Body) != "null" {
			t.Errorf("%.60q: got %+v, want 400", msg, r)
		}
	}
	c.Send(map[string]any{"cmd_id": 1003, "seq": 99, "body": map[string]any{}})
	if r := c.Read(); r.Code != 200 || r.Seq != 99 {
		t.Fatalf("heartbeat after the bad messages: %+v", r)
	}
}

// rawDial opens a TCP connection to the gateway, closed when t ends.
func rawDial(t *testing.T, st *stack) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", st.srv.Addr().String(), testWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return nc
}

// upgradeHead is a complete upgrade request for target with extra headers.
func upgradeHead(target string, headers ...string) string {
	h := "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, x := range headers {
		h += x + "\r\n"
	}
	return h + "\r\n"
}

// anonymous connects without a token and reads the first frame.
func anonymous(t *testing.T, st *stack) *testutil.Client {
	t.Helper()
	c := testutil.Dial(t, st.url)
	if r := c.Read(); r.Code != 200 {
		t.Fatalf("first frame %+v", r)
	}
	return c
}

// expectCloseOf expects the server's close frame with one of codes,
// answers it, and expects the server to close the connection.
func expectCloseOf(c *testutil.Client, codes ...uint16) {
	c.T.Helper()
	code := c.ExpectClose()
	ok := false
	for _, want := range codes {
		ok = ok || code == want
	}
	if !ok {
		c.T.Fatalf("close code %d, want one of %v", code, codes)
	}
	_ = wsutil.WriteClientMessage(c.Conn, ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(code), ""))
	c.ExpectEOF()
}

// maskedFrame is a masked FIN client frame.
func maskedFrame(op ws.OpCode, p []byte) []byte {
	f := ws.NewFrame(op, true, append([]byte(nil), p...))
	f = ws.MaskFrameInPlace(f)
	b, err := ws.CompileFrame(f)
	if err != nil {
		panic(err)
	}
	return b
}
