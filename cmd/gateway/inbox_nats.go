package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/inbox"
)

// openNATSInbox opens the JetStream inbox store on the bus's connection;
// it waits up to storeWait for NATS. With -check it opens nothing.
func openNATSInbox(o *options, log *slog.Logger, bus *cluster.Bus, lim inbox.Limits) (inbox.Store, error) {
	if o.check {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeWait)
	defer cancel()
	for !bus.Ready() {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("-inbox-store nats: NATS not reachable within %v", storeWait)
		case <-time.After(20 * time.Millisecond):
		}
	}
	s, err := inbox.OpenNATS(ctx, bus.Conn(), lim, inbox.NATSOptions{Replicas: o.inbox.replicas})
	if err != nil {
		return nil, err
	}
	log.Info("inbox store", "kind", "nats", "replicas", o.inbox.replicas)
	return s, nil
}
