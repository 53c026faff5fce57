package cluster

import (
	"sync"

	"github.com/nats-io/nats.go"
)

// interestSet holds the subscription changes the hub (users) and the
// rooms asked for and the worker has not applied yet, by subject; a later
// wish for a subject replaces an earlier one, so a user who connects and
// leaves in between costs nothing.
type interestSet struct {
	mu   sync.Mutex
	want map[string]bool // subject → wanted; guarded by mu
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
	b.wantSubject(UserSubject(userID), present)
}

// wantSubject records that the node wants (on) or no longer wants the
// messages of subject. Any goroutine; a short lock.
func (b *Bus) wantSubject(subject string, on bool) {
	if b.closed.Load() {
		return
	}
	s := &b.interest
	s.mu.Lock()
	s.want[subject] = on
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
		for subject, present := range b.interest.take() {
			b.applyInterest(subs, subject, present)
		}
	}
}

func (b *Bus) applyInterest(subs map[string]*nats.Subscription, subject string, present bool) {
	sub, have := subs[subject]
	switch {
	case present && !have:
		s, err := b.nc.ChanSubscribe(subject, b.in)
		if err != nil {
			if !b.closed.Load() {
				b.cfg.Logger.Warn("cluster: subscribe failed", "err", err)
			}
			return
		}
		subs[subject] = s
		b.stats.Subscriptions.Add(1)
	case !present && have:
		delete(subs, subject)
		b.stats.Subscriptions.Add(-1)
		_ = sub.Unsubscribe()
	}
}
