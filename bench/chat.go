package bench

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
)

// contentPrefix starts the content of every SEND bench makes:
// "bench:<unix ns>:<sender index>:<seq>:" then filler up to the payload size.
const contentPrefix = "bench:"

// drainPoll is how often Chat checks whether messages in flight arrived.
const drainPoll = 10 * time.Millisecond

// Chat connects cfg.Conns users like Connect, then every user sends SEND
// (cmd 2001) to random other connected users for cfg.Duration: cfg.MsgRate
// per second each (open loop, unless cfg.Inflight is set to cap outstanding
// requests), or as fast as cfg.Inflight allows when MsgRate is zero. After the senders stop it waits
// up to cfg.Timeout for answers and pushes still in flight, then reports
// throughput, ack and end-to-end latency, loss and duplicates.
func Chat(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.ReadBuffer == 0 {
		cfg.ReadBuffer = 4096
	}
	capped := cfg.Inflight > 0 || cfg.MsgRate == 0
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	e := &chatRun{cfg: cfg, capped: capped, start: make(chan struct{}),
		logs: make([]senderLog, max(cfg.Conns+cfg.FirstConn, cfg.PeerUsers))}
	if cfg.Churn > 0 {
		e.churn.acks = make([]senderLog, len(e.logs))
	}
	e.stopCtx, e.stop = context.WithCancel(ctx)
	defer e.stop()
	e.r = newRunner("chat", cfg, true)
	e.r.onOpen = e.open
	e.r.connectAll(ctx, e.body)

	e.peers = e.r.openConns()
	var held time.Duration
	if e.r.sync(ctx, StageConnected) {
		e.r.markLoad(0)
		close(e.start)
		held = e.r.hold(ctx, cfg.Duration)
	}
	e.stop()
	e.senders.Wait()
	e.r.sync(ctx, StageHeld)
	e.drain(ctx)
	e.r.markLoad(1)
	e.r.sync(ctx, StageDrained)
	e.r.closeAll()

	rep := e.r.report()
	rep.HoldSeconds = held.Seconds()
	rep.Chat = e.report(held)
	rep.Chat.Churn = e.churnReport()
	rep.Server = e.r.serverLoad(rep.Chat.Delivered)
	rep.Client = e.r.clientLoad(rep.Chat.Delivered)
	rep.addLatency(LatencyAck, &e.ack)
	rep.addLatency(LatencyE2E, &e.e2e)
	return rep, nil
}

// chatRun is the state of one chat run. Safe for concurrent use; peers is
// written before start is closed and only read after.
type chatRun struct {
	cfg     Config
	capped  bool // cfg.Inflight caps requests in flight
	r       *runner
	start   chan struct{}
	stopCtx context.Context
	stop    context.CancelFunc
	senders sync.WaitGroup
	peers   []*conn
	logs    []senderLog // by sender index: which seqs were delivered

	sent, acked, ackedNone, delivered, dups, foreign atomic.Int64
	ackErrs                                          kindCounter
	ack, e2e                                         recorder
	churn                                            churnCounters // Config.Churn (churn.go)
}

// chatConn is one user's sending state, shared by its sender and reader.
type chatConn struct {
	c     *conn
	slots chan struct{} // one per request in flight; nil when uncapped
	mu    sync.Mutex
	ring  []stamp     // guarded by mu: send time by seq modulo len
	churn *churnState // Config.Churn: the user's current connection and inbox position
}

// Ack latency ring sizes: twice the requests in flight when capped.
const (
	minAckRing      = 64
	uncappedAckRing = 256
)

type stamp struct{ seq, ns int64 }

func (cc *chatConn) stampSent(seq, ns int64) {
	cc.mu.Lock()
	cc.ring[uint64(seq)%uint64(len(cc.ring))] = stamp{seq: seq, ns: ns}
	cc.mu.Unlock()
}

func (cc *chatConn) sentAt(seq int64) (int64, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	s := cc.ring[uint64(seq)%uint64(len(cc.ring))]
	return s.ns, s.seq == seq && seq != 0
}

// open starts c's sender, which waits for the start of the measurement.
func (e *chatRun) open(c *conn) {
	cc := &chatConn{c: c, ring: make([]stamp, uncappedAckRing)}
	if e.capped {
		cc.slots = make(chan struct{}, e.cfg.Inflight)
		cc.ring = make([]stamp, max(minAckRing, 2*e.cfg.Inflight))
	}
	c.chat = cc
	if e.cfg.Churn > 0 {
		cc.churn = newChurnState(c)
	}
	e.senders.Add(1)
	go e.sendLoop(cc)
}

// report summarizes the counters.
func (e *chatRun) report(held time.Duration) *ChatReport {
	rep := &ChatReport{
		Payload: e.cfg.Payload, MsgRate: e.cfg.MsgRate,
		Sent: e.sent.Load(), Acked: e.acked.Load(), AckedNotDelivered: e.ackedNone.Load(),
		AckErrors: e.ackErrs.snapshot(), Delivered: e.delivered.Load(),
		Duplicates: e.dups.Load(), Foreign: e.foreign.Load(),
	}
	if e.capped {
		rep.Inflight = e.cfg.Inflight
	}
	rep.Unacked = rep.Sent - rep.Acked - e.ackErrs.total()
	rep.Lost = max(rep.Acked-rep.Delivered, 0)
	if s := held.Seconds(); s > 0 {
		rep.SendRate = float64(rep.Sent) / s
		rep.DeliverRate = float64(rep.Delivered) / s
	}
	return rep
}

// drainQuiet is how long, in a run spread over processes, deliveries must
// stay still before Chat takes the pushes in flight to be in.
const drainQuiet = 200 * time.Millisecond

// drain waits up to cfg.Timeout until every request is answered and every
// acked message that the server said it delivered has arrived. When the
// run's users are spread over processes (PeerUsers set), this process's
// acks and pushes concern different messages: it waits for its answers,
// then until no push has arrived for drainQuiet.
func (e *chatRun) drain(ctx context.Context) {
	deadline := time.Now().Add(e.cfg.Timeout)
	lastDelivered, quietSince := int64(-1), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		answered := e.acked.Load() + e.ackErrs.total() + e.churn.abandoned.Load()
		got := e.delivered.Load() + e.dups.Load()
		if got != lastDelivered {
			lastDelivered, quietSince = got, time.Now()
		}
		if answered >= e.sent.Load() {
			if e.cfg.Churn > 0 {
				if e.ackedLost() == 0 {
					return
				}
			} else if e.cfg.PeerUsers == 0 && e.delivered.Load() >= e.acked.Load()-e.ackedNone.Load() {
				return
			}
			if e.cfg.PeerUsers > 0 && time.Since(quietSince) >= drainQuiet {
				return
			}
		}
		sleepUntil(ctx, time.Now().Add(drainPoll))
	}
}

// sendLoop sends SEND requests from the start until the stop.
func (e *chatRun) sendLoop(cc *chatConn) {
	defer e.senders.Done()
	p, ok := startPacer(e.stopCtx, e.start, e.cfg.MsgRate)
	if !ok {
		return
	}
	var buf []byte
	for seq := int64(1); ; seq++ {
		if next, paced := p.tick(); paced && !(e.churnUntil(cc, next) && sleepUntil(e.stopCtx, next)) {
			return
		}
		if !cc.takeSlot(e.stopCtx) {
			return
		}
		if e.churnDue(cc) {
			e.reconnect(cc)
		}
		ns := time.Now().UnixNano()
		buf = e.appendSend(buf[:0], cc.c, seq, ns)
		cc.stampSent(seq, ns)
		w := cc.c
		if cc.churn != nil {
			w = cc.churn.cur.Load()
		}
		if err := w.write(ws.OpText, buf); err != nil {
			if cc.churn == nil {
				return
			}
			// the connection is gone (a reconnect failed): wait for the next turn
			select {
			case <-cc.slots:
			default:
			}
			if !sleepUntil(e.stopCtx, time.Now().Add(10*time.Millisecond)) {
				return
			}
			continue
		}
		e.sent.Add(1)
		e.r.msgsOut.Add(1)
		if cc.churn != nil {
			cc.churn.outstanding.Add(1)
		}
	}
}

// appendSend appends a SEND request from c to a recipient picked by
// pickPeer; the content names the sender by its index in the whole run.
func (e *chatRun) appendSend(b []byte, c *conn, seq, ns int64) []byte {
	from := e.cfg.FirstConn + c.id
	b = append(b, `{"cmd_id":2001,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"body":{"to_uid":"`...)
	b = e.appendPeer(b, c)
	b = append(b, `","content":"`...)
	start := len(b)
	b = append(b, contentPrefix...)
	b = strconv.AppendInt(b, ns, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(from), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, ':')
	if n := e.cfg.Payload - (len(b) - start); n > 0 {
		b = appendFiller(b, e.cfg.Text, n, seq)
	}
	return append(b, `"}}`...)
}

// appendPeer appends the user id of c's recipient: c's own with ToSelf;
// else a random other user, by name among the whole run's users when they
// are spread over processes (PeerUsers), else among this process's
// connections (c itself when alone).
func (e *chatRun) appendPeer(b []byte, c *conn) []byte {
	switch {
	case e.cfg.To == ToSelf:
		return append(b, c.uid...)
	case e.cfg.PeerUsers > 1:
		self := e.cfg.FirstConn + c.id
		j := rand.IntN(e.cfg.PeerUsers - 1)
		if j >= self {
			j++
		}
		return append(b, e.userName(e.cfg.FirstUser-e.cfg.FirstConn+j)...)
	}
	for {
		p := e.peers[rand.IntN(len(e.peers))]
		if p.id != c.id || len(e.peers) < 2 {
			return append(b, p.uid...)
		}
	}
}

// userName is the user id the server gives user number n: the LOGIN name
// in AuthLogin, else the token's sub.
func (e *chatRun) userName(n int) string {
	if e.cfg.Auth == AuthLogin {
		return loginName(e.cfg.LoginUser, e.cfg.UserPrefix, n)
	}
	return userID(e.cfg.UserPrefix, n)
}

// body reads answers and pushes until the connection ends.
func (e *chatRun) body(c *conn) error {
	if cs := c.chat.churn; cs != nil {
		defer func() { cs.exited <- struct{}{} }()
	}
	for {
		op, p, err := c.readData()
		if err != nil {
			return err
		}
		if op != ws.OpText {
			e.foreign.Add(1)
			continue
		}
		e.handle(c.chat, p)
	}
}

// handle accounts for one server message.
func (e *chatRun) handle(cc *chatConn, p []byte) {
	var cmd, seq, code int64
	var body []byte
	err := eachField(p, func(k, v []byte) bool {
		switch string(k) {
		case "cmd_id":
			cmd, _ = jsonInt(v)
		case "seq":
			seq, _ = jsonInt(v)
		case "code":
			code, _ = jsonInt(v)
		case "body":
			body = v
		}
		return true
	})
	switch {
	case err != nil:
		e.foreign.Add(1)
	case cmd == cmdSend:
		e.onAck(cc, seq, code, body)
	case cmd == cmdMessage && code == codeOK:
		e.onPush(cc, body)
	case cmd == cmdSync && cc.churn != nil:
		e.onSync(cc, body)
	default:
		e.foreign.Add(1)
	}
}

func (e *chatRun) onAck(cc *chatConn, seq, code int64, body []byte) {
	select {
	case <-cc.slots:
	default:
	}
	if cc.churn != nil {
		cc.churn.outstanding.Add(-1)
	}
	if code != codeOK {
		e.ackErrs.add("code " + strconv.FormatInt(code, 10))
		return
	}
	e.acked.Add(1)
	if cc.churn != nil {
		e.churn.acks[e.cfg.FirstConn+cc.c.id].mark(seq)
	}
	if ns, ok := cc.sentAt(seq); ok {
		e.ack.record(cc.c.id, time.Duration(time.Now().UnixNano()-ns))
	}
	delivered, routed := int64(-1), false
	_ = eachField(body, func(k, v []byte) bool {
		switch string(k) {
		case "delivered":
			delivered, _ = jsonInt(v)
		case "routed":
			routed = string(v) == "true"
		}
		return true
	})
	if delivered == 0 && !routed {
		e.ackedNone.Add(1)
	}
}

func (e *chatRun) onPush(cc *chatConn, body []byte) {
	var content []byte
	var off int64
	_ = eachField(body, func(k, v []byte) bool {
		switch string(k) {
		case "content":
			content, _ = jsonPlainString(v)
		case "offset":
			off, _ = jsonInt(v)
		}
		return true
	})
	ns, from, seq, ok := parseContent(content)
	if !ok || from < 0 || from >= len(e.logs) {
		e.foreign.Add(1)
		return
	}
	if cc.churn != nil && e.onPushOffsets(cc, uint64(off), from) {
		return
	}
	e.e2e.record(cc.c.id, time.Duration(time.Now().UnixNano()-ns))
	e.r.msgsIn.Add(1)
	if e.logs[from].mark(seq) {
		e.delivered.Add(1)
	} else {
		e.dups.Add(1)
	}
}

// takeSlot waits for one of cc's in-flight slots when cfg.Inflight bounds
// them; false when ctx ends. Sender goroutine only.
func (cc *chatConn) takeSlot(ctx context.Context) bool {
	if cc.slots != nil {
		select {
		case cc.slots <- struct{}{}:
		case <-ctx.Done():
			return false
		}
	}
	return ctx.Err() == nil
}
