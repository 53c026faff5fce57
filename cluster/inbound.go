package cluster

import "github.com/nats-io/nats.go"

// inboundLoop hands the messages of user subjects to the handlers, in the
// order NATS delivered them.
func (b *Bus) inboundLoop() {
	defer b.wg.Done()
	for {
		select {
		case m := <-b.in:
			b.dispatch(m)
		case <-b.done:
			return
		}
	}
}

func (b *Bus) dispatch(m *nats.Msg) {
	b.stats.Received.Add(1)
	if b.dispatchRoom(m) {
		return
	}
	user, ok := UserFromSubject(m.Subject)
	nodeSubject := false
	if !ok {
		user, ok = b.nodeControlUser(m)
		nodeSubject = true
	}
	kind := controlKind(m)
	if !ok || user == "" || (nodeSubject && kind == "") {
		b.stats.Dropped.Add(1)
		return
	}
	if kind != "" {
		if b.h.Control == nil {
			b.stats.Dropped.Add(1)
			return
		}
		b.h.Control(user, kind, m.Header.Get(HeaderNode), m.Data)
		return
	}
	if b.h.Push == nil || len(m.Data) == 0 {
		b.stats.Dropped.Add(1)
		return
	}
	b.h.Push(user, m.Data)
}

// controlKind is the Gateway-Control header of m, "" for a push.
func controlKind(m *nats.Msg) string {
	if m.Header == nil {
		return ""
	}
	return m.Header.Get(HeaderControl)
}
