package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/imgate/gateway/gateway"
)

// roomsOptions are the room flags (PROTOCOL.md §7).
type roomsOptions struct {
	open     patternFlag
	readOnly patternFlag
	max      int
	coalesce time.Duration
}

// patternFlag is a comma-separated pattern list that remembers whether it
// was given.
type patternFlag struct {
	v   string
	set bool
}

func (p *patternFlag) String() string     { return p.v }
func (p *patternFlag) Set(v string) error { p.v, p.set = v, true; return nil }

func (r *roomsOptions) bind(fs *flag.FlagSet) {
	fs.Var(&r.open, "rooms-open", "comma-separated room patterns any authenticated session may JOIN; * matches any run of characters (live:*,lobby); -demo makes it * unless given")
	fs.Var(&r.readOnly, "rooms-readonly", "comma-separated room patterns only backends publish to (clients get 403 on PUBLISH)")
	fs.IntVar(&r.max, "max-rooms-per-session", 64, "rooms one session may be in; past it JOIN gets 400")
	fs.DurationVar(&r.coalesce, "fanout-coalesce", 0, "how long an event loop gathers room messages before writing them, so that several share one write per member; 0 writes each batch at once")
}

// config returns the gateway's rooms configuration; demo opens every room
// unless -rooms-open was given.
func (r *roomsOptions) config(demo bool) (gateway.RoomsConfig, error) {
	if r.max <= 0 {
		return gateway.RoomsConfig{}, fmt.Errorf("-max-rooms-per-session must be positive, not %d", r.max)
	}
	open := r.open.v
	if demo && !r.open.set {
		open = "*"
	}
	if r.coalesce < 0 || r.coalesce > time.Second {
		return gateway.RoomsConfig{}, fmt.Errorf("-fanout-coalesce must be between 0 and 1s, not %v", r.coalesce)
	}
	return gateway.RoomsConfig{Open: gateway.ParsePatterns(open),
		ReadOnly: gateway.ParsePatterns(r.readOnly.v), MaxPerSession: r.max, Coalesce: r.coalesce}, nil
}
