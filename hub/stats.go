package hub

import (
	"context"
	"time"
)

// count adds one Deliver's outcome to the shard's counters. Owner only.
func (s *shard) count(delivered, refused int) {
	if delivered != 0 {
		s.delivered.Add(int64(delivered))
	}
	if refused != 0 {
		s.dropped.Add(int64(refused))
	}
}

// Delivered is the number of frames that Deliver handed to a session whose
// Send accepted them, since start.
func (h *Hub) Delivered() int64 {
	var n int64
	for i := range h.shards {
		n += h.shards[i].delivered.Load()
	}
	return n
}

// Dropped is the number of frames that Deliver handed to a session whose
// Send refused them (closing, or over its write queue), since start.
func (h *Hub) Dropped() int64 {
	var n int64
	for i := range h.shards {
		n += h.shards[i].dropped.Load()
	}
	return n
}

// ShardBacklog is shard i's part of Backlog: its operations queued or
// running and not yet accounted as run.
func (h *Hub) ShardBacklog(i int) int64 { return h.shards[i].q.backlog.Load() }

// ShardDelays measures, for every shard, how long an operation waits in
// the shard's queue before its owner runs it. It returns when every shard
// has answered or ctx ended (a shard that did not answer shows the time
// waited). Goroutine-safe.
func (h *Hub) ShardDelays(ctx context.Context) []time.Duration {
	start := time.Now()
	got := make(chan [2]int64, len(h.shards))
	for i := range h.shards {
		if h.closed.Load() {
			break
		}
		o := getOp()
		o.kind, o.fn = opSessions, func([]*Member) { got <- [2]int64{int64(i), int64(time.Since(start))} }
		h.shards[i].enqueue(o)
	}
	out := make([]time.Duration, len(h.shards))
	for range h.shards {
		select {
		case r := <-got:
			out[r[0]] = time.Duration(r[1])
		case <-ctx.Done():
		}
	}
	for i := range out {
		if out[i] == 0 {
			out[i] = time.Since(start)
		}
	}
	return out
}
