package main

import (
	"errors"
	"log/slog"

	"github.com/imgate/gateway/cluster"
	"github.com/imgate/gateway/inbox"
)

// openNATSInbox opens the JetStream inbox store.
func openNATSInbox(o *options, log *slog.Logger, bus *cluster.Bus, lim inbox.Limits) (inbox.Store, error) {
	return nil, errors.New("-inbox-store nats is not built yet: use off with -nats-url")
}
