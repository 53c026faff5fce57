package bench

import (
	"bytes"
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
	e := &chatRun{cfg: cfg, capped: capped, logs: make([]senderLog, cfg.Conns), start: make(chan struct{})}
	e.stopCtx, e.stop = context.WithCancel(ctx)
	defer e.stop()
	e.r = newRunner("chat", cfg, true)
	e.r.onOpen = e.open
	e.r.connectAll(ctx, e.body)

	for _, c := range e.r.openConns() {
		e.peers = append(e.peers, c)
	}
	close(e.start)
	held := e.r.hold(ctx, cfg.Duration)
	e.stop()
	e.senders.Wait()
	e.drain(ctx)
	e.r.closeAll()

	rep := e.r.report()
	rep.HoldSeconds = held.Seconds()
	rep.Chat = e.report(held)
	for name, rec := range map[string]*recorder{LatencyAck: &e.ack, LatencyE2E: &e.e2e} {
		if s := rec.summary(); s.Count > 0 {
			rep.Latency[name] = s
		}
	}
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
}

// chatConn is one user's sending state, shared by its sender and reader.
type chatConn struct {
	c     *conn
	slots chan struct{} // one per request in flight; nil when uncapped
	mu    sync.Mutex
	ring  []stamp // guarded by mu: send time by seq modulo len
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

// drain waits up to cfg.Timeout until every request is answered and every
// acked message that the server said it delivered has arrived.
func (e *chatRun) drain(ctx context.Context) {
	deadline := time.Now().Add(e.cfg.Timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		answered := e.acked.Load() + e.ackErrs.total()
		if answered >= e.sent.Load() && e.delivered.Load() >= e.acked.Load()-e.ackedNone.Load() {
			return
		}
		sleepUntil(ctx, time.Now().Add(drainPoll))
	}
}

// sendLoop sends SEND requests from the start until the stop.
func (e *chatRun) sendLoop(cc *chatConn) {
	defer e.senders.Done()
	select {
	case <-e.start:
	case <-e.stopCtx.Done():
		return
	}
	var interval time.Duration
	next := time.Now()
	if e.cfg.MsgRate > 0 {
		interval = time.Duration(float64(time.Second) / e.cfg.MsgRate)
		next = next.Add(rand.N(interval + 1))
	}
	var buf []byte
	for seq := int64(1); ; seq++ {
		if interval > 0 {
			if !sleepUntil(e.stopCtx, next) {
				return
			}
			next = next.Add(interval)
		}
		if cc.slots != nil {
			select {
			case cc.slots <- struct{}{}:
			case <-e.stopCtx.Done():
				return
			}
		}
		if e.stopCtx.Err() != nil {
			return
		}
		ns := time.Now().UnixNano()
		buf = e.appendSend(buf[:0], cc.c.id, seq, ns)
		cc.stampSent(seq, ns)
		if cc.c.write(ws.OpText, buf) != nil {
			return
		}
		e.sent.Add(1)
		e.r.msgsOut.Add(1)
	}
}

// appendSend appends a SEND request from sender index from to a random peer.
func (e *chatRun) appendSend(b []byte, from int, seq, ns int64) []byte {
	b = append(b, `{"cmd_id":2001,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"body":{"to_uid":"`...)
	b = append(b, e.pickPeer(from).uid...)
	b = append(b, `","content":"`...)
	start := len(b)
	b = append(b, contentPrefix...)
	b = strconv.AppendInt(b, ns, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(from), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, ':')
	for len(b)-start < e.cfg.Payload {
		b = append(b, 'x')
	}
	return append(b, `"}}`...)
}

// pickPeer returns a random connected user other than the one with index
// self (itself when alone).
func (e *chatRun) pickPeer(self int) *conn {
	for {
		p := e.peers[rand.IntN(len(e.peers))]
		if p.id != self || len(e.peers) < 2 {
			return p
		}
	}
}

// body reads answers and pushes until the connection ends.
func (e *chatRun) body(c *conn) error {
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
	default:
		e.foreign.Add(1)
	}
}

func (e *chatRun) onAck(cc *chatConn, seq, code int64, body []byte) {
	select {
	case <-cc.slots:
	default:
	}
	if code != codeOK {
		e.ackErrs.add("code " + strconv.FormatInt(code, 10))
		return
	}
	e.acked.Add(1)
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
	_ = eachField(body, func(k, v []byte) bool {
		if string(k) == "content" {
			content, _ = jsonPlainString(v)
			return false
		}
		return true
	})
	ns, from, seq, ok := parseContent(content)
	if !ok || from < 0 || from >= len(e.logs) {
		e.foreign.Add(1)
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

// parseContent reads "bench:<ns>:<from>:<seq>:..." content.
func parseContent(s []byte) (ns int64, from int, seq int64, ok bool) {
	rest, found := bytes.CutPrefix(s, []byte(contentPrefix))
	if !found {
		return 0, 0, 0, false
	}
	var f [3]int64
	for i := range f {
		end := bytes.IndexByte(rest, ':')
		if end < 0 {
			return 0, 0, 0, false
		}
		if f[i], ok = jsonInt(rest[:end]); !ok || f[i] < 0 {
			return 0, 0, 0, false
		}
		rest = rest[end+1:]
	}
	return f[0], int(f[1]), f[2], f[1] < 1<<31
}

// senderLog records which of one sender's seqs were delivered. The zero
// value is ready; safe for concurrent use.
type senderLog struct {
	mu   sync.Mutex
	bits []uint64 // guarded by mu
}

// maxSeq bounds the seqs a senderLog tracks (8 MiB of bits per sender).
const maxSeq = 1 << 26

// mark records seq and reports whether it is new.
func (l *senderLog) mark(seq int64) bool {
	if seq <= 0 || seq >= maxSeq {
		return true
	}
	w, bit := int(seq/64), uint64(1)<<(seq%64)
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.bits) <= w {
		l.bits = append(l.bits, 0)
	}
	if l.bits[w]&bit != 0 {
		return false
	}
	l.bits[w] |= bit
	return true
}
