package hub

import "sync/atomic"

// cacheLine is the padding unit that keeps producer-written and
// owner-written words of a shard on different cache lines.
const cacheLine = 64

// mpsc is Dmitry Vyukov's intrusive multi-producer single-consumer queue.
// push is wait-free (one atomic swap, one store, one add) and may be called
// from any goroutine; pop and done may be called only by the single consumer.
//
// A pushed node is linked to its predecessor only after the swap, so for a
// moment a producer may have published a node that the consumer cannot reach
// yet; pop then returns nil. The shard's park logic relies on this: the
// producer that completes such a link checks the owner's state afterwards.
type mpsc struct {
	_       [cacheLine]byte
	head    atomic.Pointer[op] // last pushed node; swapped by producers
	backlog atomic.Int64       // pushed minus reported done; on head's line
	_       [cacheLine - 16]byte
	tail    *op // next node to pop; consumer only
	stub    op  // placeholder that keeps the list non-empty
}

// init must run once, on the queue's final address, before any push.
func (q *mpsc) init() {
	q.head.Store(&q.stub)
	q.tail = &q.stub
}

// push appends n and returns the backlog including n. Goroutine-safe.
func (q *mpsc) push(n *op) int64 {
	q.link(n)
	return q.backlog.Add(1)
}

// link is push without the accounting (the consumer re-inserts the stub
// with it).
func (q *mpsc) link(n *op) {
	n.next.Store(nil)
	prev := q.head.Swap(n)
	prev.next.Store(n)
}

// done reports n popped nodes as finished. Consumer only.
func (q *mpsc) done(n int64) {
	q.backlog.Add(-n)
}

// pop removes and returns the oldest reachable node, or nil. Consumer only.
func (q *mpsc) pop() *op {
	tail := q.tail
	next := tail.next.Load()
	if tail == &q.stub {
		if next == nil {
			return nil
		}
		q.tail = next
		tail = next
		next = next.next.Load()
	}
	if next != nil {
		q.tail = next
		return tail
	}
	if tail != q.head.Load() {
		return nil // a producer has swapped head but not linked tail yet
	}
	q.link(&q.stub)
	next = tail.next.Load()
	if next != nil {
		q.tail = next
		return tail
	}
	return nil // a producer got in before the stub; its link is pending
}
