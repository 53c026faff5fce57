package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/golang-jwt/jwt/v5"
)

// testServer is a tiny goroutine-per-connection WebSocket server speaking
// enough of the gateway protocol for bench's tests: the first frame, LOGIN,
// echo of other messages, and (chat) SEND routed as 3001 pushes.
type testServer struct {
	url string
	ln  net.Listener

	secret     []byte // tokens are checked with it when set
	password   string // LOGIN password (any user)
	noHello    bool   // do not send the first frame (a plain echo server)
	pingFirst  bool   // send a ping before the first frame
	closeAfter bool   // close with 1001 right after the first frame
	status     int    // refuse the upgrade with this HTTP status
	silent     bool   // accept TCP and never answer
	chat       bool   // route SEND as pushes instead of echoing
	dropEvery  int64  // chat: do not push every n-th SEND
	dup        bool   // chat: push every message twice

	live    atomic.Int64
	pongs   atomic.Int64
	sends   atomic.Int64
	dropped atomic.Int64

	mu    sync.Mutex
	users map[string]*srvConn // chat routing; guarded by mu
	open  map[net.Conn]bool   // guarded by mu
	wg    sync.WaitGroup
}

type srvConn struct {
	nc  net.Conn
	uid string
	mu  sync.Mutex
}

// send writes one server frame in one write. Safe for concurrent use.
func (s *srvConn) send(op ws.OpCode, p []byte) error {
	b, err := ws.CompileFrame(ws.NewFrame(op, true, p))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.nc.Write(b)
	return err
}

// start listens on 127.0.0.1:0 and serves until the test ends.
func (s *testServer) start(t *testing.T) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.url = ln, "ws://"+ln.Addr().String()+"/"
	s.users, s.open = map[string]*srvConn{}, map[net.Conn]bool{}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.open[nc] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(nc)
	}
}

func (s *testServer) stop() {
	_ = s.ln.Close()
	s.mu.Lock()
	for nc := range s.open {
		_ = nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *testServer) serve(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.open, nc)
		s.mu.Unlock()
		_ = nc.Close()
	}()
	if s.silent {
		_, _ = io.Copy(io.Discard, nc)
		return
	}
	token, err := s.upgrade(nc)
	if err != nil {
		return
	}
	s.live.Add(1)
	defer s.live.Add(-1)
	c := &srvConn{nc: nc}
	if s.pingFirst {
		_ = c.send(ws.OpPing, []byte("hi"))
	}
	if !s.noHello {
		s.hello(c, token)
	}
	if s.closeAfter {
		_ = c.send(ws.OpClose, ws.NewCloseFrameBody(ws.StatusGoingAway, "idle timeout"))
		return
	}
	s.loop(c)
	if c.uid != "" {
		s.mu.Lock()
		delete(s.users, c.uid)
		s.mu.Unlock()
	}
}

// upgrade runs the handshake and returns the token from the query, the
// Authorization header or a bearer.* subprotocol.
func (s *testServer) upgrade(nc net.Conn) (string, error) {
	var token string
	u := ws.Upgrader{
		OnRequest: func(uri []byte) error {
			if q, err := url.ParseRequestURI(string(uri)); err == nil {
				token = q.Query().Get("token")
			}
			return nil
		},
		OnHeader: func(k, v []byte) error {
			if t, ok := bytes.CutPrefix(v, []byte("Bearer ")); ok && strings.EqualFold(string(k), "Authorization") && token == "" {
				token = string(t)
			}
			return nil
		},
		ProtocolCustom: func(v []byte) (string, bool) {
			sel := ""
			for _, p := range strings.Split(string(v), ",") {
				p = strings.TrimSpace(p)
				if t, ok := strings.CutPrefix(p, "bearer."); ok && token == "" {
					token = t
				}
				if p == "gateway.v1" {
					sel = p
				}
			}
			return sel, true
		},
		OnBeforeUpgrade: func() (ws.HandshakeHeader, error) {
			if s.status != 0 {
				return nil, ws.RejectConnectionError(ws.RejectionStatus(s.status))
			}
			return ws.HandshakeHeaderString(""), nil
		},
	}
	_, err := u.Upgrade(nc)
	return token, err
}

// hello sends the first frame for token (empty: no token).
func (s *testServer) hello(c *srvConn, token string) {
	switch {
	case token == "":
		_ = c.send(ws.OpText, []byte(`{"code":200,"body":{"message":"Connected successfully. Please login or provide token.","session_id":"s"},"err_msg":""}`))
	case s.checkToken(token) == "":
		_ = c.send(ws.OpText, []byte(`{"code":401,"body":null,"err_msg":"Token authentication failed. Please login."}`))
	default:
		c.uid = s.checkToken(token)
		s.register(c)
		_ = c.send(ws.OpText, []byte(fmt.Sprintf(
			`{"code":200,"body":{"message":"Connected and authenticated successfully","session_id":"s","user_id":%q,"expires_at":1},"err_msg":""}`, c.uid)))
	}
}

// checkToken returns the token's sub, or "" when it does not verify.
func (s *testServer) checkToken(token string) string {
	if s.secret == nil {
		return "anon"
	}
	t, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}))
	if err != nil {
		return ""
	}
	sub, _ := t.Claims.GetSubject()
	return sub
}

func (s *testServer) register(c *srvConn) {
	s.mu.Lock()
	s.users[c.uid] = c
	s.mu.Unlock()
}

// loop reads client frames until the connection ends.
func (s *testServer) loop(c *srvConn) {
	br := bufio.NewReader(c.nc)
	for {
		h, err := ws.ReadHeader(br)
		if err != nil || !h.Masked {
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		ws.Cipher(p, h.Mask, 0)
		switch h.OpCode {
		case ws.OpPing:
			_ = c.send(ws.OpPong, p)
		case ws.OpPong:
			s.pongs.Add(1)
		case ws.OpClose:
			_ = c.send(ws.OpClose, p)
			return
		default:
			if err := s.message(c, h.OpCode, p); err != nil {
				return
			}
		}
	}
}

// request is a client message as the test server reads it.
type request struct {
	CmdID int64 `json:"cmd_id"`
	Seq   int64 `json:"seq"`
	Body  struct {
		Username string          `json:"username"`
		Password string          `json:"password"`
		ToUID    string          `json:"to_uid"`
		Content  json.RawMessage `json:"content"`
	} `json:"body"`
}

func (s *testServer) message(c *srvConn, op ws.OpCode, p []byte) error {
	var req request
	if op != ws.OpText || json.Unmarshal(p, &req) != nil || req.CmdID == 0 {
		return c.send(op, p) // echo
	}
	switch req.CmdID {
	case cmdLogin:
		if req.Body.Password != s.password {
			return c.send(ws.OpText, []byte(`{"cmd_id":1001,"seq":1,"code":401,"body":null,"err_msg":"invalid username or password"}`))
		}
		c.uid = req.Body.Username
		s.register(c)
		return c.send(ws.OpText, fmt.Appendf(nil, `{"cmd_id":1001,"seq":1,"code":200,"body":{"message":"Login successful","user_id":%q},"err_msg":""}`, c.uid))
	case cmdSend:
		return s.route(c, &req)
	}
	return c.send(ws.OpText, []byte(`{"code":400,"body":null,"err_msg":"bad request: unknown cmd_id"}`))
}

// route pushes a SEND to its recipient and answers the sender.
func (s *testServer) route(c *srvConn, req *request) error {
	n := s.sends.Add(1)
	s.mu.Lock()
	to := s.users[req.Body.ToUID]
	s.mu.Unlock()
	delivered := 0
	if to != nil && (s.dropEvery == 0 || n%s.dropEvery != 0) {
		push := fmt.Appendf(nil, `{"cmd_id":3001,"code":200,"body":{"msg_id":"m%d","from_uid":%q,"from_device":"","to_uid":%q,"content":%s,"ts":%d},"err_msg":""}`,
			n, c.uid, req.Body.ToUID, req.Body.Content, time.Now().UnixMilli())
		for range 1 + btoi(s.dup) {
			if to.send(ws.OpText, push) == nil {
				delivered = 1
			}
		}
	} else if to != nil {
		s.dropped.Add(1)
	}
	return c.send(ws.OpText, fmt.Appendf(nil, `{"cmd_id":2001,"seq":%d,"code":200,"body":{"msg_id":"m%d","delivered":%d},"err_msg":""}`,
		req.Seq, n, delivered))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// errNotYet is what testutil.Eventually's conditions return while waiting.
var errNotYet = errors.New("not yet")

// progressFunc is an io.Writer calling f with each progress line.
type progressFunc func(string)

func (f progressFunc) Write(p []byte) (int, error) {
	f(string(p))
	return len(p), nil
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
