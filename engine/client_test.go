package engine

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// wsClient is a raw test client: it sends any bytes in any segmentation
// and reads server frames with a deadline.
type wsClient struct {
	t     testing.TB
	nc    net.Conn
	br    *bufio.Reader
	key   string // Sec-WebSocket-Key of the last request built
	pings bool   // readFrame returns server pings instead of skipping them
	// deflate: permessage-deflate was negotiated, so readFrame accepts
	// RSV1 on data frames and inflates them (rsv stays 4 to show it).
	deflate bool
}

// dialRaw opens a TCP connection (TCP_NODELAY) to addr, closed when the
// test ends.
func dialRaw(t testing.TB, addr net.Addr) *wsClient {
	t.Helper()
	d := net.Dialer{Timeout: testWait}
	nc, err := d.Dial("tcp", addr.String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	tc := nc.(*net.TCPConn)
	if err := tc.SetNoDelay(true); err != nil {
		t.Fatalf("TCP_NODELAY: %v", err)
	}
	t.Cleanup(func() { _ = tc.Close() })
	return &wsClient{t: t, nc: tc, br: bufio.NewReaderSize(tc, 64<<10)}
}

// tcp is the client's TCP connection (a plain client's only connection).
func (c *wsClient) tcp() *net.TCPConn { return c.nc.(*net.TCPConn) }

// dialWS dials and upgrades with target (path and query) and extra header
// lines, failing the test unless the answer is 101.
func dialWS(t testing.TB, addr net.Addr, target string, headers ...string) *wsClient {
	t.Helper()
	c := dialRaw(t, addr)
	c.send(c.request(target, headers...))
	c.expectUpgrade()
	return c
}

// request builds an upgrade request head for target with a fresh key.
func (c *wsClient) request(target string, headers ...string) []byte {
	var k [16]byte
	_, _ = rand.Read(k[:])
	c.key = base64.StdEncoding.EncodeToString(k[:])
	return upgradeHead(target, c.key, headers...)
}

// upgradeHead returns a complete upgrade request head.
func upgradeHead(target, key string, headers ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", target)
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", key)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// acceptFor is the Sec-WebSocket-Accept value for key (RFC 6455 §4.2.2).
func acceptFor(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// send writes b in one Write.
func (c *wsClient) send(b []byte) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(testWait))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// sendChunks writes b n bytes per Write (one TCP segment each, NODELAY).
func (c *wsClient) sendChunks(b []byte, n int) {
	c.t.Helper()
	for len(b) > 0 {
		k := min(n, len(b))
		c.send(b[:k])
		b = b[k:]
	}
}

// trySend writes b, ignoring errors (the server may have closed already).
func (c *wsClient) trySend(b []byte) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(testWait))
	_, _ = c.nc.Write(b)
}

// readResponse reads an HTTP response head (and body, if any).
func (c *wsClient) readResponse() *http.Response {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(testWait))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	_ = resp.Body.Close()
	return resp
}

// expectUpgrade reads a 101 response and checks its accept key.
func (c *wsClient) expectUpgrade() *http.Response {
	c.t.Helper()
	resp := c.readResponse()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), acceptFor(c.key); got != want {
		c.t.Fatalf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	return resp
}

// expectStatus reads an HTTP error response and then EOF.
func (c *wsClient) expectStatus(status int) *http.Response {
	c.t.Helper()
	resp := c.readResponse()
	if resp.StatusCode != status {
		c.t.Fatalf("status %d, want %d", resp.StatusCode, status)
	}
	c.expectEOF()
	return resp
}

// wsFrame is a frame as read from the server or built for it.
type wsFrame struct {
	fin     bool
	rsv     byte // the three RSV bits, RSV1 highest
	op      OpCode
	payload []byte
}

// readFrame reads the next server frame, skipping pings unless c.pings,
// and checks the server's framing rules: unmasked, RSV clear, FIN set
// (the server never fragments), minimal length encoding.
func (c *wsClient) readFrame() (wsFrame, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(testWait))
	for {
		f, err := readServerFrame(c.br)
		if err != nil {
			return f, err
		}
		if f.op == OpPing && !c.pings {
			continue
		}
		if f.rsv != 0 {
			return f, c.inflateFrame(&f)
		}
		return f, nil
	}
}

// readServerFrame reads one server frame from r and checks its framing.
func readServerFrame(r io.Reader) (wsFrame, error) {
	var h [10]byte
	if _, err := io.ReadFull(r, h[:2]); err != nil {
		return wsFrame{}, err
	}
	f := wsFrame{fin: h[0]&0x80 != 0, rsv: h[0] >> 4 & 7, op: OpCode(h[0] & 0xF)}
	if h[1]&0x80 != 0 || f.rsv&3 != 0 || !f.fin {
		return f, fmt.Errorf("bad server frame header % x", h[:2])
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		if _, err := io.ReadFull(r, h[2:4]); err != nil {
			return f, err
		}
		if n = uint64(binary.BigEndian.Uint16(h[2:4])); n < 126 {
			return f, fmt.Errorf("non-minimal 16-bit length %d", n)
		}
	case 127:
		if _, err := io.ReadFull(r, h[2:10]); err != nil {
			return f, err
		}
		if n = binary.BigEndian.Uint64(h[2:10]); n <= 0xFFFF || n>>63 != 0 {
			return f, fmt.Errorf("bad 64-bit length %d", n)
		}
	}
	if n > 64<<20 {
		return f, fmt.Errorf("server frame of %d bytes", n)
	}
	f.payload = make([]byte, n)
	_, err := io.ReadFull(r, f.payload)
	return f, err
}

// mustFrame reads the next frame or fails the test.
func (c *wsClient) mustFrame() wsFrame {
	c.t.Helper()
	f, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	return f
}

// expectMessage reads the next frame and checks its opcode and payload.
func (c *wsClient) expectMessage(op OpCode, payload []byte) {
	c.t.Helper()
	f := c.mustFrame()
	if f.op != op || string(f.payload) != string(payload) {
		c.t.Fatalf("got op %d payload %d bytes %.40q, want op %d %d bytes %.40q",
			f.op, len(f.payload), f.payload, op, len(payload), payload)
	}
}

// expectClose reads the next frame, which must be a close frame with code,
// and returns its reason.
func (c *wsClient) expectClose(code uint16) string {
	c.t.Helper()
	f := c.mustFrame()
	if f.op != OpClose || len(f.payload) < 2 {
		c.t.Fatalf("got op %d payload %q, want close %d", f.op, f.payload, code)
	}
	if got := binary.BigEndian.Uint16(f.payload); got != code {
		c.t.Fatalf("close code %d (%q), want %d", got, f.payload[2:], code)
	}
	return string(f.payload[2:])
}

// closeHandshake expects the server's close frame with code, answers it,
// and expects the server to close the socket. It returns the reason.
func (c *wsClient) closeHandshake(code uint16) string {
	c.t.Helper()
	reason := c.expectClose(code)
	c.trySend(closeMsg(code, ""))
	c.expectEOF()
	return reason
}

// expectEOF reads and discards until the server closes the socket.
func (c *wsClient) expectEOF() {
	c.t.Helper()
	testutil.ExpectEOF(c.t, c.nc, c.br)
}

// expectSilence checks that nothing arrives (and the socket stays open)
// for d.
func (c *wsClient) expectSilence(d time.Duration) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	f, err := readServerFrame(c.br)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("want silence, got frame op %d %q, err %v", f.op, f.payload, err)
	}
}

// Client frame builders. Every client frame is masked with a fresh random
// key unless built with frameOf(...).unmasked().

// cframe describes a client frame.
type cframe struct {
	fin      bool
	rsv      byte
	op       OpCode
	noMask   bool
	lenForm  int // 0: minimal; 126 or 127: force that extended length
	payload  []byte
	maskKey  [4]byte
	fixedKey bool
}

// bytes encodes the frame.
func (f cframe) bytes() []byte {
	b0 := f.rsv<<4 | byte(f.op)
	if f.fin {
		b0 |= 0x80
	}
	n := len(f.payload)
	var b1 byte
	if !f.noMask {
		b1 = 0x80
	}
	out := []byte{b0, 0}
	switch {
	case f.lenForm == 127 || f.lenForm == 0 && n > 0xFFFF:
		out[1] = b1 | 127
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	case f.lenForm == 126 || f.lenForm == 0 && n >= 126:
		out[1] = b1 | 126
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out[1] = b1 | byte(n)
	}
	if f.noMask {
		return append(out, f.payload...)
	}
	key := f.maskKey
	if !f.fixedKey {
		_, _ = rand.Read(key[:])
	}
	out = append(out, key[:]...)
	start := len(out)
	out = append(out, f.payload...)
	for i := range out[start:] {
		out[start+i] ^= key[i&3]
	}
	return out
}

// msg is a masked FIN frame.
func msg(op OpCode, p []byte) []byte { return cframe{fin: true, op: op, payload: p}.bytes() }

// frag is a masked fragment (op is OpContinuation after the first).
func frag(fin bool, op OpCode, p []byte) []byte {
	return cframe{fin: fin, op: op, payload: p}.bytes()
}

// closeMsg is a masked close frame with code and reason.
func closeMsg(code uint16, reason string) []byte {
	p := binary.BigEndian.AppendUint16(nil, code)
	return msg(OpClose, append(p, reason...))
}

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
