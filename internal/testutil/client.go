package testutil

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Client is a minimal WebSocket client over a real socket: masked writes,
// frame reads with a deadline of Wait, pings answered. It is closed when
// the test ends. Test goroutine only, unless a method says otherwise; the
// fields are exported for tests that write raw bytes or read raw frames.
type Client struct {
	T    testing.TB
	Name string        // prefixes failures ("" for none)
	Conn net.Conn      // the socket
	Rd   *bufio.Reader // reads Conn; may hold bytes that came with the upgrade response
}

// DialOption changes how Dial upgrades.
type DialOption func(*dialConfig)

type dialConfig struct {
	header    http.Header
	protocols []string
	name      string
	timeout   time.Duration
}

// WithHeader adds request headers. A Sec-WebSocket-Protocol header among
// them ("a, b") becomes the offered subprotocols.
func WithHeader(h http.Header) DialOption {
	return func(c *dialConfig) {
		for k, v := range h {
			if http.CanonicalHeaderKey(k) == "Sec-Websocket-Protocol" && len(v) > 0 {
				c.protocols = append(c.protocols, strings.Split(v[0], ", ")...)
				continue
			}
			if c.header == nil {
				c.header = http.Header{}
			}
			c.header[k] = v
		}
	}
}

// WithProtocols offers subprotocols, in order.
func WithProtocols(p ...string) DialOption {
	return func(c *dialConfig) { c.protocols = append(c.protocols, p...) }
}

// WithBearer sends the token in an Authorization: Bearer header.
func WithBearer(token string) DialOption {
	return WithHeader(http.Header{"Authorization": {"Bearer " + token}})
}

// WithBearerProtocol sends the token as the subprotocol entry bearer.JWT
// beside gateway.v1, as browsers do (PROTOCOL.md §1).
func WithBearerProtocol(token string) DialOption {
	return WithProtocols("gateway.v1", "bearer."+token)
}

// WithName names the client in failure messages.
func WithName(name string) DialOption {
	return func(c *dialConfig) { c.name = name }
}

// WithTimeout bounds the connect and upgrade (default Wait).
func WithTimeout(d time.Duration) DialOption {
	return func(c *dialConfig) { c.timeout = d }
}

// Query returns "?k1=v1&k2=v2…" with the values escaped, skipping pairs
// whose value is empty; "" when all are.
func Query(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	return b.String()
}

// TryDial upgrades to url (ws://HOST:PORT/PATH?QUERY) and returns the
// client, or the dial or upgrade error (a refused upgrade is a
// ws.StatusError). The client is closed when the test ends.
func TryDial(t testing.TB, url string, opts ...DialOption) (*Client, error) {
	t.Helper()
	cfg := dialConfig{timeout: Wait}
	for _, o := range opts {
		o(&cfg)
	}
	d := ws.Dialer{Timeout: cfg.timeout, Protocols: cfg.protocols}
	if cfg.header != nil {
		d.Header = ws.HandshakeHeaderHTTP(cfg.header)
	}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &Client{T: t, Name: cfg.name, Conn: conn, Rd: br}, nil
}

// Dial is TryDial failing the test on error.
func Dial(t testing.TB, url string, opts ...DialOption) *Client {
	t.Helper()
	c, err := TryDial(t, url, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	return c
}

// DialFirst dials and returns the client and its first frame (the
// connect reply of PROTOCOL.md §2), whatever its code.
func DialFirst(t testing.TB, url string, opts ...DialOption) (*Client, Reply) {
	t.Helper()
	c := Dial(t, url, opts...)
	return c, c.Read()
}

// fatalf fails the test, prefixing the client's name.
func (c *Client) fatalf(format string, args ...any) {
	c.T.Helper()
	if c.Name != "" {
		format = c.Name + ": " + format
	}
	c.T.Fatalf(format, args...)
}

// TryReadFrame reads the next frame as it came (control frames included),
// unmasked, waiting at most Wait.
func (c *Client) TryReadFrame() (ws.Header, []byte, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(Wait))
	h, err := ws.ReadHeader(c.Rd)
	if err != nil {
		return h, nil, err
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.Rd, p); err != nil {
		return h, nil, err
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	return h, p, nil
}

// TryReadMessage returns the payload of the next text or binary frame,
// answering pings and skipping pongs; a close frame is a CloseError.
func (c *Client) TryReadMessage() ([]byte, error) {
	for {
		h, p, err := c.TryReadFrame()
		if err != nil {
			return nil, err
		}
		switch h.OpCode {
		case ws.OpPing:
			_ = wsutil.WriteClientMessage(c.Conn, ws.OpPong, p)
		case ws.OpPong:
		case ws.OpClose:
			return nil, CloseError{Code: CloseCode(p), Raw: p}
		default:
			return p, nil
		}
	}
}

// TryReadJSON decodes the next message into v.
func (c *Client) TryReadJSON(v any) error {
	p, err := c.TryReadMessage()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("bad json %q: %w", p, err)
	}
	return nil
}

// TryRead returns the next message as a Reply, registering any tokens in
// it with testlog.
func (c *Client) TryRead() (Reply, error) {
	var r Reply
	if err := c.TryReadJSON(&r); err != nil {
		return Reply{}, err
	}
	RegisterTokens(r.Body)
	return r, nil
}

// Read is TryRead failing the test on a close frame, an error or Wait.
func (c *Client) Read() Reply {
	c.T.Helper()
	r, err := c.TryRead()
	if err != nil {
		c.fatalf("read: %v", err)
	}
	return r
}

// ReadUntil reads until a message with cmd_id cmd and returns it,
// dropping the others.
func (c *Client) ReadUntil(cmd int) Reply {
	c.T.Helper()
	for {
		if r := c.Read(); r.CmdID == cmd {
			return r
		}
	}
}

// ExpectClose reads until the server's close frame and returns its code,
// failing on any other error.
func (c *Client) ExpectClose() uint16 {
	c.T.Helper()
	for {
		_, err := c.TryReadMessage()
		var ce CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			c.fatalf("want a close frame, got %v", err)
		}
	}
}

// CloseHandshake sends a close frame with code and returns the code of
// the server's answering close frame.
func (c *Client) CloseHandshake(code uint16) uint16 {
	c.T.Helper()
	c.SendRaw(ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(code), ""))
	return c.ExpectClose()
}

// Send writes v as one JSON text message.
func (c *Client) Send(v any) {
	c.T.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.fatalf("marshal: %v", err)
	}
	c.SendRaw(ws.OpText, b)
}

// SendRaw writes one masked frame with opcode op and payload b.
func (c *Client) SendRaw(op ws.OpCode, b []byte) {
	c.T.Helper()
	if err := c.TrySend(op, b); err != nil {
		c.fatalf("write: %v", err)
	}
}

// TrySend writes one masked frame within Wait and returns the error. Any
// goroutine, one writer at a time.
func (c *Client) TrySend(op ws.OpCode, b []byte) error {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(Wait))
	return wsutil.WriteClientMessage(c.Conn, op, b)
}

// Close closes the socket without a close handshake. Any goroutine.
func (c *Client) Close() error { return c.Conn.Close() }

// The commands of PROTOCOL.md §3 that many tests send.

// Login sends LOGIN (1001) as user from device dev_USER on platform test
// and returns the reply.
func (c *Client) Login(user, pass string, seq int) Reply {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": 1001, "seq": seq, "from_uid": user, "device_id": "dev_" + user,
		"platform": "test", "body": map[string]any{"username": user, "password": pass}})
	return c.Read()
}

// Refresh sends REFRESH (1004) with a refresh token and returns the reply.
func (c *Client) Refresh(token string, seq int) Reply {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": 1004, "seq": seq, "body": map[string]any{"refresh_token": token}})
	return c.Read()
}

// Say sends SEND (2001) of text to user to, without reading the answer.
func (c *Client) Say(seq int, to, text string) {
	c.T.Helper()
	c.Send(map[string]any{"cmd_id": 2001, "seq": seq, "body": map[string]any{"to_uid": to, "content": text}})
}

// ExpectKicked reads until a KICKED push (3003), checks its code 200 and
// reason, then expects the close 4003.
func (c *Client) ExpectKicked(reason string) {
	c.T.Helper()
	r := c.ReadUntil(3003)
	if got := r.BodyMap(c.T)["reason"]; r.Code != 200 || got != reason {
		c.fatalf("3003 %+v, want reason %q", r, reason)
	}
	if code := c.ExpectClose(); code != 4003 {
		c.fatalf("close %d after 3003, want 4003", code)
	}
}

// ExpectMessage reads the next message and checks that it is a MESSAGE
// push (3001) of text from user from.
func (c *Client) ExpectMessage(from, text string) {
	c.T.Helper()
	r := c.Read()
	if r.CmdID != 3001 {
		c.fatalf("want a MESSAGE from %s, got %+v", from, r)
	}
	if b := r.BodyMap(c.T); b["from_uid"] != from || b["content"] != text {
		c.fatalf("want %q from %s, got %v", text, from, b)
	}
}

// TryReadMap returns the next message decoded as a JSON object, for tests
// that check exact keys, registering any tokens in its body with testlog.
func (c *Client) TryReadMap() (map[string]any, error) {
	p, err := c.TryReadMessage()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(p, &m); err != nil {
		return nil, fmt.Errorf("bad json %q: %w", p, err)
	}
	if b, err := json.Marshal(m["body"]); err == nil {
		RegisterTokens(b)
	}
	return m, nil
}

// ReadMap is TryReadMap failing the test on a close frame, an error or
// Wait.
func (c *Client) ReadMap() map[string]any {
	c.T.Helper()
	m, err := c.TryReadMap()
	if err != nil {
		c.fatalf("read: %v", err)
	}
	return m
}

// ExpectEOF reads until the server closes the connection, failing on any
// error but a reset and after Wait.
func (c *Client) ExpectEOF() {
	c.T.Helper()
	ExpectEOF(c.T, c.Conn, c.Rd)
}

// ExpectEOF reads r (which reads conn) until the server closes conn,
// failing the test on any error but a reset (ECONNRESET, EPIPE) and after
// Wait; for raw sockets that are no Client.
func ExpectEOF(t testing.TB, conn net.Conn, r io.Reader) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(Wait))
	if _, err := io.Copy(io.Discard, r); err != nil && !IsReset(err) {
		t.Fatalf("waiting for the server to close: %v", err)
	}
}

// IsReset reports whether err is the peer resetting the connection
// (ECONNRESET) or a write to a closed one (EPIPE).
func IsReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
