package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"
)

// settleGCs is how many collections run before sampling this process's RSS.
const settleGCs = 3

// Idle opens cfg.Conns connections like Connect, then holds them for
// cfg.Duration answering the server's pings, and reports memory: VmRSS of
// cfg.ServerPIDs and of this process before connecting, after all are
// connected and at the end of the hold, and the stats endpoint before and
// after connecting. Connections the server closes during the hold are
// counted as drops.
func Idle(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	r := newRunner("idle", cfg, true)
	var notes []string
	mem := &MemoryReport{}
	sample := func(stage string, server, client *int64) {
		if len(cfg.ServerPIDs) > 0 {
			rss, err := sumRSS(cfg.ServerPIDs)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s: %v", stage, err))
			}
			*server = rss
		}
		if client != nil {
			// Settle this process first: collect, shrink goroutine stacks
			// grown while dialing, return free pages to the OS.
			for range settleGCs {
				runtime.GC() // each GC halves stacks that use under a quarter
			}
			debug.FreeOSMemory()
			*client, _ = readRSS("self")
		}
	}
	stats := &StatsReport{URL: cfg.StatsURL}
	var statsBefore []byte
	if cfg.StatsURL != "" {
		statsBefore = fetchInto(ctx, stats, &stats.Before)
	}
	sample("before", &mem.ServerBefore, &mem.ClientBefore)

	r.connectAll(ctx, r.idleBody)

	sample("after connect", &mem.ServerAfter, &mem.ClientAfter)
	up := r.live.Load()
	if cfg.StatsURL != "" {
		statsAfter := fetchInto(ctx, stats, &stats.After)
		if statsBefore != nil && statsAfter != nil {
			stats.Deltas = statDeltas(statsBefore, statsAfter, up)
		}
	}
	var held time.Duration
	if r.sync(ctx, StageConnected) {
		held = r.hold(ctx, cfg.Duration)
	}
	sample("end", &mem.ServerEnd, nil)
	r.sync(ctx, StageHeld)
	r.closeAll()

	if up > 0 {
		mem.ServerPerConn = float64(mem.ServerAfter-mem.ServerBefore) / float64(up)
		mem.ClientPerConn = float64(mem.ClientAfter-mem.ClientBefore) / float64(up)
	}
	rep := r.report()
	rep.HoldSeconds = held.Seconds()
	rep.Memory = mem
	if cfg.StatsURL != "" {
		rep.Stats = stats
	}
	rep.Notes = append(rep.Notes, notes...)
	return rep, nil
}

// idleBody reads until the connection ends, answering pings on the way
// and counting any data message.
func (r *runner) idleBody(c *conn) error {
	for {
		if _, _, err := c.readData(); err != nil {
			return err
		}
		r.msgsIn.Add(1)
	}
}

// fetchInto fetches the stats URL into *dst and returns the body; errors
// are kept in s.Error.
func fetchInto(ctx context.Context, s *StatsReport, dst *json.RawMessage) []byte {
	body, err := fetchStats(ctx, s.URL)
	if err != nil {
		s.Error = err.Error()
	}
	if len(body) > 0 {
		*dst = rawJSON(body)
	}
	if err != nil {
		return nil
	}
	return body
}
