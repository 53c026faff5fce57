package bench

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
)

// Churn (Config.Churn): each user of a chat run disconnects and reconnects
// at random, Config.Churn of them per second on average, resuming from the
// last inbox offset it saw (?since=&epoch=, PROTOCOL.md §8). The report
// then counts exactly which acknowledged messages never reached their
// recipient (per sender and seq, not by subtracting totals), pushes that
// came with an offset not above the last one seen (out of order), and the
// sender's own copies replayed to it (not deliveries).

const cmdSync = 1005

// churnState is one user's inbox position across its connections.
type churnState struct {
	cur    atomic.Pointer[conn] // the connection sends go to
	exited chan struct{}        // a body of this user returned
	next   time.Time            // next reconnect; sender goroutine only
	dead   bool                 // cur's reader has exited (a reconnect failed); sender only
	// outstanding counts the requests of the current connection not
	// answered yet; a reconnect abandons them.
	outstanding atomic.Int64

	mu    sync.Mutex
	epoch string // guarded by mu
	last  uint64 // guarded by mu: offset of the last 3001 seen
}

// churnCounters are the churn run's counters.
type churnCounters struct {
	reconnects, reconnectErrs, outOfOrder, own, syncLost atomic.Int64
	abandoned                                            atomic.Int64 // requests whose connection a reconnect closed
	acks                                                 []senderLog  // by sender index: which seqs were acked
}

func newChurnState(c *conn) *churnState {
	s := &churnState{exited: make(chan struct{}, 1), epoch: c.inboxEpoch, last: c.inboxOffset}
	s.cur.Store(c)
	return s
}

// scheduleChurn draws the next reconnect: exponential with mean 1/Churn.
func (e *chatRun) scheduleChurn(cs *churnState, from time.Time) {
	cs.next = from.Add(time.Duration(rand.ExpFloat64() / e.cfg.Churn * float64(time.Second)))
}

// churnDue reports whether cc's user should reconnect now. Sender only.
func (e *chatRun) churnDue(cc *chatConn) bool {
	cs := cc.churn
	if cs == nil {
		return false
	}
	if cs.next.IsZero() {
		e.scheduleChurn(cs, time.Now())
	}
	return e.dropped(cs) || time.Now().After(cs.next)
}

// dropped reports whether cc's user is offline without having chosen to be:
// the server closed its connection (a node killed, a slow-consumer close)
// or its last reconnect failed. Such a user reconnects at its next send,
// not at its next churn turn, as a real client would; otherwise its
// messages would wait in the inbox past the end of the run and count as
// lost. Sender only.
func (e *chatRun) dropped(cs *churnState) bool {
	if cs.dead {
		return e.stopCtx.Err() == nil
	}
	select {
	case <-cs.exited:
	default:
		return false
	}
	cs.dead = true
	e.churn.abandoned.Add(cs.outstanding.Swap(0))
	return !cs.cur.Load().closing.Load() && e.stopCtx.Err() == nil
}

// churnUntil runs the reconnects due before t (a paced sender sleeps
// between sends; its user's reconnects must not wait for them). It
// reports false when the run stops. Sender only.
func (e *chatRun) churnUntil(cc *chatConn, t time.Time) bool {
	cs := cc.churn
	if cs == nil {
		return true
	}
	if cs.next.IsZero() {
		e.scheduleChurn(cs, time.Now())
	}
	if e.dropped(cs) {
		e.reconnect(cc)
	}
	for cs.next.Before(t) {
		if !sleepUntil(e.stopCtx, cs.next) {
			return false
		}
		e.reconnect(cc)
	}
	return true
}

// reconnect closes cc's connection, waits for its reader to finish, and
// opens a new one that resumes from the last offset seen. Sender only;
// on failure the user tries again at its next send (see dropped).
func (e *chatRun) reconnect(cc *chatConn) {
	cs := cc.churn
	e.scheduleChurn(cs, time.Now())
	old := cs.cur.Load()
	if !cs.dead {
		old.shutdown()
		<-cs.exited
		cs.dead = true
		e.churn.abandoned.Add(cs.outstanding.Swap(0))
	}
	if cc.slots != nil { // requests in flight on the old connection get no answer
	drain:
		for {
			select {
			case <-cc.slots:
			default:
				break drain
			}
		}
	}
	cs.mu.Lock()
	q := "since=" + strconv.FormatUint(cs.last, 10) + "&epoch=" + cs.epoch
	cs.mu.Unlock()
	nc, err := e.r.k.openWith(old.id, q)
	if err != nil {
		e.churn.reconnectErrs.Add(1)
		return
	}
	nc.chat = cc
	cs.dead = false
	cs.mu.Lock()
	if nc.inboxEpoch != cs.epoch { // the inbox lost its history: start over
		cs.epoch, cs.last = nc.inboxEpoch, nc.inboxOffset
	}
	cs.mu.Unlock()
	cs.cur.Store(nc)
	e.churn.reconnects.Add(1)
	e.r.adopt(nc, e.body)
}

// onPushOffsets follows the chain of 3001s one device sees. It reports
// whether the push is the user's own message (not a delivery).
func (e *chatRun) onPushOffsets(cc *chatConn, off uint64, from int) bool {
	cs := cc.churn
	cs.mu.Lock()
	if off != 0 && off <= cs.last {
		e.churn.outOfOrder.Add(1)
	}
	cs.last = max(cs.last, off)
	cs.mu.Unlock()
	if from == e.cfg.FirstConn+cc.c.id {
		e.churn.own.Add(1)
		return true
	}
	return false
}

// onSync handles the 1005 that ends a resume: with "more", SYNC again
// from the last offset seen.
func (e *chatRun) onSync(cc *chatConn, body []byte) {
	more, lost := false, false
	_ = eachField(body, func(k, v []byte) bool {
		switch string(k) {
		case "more":
			more = string(v) == "true"
		case "lost":
			lost = string(v) == "true"
		}
		return true
	})
	if lost {
		e.churn.syncLost.Add(1)
	}
	if more {
		cs := cc.churn
		cs.mu.Lock()
		since := cs.last
		cs.mu.Unlock()
		b := strconv.AppendUint([]byte(`{"cmd_id":1005,"body":{"since":`), since, 10)
		_ = cs.cur.Load().write(ws.OpText, append(b, `}}`...))
	}
}

// ackedLost counts the acknowledged messages never delivered, sender by
// sender and seq by seq.
func (e *chatRun) ackedLost() int64 {
	var n int64
	for i := range e.churn.acks {
		n += e.churn.acks[i].missingFrom(&e.logs[i])
	}
	return n
}

// missingFrom counts the seqs set in l and not in d.
func (l *senderLog) missingFrom(d *senderLog) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	var n int64
	for w, bits := range l.bits {
		if w < len(d.bits) {
			bits &^= d.bits[w]
		}
		for ; bits != 0; bits &= bits - 1 {
			n++
		}
	}
	return n
}

// adopt registers a connection opened outside connectAll (a churn
// reconnect) and runs body on it like the others.
func (r *runner) adopt(c *conn, body func(*conn) error) {
	r.mu.Lock()
	r.conns = append(r.conns, c)
	r.mu.Unlock()
	r.live.Add(1)
	r.wg.Add(1)
	go r.runBody(c, body)
}

// ChurnReport is the churn part of a chat report.
type ChurnReport struct {
	Rate            float64 `json:"rate_per_user_per_sec"`
	Reconnects      int64   `json:"reconnects"`
	ReconnectErrors int64   `json:"reconnect_errors"`
	// AckedLost are messages acknowledged to their sender (200) that never
	// reached their recipient's device: must be 0.
	AckedLost  int64 `json:"acked_lost"`
	Abandoned  int64 `json:"abandoned"`    // SENDs whose answer a reconnect cut off (not acknowledged)
	OutOfOrder int64 `json:"out_of_order"` // pushes with an offset not above the last seen
	Own        int64 `json:"own_copies"`   // the sender's own messages replayed to it on resume
	SyncLost   int64 `json:"sync_lost"`    // resumes answered "lost" (pruned or another epoch)
}

func (e *chatRun) churnReport() *ChurnReport {
	if e.cfg.Churn <= 0 {
		return nil
	}
	return &ChurnReport{Rate: e.cfg.Churn, Reconnects: e.churn.reconnects.Load(),
		ReconnectErrors: e.churn.reconnectErrs.Load(), AckedLost: e.ackedLost(), Abandoned: e.churn.abandoned.Load(),
		OutOfOrder: e.churn.outOfOrder.Load(), Own: e.churn.own.Load(), SyncLost: e.churn.syncLost.Load()}
}
