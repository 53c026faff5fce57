package cluster

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// requests is the table of backend requests in flight, by token (the last
// token of the reply subject).
type requests struct {
	mu      sync.Mutex
	m       map[uint64]*pending // guarded by mu
	next    uint64              // guarded by mu
	max     int
	timeout time.Duration
}

type pending struct {
	done  func([]byte, error)
	timer *time.Timer
}

func (r *requests) init(max int, timeout time.Duration) {
	r.m = make(map[uint64]*pending)
	r.max, r.timeout = max, timeout
}

// add registers done and arms its timeout; it returns the token, or 0 when
// the table is full.
func (r *requests) add(done func([]byte, error), onTimeout func(uint64)) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.m) >= r.max {
		return 0
	}
	r.next++
	tok := r.next
	p := &pending{done: done}
	r.m[tok] = p
	p.timer = time.AfterFunc(r.timeout, func() { onTimeout(tok) })
	return tok
}

// take removes request tok from the table and stops its timer; nil when
// it has ended already. Whoever takes it must end it.
func (r *requests) take(tok uint64) *pending {
	r.mu.Lock()
	p := r.m[tok]
	delete(r.m, tok)
	r.mu.Unlock()
	if p != nil {
		p.timer.Stop()
	}
	return p
}

// finish ends request tok with a reply or an error, exactly once: later
// calls for the same token do nothing. count, when not nil, is added to
// first.
func (r *requests) finish(tok uint64, data []byte, err error, count *atomic.Int64) {
	if p := r.take(tok); p != nil {
		if count != nil {
			count.Add(1)
		}
		p.done(data, err)
	}
}

// cancel forgets request tok without calling its done.
func (r *requests) cancel(tok uint64) { r.take(tok) }

// failAll ends every request in flight with err.
func (r *requests) failAll(err error) {
	r.mu.Lock()
	m := r.m
	r.m = make(map[uint64]*pending)
	r.mu.Unlock()
	for _, p := range m {
		p.timer.Stop()
		p.done(nil, err)
	}
}

// Request sends data to the backends serving cmdID (subject
// gateway.up.<cmdID>) as a NATS request. It returns at once: an error means
// the request was not sent and done will not be called. Otherwise done runs
// exactly once, on a bus goroutine, with the reply's data, or with
// ErrNoResponders, ErrTimeout or ErrUnavailable. done must not block. data
// must not be modified afterwards.
func (b *Bus) Request(cmdID int, data []byte, done func(reply []byte, err error)) error {
	if !b.ready.Load() {
		b.stats.PublishFailed.Add(1)
		return ErrUnavailable
	}
	tok := b.reqs.add(done, b.timeout)
	if tok == 0 {
		b.stats.PublishFailed.Add(1)
		return ErrBusy
	}
	it := pubItem{subject: UpSubject(cmdID), reply: b.inbox + strconv.FormatUint(tok, 36), data: data, token: tok}
	if err := b.enqueue(it); err != nil {
		b.reqs.cancel(tok)
		return err
	}
	b.stats.Requests.Add(1)
	return nil
}

func (b *Bus) timeout(tok uint64) { b.reqs.finish(tok, nil, ErrTimeout, &b.stats.Timeouts) }

// replyLoop matches replies to requests.
func (b *Bus) replyLoop() {
	defer b.wg.Done()
	for {
		select {
		case m := <-b.replies:
			b.reply(m)
		case <-b.done:
			return
		}
	}
}

func (b *Bus) reply(m *nats.Msg) {
	tok, err := strconv.ParseUint(m.Subject[min(len(b.inbox), len(m.Subject)):], 36, 64)
	if err != nil {
		return
	}
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		b.reqs.finish(tok, nil, ErrNoResponders, &b.stats.NoResponders)
		return
	}
	b.reqs.finish(tok, m.Data, nil, nil)
}
