package cluster

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// Handlers receive what the bus brings in. Each runs on one of the bus's
// goroutines, must not block, and may call Bus methods. A nil handler
// drops its messages.
type Handlers struct {
	// Push delivers payload, one complete server→client JSON message
	// published to userID's subject by another node or a backend, to every
	// local session of userID. Pushes run one at a time in the order NATS
	// delivered them; payload belongs to the callee.
	Push func(userID string, payload []byte)
	// Control runs a control message that another node published with
	// PublishControl, Broadcast or PublishNode: kind names it, origin is the
	// publishing node's ID.
	Control func(userID, kind, origin string, data []byte)
	// Room delivers a 3101 payload published on gateway.room.<room> to
	// this node's members of room, in NATS order with the pushes.
	Room func(room string, payload []byte)
	// Broadcast delivers a 3102 payload published on gateway.broadcast to
	// every authenticated session of this node.
	Broadcast func(payload []byte)
}

// Stats are the bus's counters. Any goroutine may read them.
type Stats struct {
	Published     atomic.Int64 // messages handed to NATS
	PublishFailed atomic.Int64 // refused (unavailable, queue full) or failed in NATS
	Received      atomic.Int64 // messages on user subjects
	Dropped       atomic.Int64 // inbound messages that were not pushes or controls
	SlowConsumer  atomic.Int64 // nats.go slow-consumer events (inbound queue full)
	Subscriptions atomic.Int64 // user subjects subscribed to now
	Requests      atomic.Int64 // backend requests sent
	Timeouts      atomic.Int64 // backend requests that timed out
	NoResponders  atomic.Int64 // backend requests nobody served
	Reconnects    atomic.Int64 // reconnections to NATS since start
}

// Bus is one node's connection to the cluster. Create it with [New], wire
// [Bus.Interest] into the hub, then [Bus.Start] it with the handlers.
type Bus struct {
	cfg   Config
	h     Handlers
	nc    *nats.Conn
	stats Stats

	ready   atomic.Bool // NATS connected
	started atomic.Bool
	closed  atomic.Bool
	done    chan struct{}
	wg      sync.WaitGroup

	pub      chan pubItem   // to the publisher goroutine
	in       chan *nats.Msg // user subjects, from nats.go
	replies  chan *nats.Msg // backend replies, from nats.go
	interest interestSet
	reqs     requests
	inbox    string // reply subject prefix of this node's requests, ends in '.'
}

// New checks cfg and returns a bus that is not connected yet. Interest may
// be called before Start: it is applied once the bus runs.
func New(cfg Config) (*Bus, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Bus{cfg: cfg, done: make(chan struct{}),
		pub:     make(chan pubItem, cfg.PublishQueue),
		in:      make(chan *nats.Msg, cfg.InboundQueue),
		replies: make(chan *nats.Msg, cfg.InboundQueue),
		inbox:   nats.NewInbox() + ".",
	}
	b.interest.init()
	b.reqs.init(cfg.MaxPending, cfg.RequestTimeout)
	return b, nil
}

// Start connects to NATS and starts the bus's goroutines. It does not wait
// for NATS: when no server is reachable it returns nil and keeps trying in
// the background (Ready reports false meanwhile). It fails only on a
// configuration nats.go refuses.
func (b *Bus) Start(h Handlers) error {
	if !b.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	b.h = h
	nc, err := nats.Connect(strings.Join(b.cfg.URLs, ","), b.natsOptions()...)
	if err != nil {
		return err
	}
	b.nc = nc
	if _, err := nc.ChanSubscribe(b.inbox+"*", b.replies); err != nil {
		nc.Close()
		return err
	}
	if err := b.subscribeNodes(); err != nil {
		nc.Close()
		return err
	}
	b.wg.Add(4)
	go b.publishLoop()
	go b.interestLoop()
	go b.inboundLoop()
	go b.replyLoop()
	return nil
}

// Close fails the requests in flight, closes the NATS connection and stops
// the goroutines. Calls after the first do nothing.
func (b *Bus) Close() {
	if !b.closed.CompareAndSwap(false, true) {
		return
	}
	b.ready.Store(false)
	close(b.done)
	if b.nc != nil {
		b.nc.Close()
	}
	b.wg.Wait()
	b.reqs.failAll(ErrUnavailable)
}

// Conn is the bus's NATS connection (nil before Start), for what the bus
// does not wrap, such as JetStream key-value stores. Its calls can block
// on the network: never use it from an event loop or a hub shard owner.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Ready reports whether NATS is connected. It reads one atomic.
func (b *Bus) Ready() bool { return b.ready.Load() }

// NodeID is this node's ID.
func (b *Bus) NodeID() string { return b.cfg.NodeID }

// Stats returns the bus's counters.
func (b *Bus) Stats() *Stats { return &b.stats }

// Connection events, run by nats.go one at a time in order.

func (b *Bus) onConnect(nc *nats.Conn) {
	b.ready.Store(!b.closed.Load())
	b.cfg.Logger.Info("cluster: connected to NATS", "url", nc.ConnectedUrlRedacted(), "node", b.cfg.NodeID)
}

func (b *Bus) onReconnect(nc *nats.Conn) {
	b.stats.Reconnects.Add(1)
	b.ready.Store(!b.closed.Load())
	b.cfg.Logger.Info("cluster: reconnected to NATS; subscriptions restored", "url", nc.ConnectedUrlRedacted(),
		"subscriptions", b.stats.Subscriptions.Load())
}

func (b *Bus) onDisconnect(_ *nats.Conn, err error) {
	b.ready.Store(false)
	if !b.closed.Load() {
		b.cfg.Logger.Warn("cluster: disconnected from NATS; delivering locally only", "err", err)
	}
}

func (b *Bus) onClosed(*nats.Conn) { b.ready.Store(false) }

func (b *Bus) onError(_ *nats.Conn, sub *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrSlowConsumer) {
		if n := b.stats.SlowConsumer.Add(1); n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th… event
			b.cfg.Logger.Warn("cluster: inbound queue full, NATS dropped messages", "events", b.stats.SlowConsumer.Load())
		}
		return
	}
	subject := ""
	if sub != nil {
		subject = sub.Subject
	}
	b.cfg.Logger.Warn("cluster: NATS error", "subject", subject, "err", err)
}
