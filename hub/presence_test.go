package hub

import (
	"slices"
	"sync"
	"testing"
)

// presenceLog records OnPresence calls; safe for the owners to call.
type presenceLog struct {
	mu     sync.Mutex
	events []string
}

func (l *presenceLog) record(user string, present bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sign := "-"
	if present {
		sign = "+"
	}
	l.events = append(l.events, sign+user)
}

func (l *presenceLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev := l.events
	l.events = nil
	return ev
}

// OnPresence fires on a user's first session and after its last, never for
// the sessions in between and never for no-ops.
func TestOnPresence(t *testing.T) {
	var log presenceLog
	h, err := New(Config{Shards: 1, OnPresence: log.record})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	a1, a2, b1 := newMember("a", "a1"), newMember("a", "a2"), newMember("b", "b1")
	for _, tc := range []struct {
		name string
		do   func()
		want []string
	}{
		{name: "first session", do: func() { h.Add(a1) }, want: []string{"+a"}},
		{name: "second session", do: func() { h.Add(a2) }, want: nil},
		{name: "same pointer again", do: func() { h.Add(a2) }, want: nil},
		{name: "other user", do: func() { h.Add(b1) }, want: []string{"+b"}},
		{name: "one of two leaves", do: func() { h.Remove(a1) }, want: nil},
		{name: "unknown member", do: func() { h.Remove(a1) }, want: nil},
		{name: "last leaves", do: func() { h.Remove(a2) }, want: []string{"-a"}},
		{name: "comes back", do: func() { h.Add(a1) }, want: []string{"+a"}},
		{name: "both leave", do: func() { h.Remove(a1); h.Remove(b1) }, want: []string{"-a", "-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.do()
			barrier(t, h)
			if got := log.take(); !slices.Equal(got, tc.want) {
				t.Fatalf("presence events %v, want %v", got, tc.want)
			}
		})
	}
}

// The hook may call back into the hub (it only enqueues).
func TestOnPresenceMayCallHub(t *testing.T) {
	var h *Hub
	var mu sync.Mutex
	var seen []int
	hook := func(user string, present bool) {
		if present {
			h.Sessions(user, func(ms []*Member) {
				mu.Lock()
				seen = append(seen, len(ms))
				mu.Unlock()
			})
		}
	}
	var err error
	if h, err = New(Config{Shards: 2, OnPresence: hook}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	h.Add(newMember("u", "s1"))
	barrier(t, h)
	barrier(t, h)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, []int{1}) {
		t.Fatalf("sessions seen from the hook: %v, want [1]", seen)
	}
}
