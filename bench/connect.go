package bench

import (
	"context"
)

// Connect opens cfg.Conns connections, waits for each one's first frame
// (and LOGIN answer in AuthLogin), closes them all and reports connect
// latencies and errors by kind. It ends when every attempt has ended (each
// is bounded by cfg.Timeout) or ctx is done.
func Connect(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	r := newRunner("connect", cfg, true)
	r.connectAll(ctx, r.idleBody)
	r.closeAll()
	return r.report(), nil
}

// Resolve returns c with defaults applied, after checking its values and
// that it fits this process's limits (it raises RLIMIT_NOFILE on the way).
// Every scenario calls it first; cmd/bench's -check prints its result.
func (c Config) Resolve() (Config, error) {
	c, err := c.withDefaults()
	if err != nil {
		return c, err
	}
	return c, checkLimits(c)
}
