package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/imgate/gateway/internal/testutil"
)

// connSnapshot is what a loop reports about one of its connections.
type connSnapshot struct {
	state   connState
	skip    uint64
	inbound int // bytes gnet holds for it, not yet consumed
}

// snapshot asks every loop of srv about its connections.
func snapshot(t testing.TB, srv *Server) []connSnapshot {
	t.Helper()
	srv.loopsMu.Lock()
	loops := make([]*loop, 0, len(srv.loops))
	for _, l := range srv.loops {
		loops = append(loops, l)
	}
	srv.loopsMu.Unlock()
	out := make(chan []connSnapshot, len(loops))
	for _, l := range loops {
		err := l.gl.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			var s []connSnapshot
			for _, c := range l.conns {
				s = append(s, connSnapshot{state: c.state, skip: c.skip, inbound: c.gc.InboundBuffered()})
			}
			out <- s
			return nil
		}))
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
	}
	var all []connSnapshot
	for range loops {
		select {
		case s := <-out:
			all = append(all, s...)
		case <-time.After(testWait):
			t.Fatal("a loop did not answer")
		}
	}
	return all
}

// onlyConn expects srv to hold exactly one connection and returns it.
func onlyConn(t testing.TB, srv *Server) (connSnapshot, error) {
	s := snapshot(t, srv)
	if len(s) != 1 {
		return connSnapshot{}, fmt.Errorf("%d connections, want 1", len(s))
	}
	return s[0], nil
}

// TestPartialReads sends the head and the frames after it one byte at a
// time and waits, after each byte, until the server has read it: every
// read the server makes holds one byte, and what it cannot use yet must be
// kept for the next read.
func TestPartialReads(t *testing.T) {
	rec := newRecorder(true)
	srv := startServer(t, rec, testOptions())
	c := dialRaw(t, srv.Addr())
	head := c.request("/?t=1")
	for k := range len(head) - 1 {
		c.send(head[k : k+1])
		testutil.Eventually(t, testWait, func() error {
			s, err := onlyConn(t, srv.Server)
			if err == nil && (s.state != stateHandshake || s.skip != uint64(k+1) || s.inbound != k+1) {
				err = fmt.Errorf("after %d head bytes: %+v", k+1, s)
			}
			return err
		})
	}
	c.send(head[len(head)-1:])
	c.expectUpgrade()
	rec.nextOpen(t)
	for _, m := range []struct {
		op OpCode
		p  []byte
	}{
		{OpText, []byte("abc")},
		{OpBinary, asciiPayload(130)},
		{OpPing, []byte("p")},
	} {
		f := msg(m.op, m.p)
		for k := range len(f) - 1 {
			c.send(f[k : k+1])
			testutil.Eventually(t, testWait, func() error {
				s, err := onlyConn(t, srv.Server)
				if err == nil && (s.state != stateOpen || s.inbound != k+1) {
					err = fmt.Errorf("after %d bytes of a frame: %+v", k+1, s)
				}
				return err
			})
		}
		c.send(f[len(f)-1:])
		want := m.op
		if want == OpPing {
			want = OpPong
		}
		c.expectMessage(want, m.p)
	}
}
