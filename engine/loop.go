package engine

import (
	"context"

	"github.com/panjf2000/gnet/v2"
)

// loop is the engine's state for one gnet event loop. Everything in it is
// touched only on that loop, except srv and gl.
type loop struct {
	srv   *Server
	gl    gnet.EventLoop
	conns []*Conn // every open socket of the loop, for the timer sweep
	up    *upgrader
	stats LoopStats
	tls   tlsScratch
	infl  inflater // permessage-deflate messages of every connection
	// pending are the connections Conn.Queue touched that the current
	// task flushes when it returns (see looptask.go).
	pending []*Conn
}

func (l *loop) add(c *Conn) {
	c.slot = int32(len(l.conns))
	l.conns = append(l.conns, c)
	l.stats.Conns.Add(1)
}

func (l *loop) remove(c *Conn) {
	i := c.slot
	last := l.conns[len(l.conns)-1]
	l.conns[i], last.slot = last, i
	l.conns[len(l.conns)-1] = nil
	l.conns = l.conns[:len(l.conns)-1]
	l.stats.Conns.Add(-1)
}

// Run is the sweep task the ticker sends to the loop.
func (l *loop) Run(context.Context) error {
	defer l.stats.leave(l.stats.enter())
	now := l.srv.now()
	o := &l.srv.opts
	// Iterate backwards: closing a connection may swap-remove it.
	for i := len(l.conns) - 1; i >= 0; i-- {
		if i >= len(l.conns) {
			continue
		}
		l.sweep(l.conns[i], now, o)
	}
	return nil
}

// sweep applies one connection's deadlines and fires its handler timer.
func (l *loop) sweep(c *Conn, now int64, o *Options) {
	c.fireTimer(now)
	switch {
	case c.deadline != 0 && now >= c.deadline:
		switch c.state {
		case stateOpen:
			c.deadline = 0
			c.closeAfterFlush(c.rare.dlCode, c.rare.dlReason) // set by SetDeadline
		default: // handshake too slow, or the peer never answered our close
			if c.state == stateHandshake {
				l.srv.adm.refused[refusedTimeout].Add(1)
			}
			c.closeNow()
		}
	case c.state != stateOpen:
	case o.IdleTimeout > 0 && now-c.lastRead >= int64(o.IdleTimeout):
		c.closeAfterFlush(CloseGoingAway, "idle timeout")
	case o.PingInterval > 0 && now-c.lastPing >= int64(o.PingInterval):
		c.lastPing = now
		c.Write(pingFrame)
		c.flush()
	}
}
