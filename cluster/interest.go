package cluster

import (
	"sync"

	"github.com/nats-io/nats.go"
)

// interestSet holds the subscription changes the hub asked for and the
// worker has not applied yet; a later wish for a user replaces an earlier
// one, so a user who connects and leaves in between costs nothing.
type interestSet struct {
	mu   sync.Mutex
	want map[string]bool // guarded by mu
	wake chan struct{}   // 1-buffered: changes are waiting
}

func (s *interestSet) init() {
	s.want = make(map[string]bool)
	s.wake = make(chan struct{}, 1)
}

// Interest records that this node has (present) or no longer has sessions
// of userID; the bus subscribes to or unsubscribes from the user's subject
// soon after. Pass it as hub.Config.OnPresence. It takes a short lock and
// never waits for NATS.
func (b *Bus) Interest(userID string, present bool) {
	if userID == "" || b.closed.Load() {
		return
	}
	s := &b.interest
	s.mu.Lock()
	s.want[userID] = present
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns the waiting changes and starts a new set.
func (s *interestSet) take() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.want) == 0 {
		return nil
	}
	w := s.want
	s.want = make(map[string]bool)
	return w
}

// interestLoop applies the changes. It owns subs. Subscriptions made while
// NATS is disconnected are sent by nats.go when it reconnects.
func (b *Bus) interestLoop() {
	defer b.wg.Done()
	subs := make(map[string]*nats.Subscription)
	for {
		select {
		case <-b.interest.wake:
		case <-b.done:
			return
		}
		for user, present := range b.interest.take() {
			b.applyInterest(subs, user, present)
		}
	}
}

func (b *Bus) applyInterest(subs map[string]*nats.Subscription, user string, present bool) {
	sub, have := subs[user]
	switch {
	case present && !have:
		s, err := b.nc.ChanSubscribe(UserSubject(user), b.in)
		if err != nil {
			if !b.closed.Load() {
				b.cfg.Logger.Warn("cluster: subscribe failed", "err", err)
			}
			return
		}
		subs[user] = s
		b.stats.Subscriptions.Add(1)
	case !present && have:
		delete(subs, user)
		b.stats.Subscriptions.Add(-1)
		_ = sub.Unsubscribe()
	}
}
