package cluster

import "github.com/nats-io/nats.go"

// pubItem is one message for the publisher goroutine.
type pubItem struct {
	subject string
	reply   string // backend requests: the reply subject
	data    []byte
	hdr     nats.Header // control messages
	token   uint64      // backend requests: the request to fail if the publish fails
}

// Publish hands payload, one complete server→client JSON message, to the
// other nodes with sessions of userID (and to nobody else). It returns at
// once: ErrUnavailable while NATS is disconnected, ErrBusy when the publish
// queue is full, ErrBadUserID for "". payload is read later by another
// goroutine and must not be modified afterwards.
func (b *Bus) Publish(userID string, payload []byte) error {
	if userID == "" {
		return ErrBadUserID
	}
	return b.enqueue(pubItem{subject: UserSubject(userID), data: payload})
}

// PublishControl sends a control message of the given kind about userID to
// the other nodes with sessions of userID; their Handlers.Control gets it
// (never this node's). It returns at once, like Publish. data must not be
// modified afterwards.
func (b *Bus) PublishControl(userID, kind string, data []byte) error {
	if userID == "" {
		return ErrBadUserID
	}
	hdr := nats.Header{HeaderControl: {kind}, HeaderNode: {b.cfg.NodeID}}
	return b.enqueue(pubItem{subject: UserSubject(userID), data: data, hdr: hdr})
}

// enqueue puts it on the publish queue without waiting.
func (b *Bus) enqueue(it pubItem) error {
	if !b.ready.Load() {
		b.stats.PublishFailed.Add(1)
		return ErrUnavailable
	}
	select {
	case b.pub <- it:
		return nil
	default:
		b.stats.PublishFailed.Add(1)
		return ErrBusy
	}
}

// publishLoop is the only goroutine that publishes: nats.go may block it on
// a full socket (up to Config.WriteTimeout), never a caller of Publish.
func (b *Bus) publishLoop() {
	defer b.wg.Done()
	for {
		select {
		case it := <-b.pub:
			b.publish(&it)
		case <-b.done:
			return
		}
	}
}

func (b *Bus) publish(it *pubItem) {
	var err error
	switch {
	case it.hdr != nil || it.reply != "":
		err = b.nc.PublishMsg(&nats.Msg{Subject: it.subject, Reply: it.reply, Header: it.hdr, Data: it.data})
	default:
		err = b.nc.Publish(it.subject, it.data)
	}
	if err != nil {
		b.stats.PublishFailed.Add(1)
		if it.token != 0 {
			b.reqs.finish(it.token, nil, ErrUnavailable, nil)
		}
		return
	}
	b.stats.Published.Add(1)
}
