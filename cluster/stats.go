package cluster

import "strconv"

// AppendStats appends the bus's counters as JSON object members (no
// braces): "node_id", "published", "publish_failed", "received", … for a
// stats endpoint. Any goroutine.
func (b *Bus) AppendStats(dst []byte) []byte {
	dst = append(dst, `"node_id":`...)
	dst = strconv.AppendQuote(dst, b.cfg.NodeID)
	for _, c := range []struct {
		name string
		v    int64
	}{
		{"published", b.stats.Published.Load()},
		{"publish_failed", b.stats.PublishFailed.Load()},
		{"received", b.stats.Received.Load()},
		{"dropped", b.stats.Dropped.Load()},
		{"slow_consumer", b.stats.SlowConsumer.Load()},
		{"subscriptions", b.stats.Subscriptions.Load()},
		{"requests", b.stats.Requests.Load()},
		{"timeouts", b.stats.Timeouts.Load()},
		{"no_responders", b.stats.NoResponders.Load()},
		{"reconnects", b.stats.Reconnects.Load()},
		{"publish_queue", int64(len(b.pub))},
	} {
		dst = append(dst, ',', '"')
		dst = append(dst, c.name...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendInt(dst, c.v, 10)
	}
	return dst
}
