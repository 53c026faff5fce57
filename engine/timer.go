package engine

import "time"

// TimerHandler is implemented by a Handler that uses Conn.SetTimer.
type TimerHandler interface {
	// OnTimer runs on the connection's loop once the time given to
	// SetTimer has come (up to Options.TimerResolution late). What it
	// writes is flushed when it returns.
	OnTimer(c *Conn)
}

// SetTimer arranges for the Handler's OnTimer to run once, at or soon
// after at. It replaces an earlier timer; the zero time cancels it. Unlike
// SetDeadline it closes nothing: the handler decides. A handler that wants
// timers must implement TimerHandler. Loop only.
func (c *Conn) SetTimer(at time.Time) {
	if at.IsZero() {
		c.timer = 0
		return
	}
	c.timer = max(at.UnixNano(), 1)
}

// fireTimer runs OnTimer if the connection's timer has passed. Loop only.
func (c *Conn) fireTimer(now int64) {
	if c.timer == 0 || now < c.timer || c.state != stateOpen {
		return
	}
	c.timer = 0
	if th, ok := c.srv.h.(TimerHandler); ok {
		th.OnTimer(c)
		c.flush()
	}
}
