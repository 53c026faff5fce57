package bench

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
)

// Room commands of the gateway (PROTOCOL.md §3).
const (
	cmdPublish     = 2103
	cmdRoomMessage = 3101
)

// RoomName is the room of connection i (its index in the whole run) among
// rooms rooms: "bench:<i mod rooms>".
func RoomName(i, rooms int) string { return "bench:" + strconv.Itoa(i%rooms) }

// Room connects cfg.Conns members; connection i of the run is in room
// RoomName(i, cfg.Rooms) through its token's "rooms" claim. The first
// cfg.Publishers connections of the run also PUBLISH (cmd 2103) to their
// room, cfg.MsgRate per second each (as fast as cfg.Inflight allows when
// zero), for cfg.Duration. Every member checks every 3101 it gets: the
// publisher's sequence must grow by one (else a gap), never repeat (a
// duplicate) nor go back (out of order). It reports deliveries per second,
// per server CPU-second (with -server-pid), publish→delivery latency over
// every delivery, and loss: the deliveries the acknowledged publishes
// called for (members of the room but the publisher) that never came.
func Room(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.ReadBuffer == 0 {
		cfg.ReadBuffer = 16 << 10
	}
	cfg.Rooms, cfg.Publishers = pick(cfg.Rooms, 1), pick(cfg.Publishers, 1)
	if cfg.RoomsPerConn > 1 {
		return nil, fmt.Errorf("%w: room wants one room per connection (-rooms-per-conn 1)", ErrBadConfig)
	}
	if cfg.Auth == AuthLogin || cfg.Auth == AuthNone {
		return nil, fmt.Errorf("%w: room needs -auth query, header or subprotocol (members join by the token's rooms claim)", ErrBadConfig)
	}
	capped := cfg.Inflight > 0 || cfg.MsgRate == 0
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	total := max(cfg.PeerUsers, cfg.FirstConn+cfg.Conns)
	e := &roomRun{cfg: cfg, capped: capped, total: total, start: make(chan struct{})}
	e.stopCtx, e.stop = context.WithCancel(ctx)
	defer e.stop()
	e.r = newRunner("room", cfg, true)
	e.r.onOpen = e.open
	e.r.connectAll(ctx, e.body)

	var held time.Duration
	if e.r.sync(ctx, StageConnected) {
		e.r.markLoad(0)
		close(e.start)
		held = e.r.hold(ctx, cfg.Duration)
	}
	e.stop()
	e.senders.Wait()
	e.r.sync(ctx, StageHeld)
	drainStart := time.Now()
	e.drain(ctx)
	drained := time.Since(drainStart)
	e.r.markLoad(1)
	e.r.sync(ctx, StageDrained)
	e.r.closeAll()

	rep := e.r.report()
	rep.HoldSeconds = held.Seconds()
	rep.Room = e.report(held, drained)
	rep.Server = e.r.serverLoad(rep.Room.Delivered)
	rep.Client = e.r.clientLoad(rep.Room.Delivered)
	rep.addLatency(LatencyAck, &e.ack)
	rep.addLatency(LatencyE2E, &e.e2e)
	return rep, nil
}

// roomRun is the state of one room run.
type roomRun struct {
	cfg     Config
	capped  bool
	total   int // connections of the whole run
	r       *runner
	start   chan struct{}
	stopCtx context.Context
	stop    context.CancelFunc
	senders sync.WaitGroup

	published, acked, expected                 atomic.Int64
	delivered, dups, outOfOrder, gaps, foreign atomic.Int64
	ackErrs                                    kindCounter
	ack, e2e                                   recorder
}

// roomMember is one connection's receiving state; last[p] is the last
// sequence seen from publisher p. Owner goroutine only, except pub.
type roomMember struct {
	last []int64
	pub  *chatConn // the publishing state of a publisher, else nil
}

// open starts a publisher's sender; every connection gets its state.
func (e *roomRun) open(c *conn) {
	m := &roomMember{last: make([]int64, e.cfg.Publishers)}
	c.room = m
	if e.cfg.FirstConn+c.id >= e.cfg.Publishers {
		return
	}
	cc := &chatConn{c: c, ring: make([]stamp, uncappedAckRing)}
	if e.capped {
		cc.slots = make(chan struct{}, e.cfg.Inflight)
		cc.ring = make([]stamp, max(minAckRing, 2*e.cfg.Inflight))
	}
	m.pub = cc
	e.senders.Add(1)
	go e.sendLoop(cc)
}

// members is the number of connections of the run in room r.
func (e *roomRun) members(r int) int64 {
	n := e.total / e.cfg.Rooms
	if r < e.total%e.cfg.Rooms {
		n++
	}
	return int64(n)
}

// sendLoop publishes from the start until the stop.
func (e *roomRun) sendLoop(cc *chatConn) {
	defer e.senders.Done()
	p, ok := startPacer(e.stopCtx, e.start, e.cfg.MsgRate)
	if !ok {
		return
	}
	var buf []byte
	for seq := int64(1); ; seq++ {
		if next, paced := p.tick(); paced && !(sleepUntil(e.stopCtx, next)) {
			return
		}
		if !cc.takeSlot(e.stopCtx) {
			return
		}
		ns := time.Now().UnixNano()
		buf = e.appendPublish(buf[:0], cc.c, seq, ns)
		cc.stampSent(seq, ns)
		if cc.c.write(ws.OpText, buf) != nil {
			return
		}
		e.published.Add(1)
		e.r.msgsOut.Add(1)
	}
}

// appendPublish appends a PUBLISH of c to its room; the content is
// "bench:<ns>:<publisher>:<seq>:" and filler (cfg.Text) up to cfg.Payload.
func (e *roomRun) appendPublish(b []byte, c *conn, seq, ns int64) []byte {
	from := e.cfg.FirstConn + c.id
	b = append(b, `{"cmd_id":2103,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"body":{"room":"`...)
	b = append(b, RoomName(from, e.cfg.Rooms)...)
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
		b = appendFiller(b, e.cfg.Text, n, seq) // -text: x, en or zh
	}
	return append(b, `"}}`...)
}

// body reads pushes and answers until the connection ends.
func (e *roomRun) body(c *conn) error {
	for {
		op, p, err := c.readData()
		if err != nil {
			return err
		}
		if op != ws.OpText {
			e.foreign.Add(1)
			continue
		}
		e.handle(c, p)
	}
}

var (
	roomPushHead = []byte(`{"cmd_id":3101,`)
	contentKey   = []byte(`"content":"` + contentPrefix)
)

// handle accounts for one server message. A 3101 is looked at without a
// JSON parse (the bench client must keep up with a fan-out).
func (e *roomRun) handle(c *conn, p []byte) {
	if bytes.HasPrefix(p, roomPushHead) {
		at := bytes.Index(p, contentKey)
		if at < 0 {
			e.foreign.Add(1)
			return
		}
		ns, from, seq, ok := parseContent(p[at+len(contentKey)-len(contentPrefix):])
		if !ok || from >= e.cfg.Publishers {
			e.foreign.Add(1)
			return
		}
		e.e2e.record(c.id, time.Duration(time.Now().UnixNano()-ns))
		e.r.msgsIn.Add(1)
		e.onDelivery(c.room, from, seq)
		return
	}
	var cmd, seq, code int64
	err := eachField(p, func(k, v []byte) bool {
		switch string(k) {
		case "cmd_id":
			cmd, _ = jsonInt(v)
		case "seq":
			seq, _ = jsonInt(v)
		case "code":
			code, _ = jsonInt(v)
		}
		return true
	})
	if err != nil || cmd != cmdPublish || c.room.pub == nil {
		e.foreign.Add(1)
		return
	}
	e.onAck(c, seq, code)
}

// onDelivery checks one delivery against the publisher's sequence.
func (e *roomRun) onDelivery(m *roomMember, from int, seq int64) {
	last := m.last[from]
	switch {
	case seq == last:
		e.dups.Add(1)
	case seq < last:
		e.outOfOrder.Add(1)
	default:
		if seq > last+1 {
			e.gaps.Add(seq - last - 1)
		}
		m.last[from] = seq
		e.delivered.Add(1)
	}
}

func (e *roomRun) onAck(c *conn, seq, code int64) {
	cc := c.room.pub
	select {
	case <-cc.slots:
	default:
	}
	if code != codeOK {
		e.ackErrs.add("code " + strconv.FormatInt(code, 10))
		return
	}
	e.acked.Add(1)
	from := e.cfg.FirstConn + c.id
	e.expected.Add(e.members(from%e.cfg.Rooms) - 1)
	if ns, ok := cc.sentAt(seq); ok {
		e.ack.record(c.id, time.Duration(time.Now().UnixNano()-ns))
	}
}

// drain waits up to cfg.Timeout for answers and deliveries in flight; in
// a run spread over processes, until deliveries stay still for drainQuiet.
func (e *roomRun) drain(ctx context.Context) {
	deadline := time.Now().Add(e.cfg.Timeout)
	last, quietSince := int64(-1), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		got := e.delivered.Load() + e.dups.Load() + e.outOfOrder.Load()
		if got != last {
			last, quietSince = got, time.Now()
		}
		if e.acked.Load()+e.ackErrs.total() >= e.published.Load() {
			if e.cfg.PeerUsers == 0 && e.delivered.Load() >= e.expected.Load() {
				return
			}
			if time.Since(quietSince) >= drainQuiet {
				return
			}
		}
		sleepUntil(ctx, time.Now().Add(drainPoll))
	}
}

// report summarizes the counters.
func (e *roomRun) report(held, drained time.Duration) *RoomReport {
	rep := &RoomReport{Rooms: e.cfg.Rooms, Publishers: e.cfg.Publishers, Payload: e.cfg.Payload,
		MsgRate: e.cfg.MsgRate, Published: e.published.Load(), Acked: e.acked.Load(),
		AckErrors: e.ackErrs.snapshot(), Expected: e.expected.Load(), Delivered: e.delivered.Load(),
		Duplicates: e.dups.Load(), OutOfOrder: e.outOfOrder.Load(), Gaps: e.gaps.Load(),
		Foreign: e.foreign.Load()}
	rep.DrainSeconds = drained.Seconds()
	rep.finish(held.Seconds())
	return rep
}

// RoomReport is the room scenario's part of a Report.
type RoomReport struct {
	Rooms      int              `json:"rooms"`
	Publishers int              `json:"publishers"`
	Payload    int              `json:"payload"`
	MsgRate    float64          `json:"msg_rate_per_publisher"`
	Published  int64            `json:"published"`
	Acked      int64            `json:"acked"`
	AckErrors  map[string]int64 `json:"ack_errors,omitempty"`
	Expected   int64            `json:"expected"`     // deliveries the acked publishes call for
	Delivered  int64            `json:"delivered"`    // distinct deliveries, in order
	Lost       int64            `json:"lost"`         // expected but never delivered
	Duplicates int64            `json:"duplicates"`   // a sequence delivered twice to one member
	OutOfOrder int64            `json:"out_of_order"` // a sequence older than one already delivered
	Gaps       int64            `json:"gaps"`         // sequences skipped in a member's stream
	Foreign    int64            `json:"foreign"`
	Seconds    float64          `json:"seconds"` // the publishing time
	// DrainSeconds is how long deliveries went on after the publishers
	// stopped: well over the latency means the server fell behind.
	DrainSeconds float64 `json:"drain_seconds"`
	PubRate      float64 `json:"published_per_sec"`
	// Rate is deliveries per second of publishing and draining together:
	// what the server sustained.
	Rate float64 `json:"delivered_per_sec"`
}

func (r *RoomReport) finish(seconds float64) {
	r.Seconds = seconds
	r.Lost = max(r.Expected-r.Delivered, 0)
	if seconds > 0 {
		r.PubRate = float64(r.Published) / seconds
		r.Rate = float64(r.Delivered) / (seconds + r.DrainSeconds)
	}
}

// mergeRoom adds b to a (either may be nil).
func mergeRoom(a, b *RoomReport) *RoomReport {
	if b == nil {
		return a
	}
	if a == nil {
		c := *b
		return &c
	}
	a.Published += b.Published
	a.Acked += b.Acked
	a.Expected += b.Expected
	a.Delivered += b.Delivered
	a.Duplicates += b.Duplicates
	a.OutOfOrder += b.OutOfOrder
	a.Gaps += b.Gaps
	a.Foreign += b.Foreign
	for k, v := range b.AckErrors {
		if a.AckErrors == nil {
			a.AckErrors = map[string]int64{}
		}
		a.AckErrors[k] += v
	}
	a.DrainSeconds = max(a.DrainSeconds, b.DrainSeconds)
	a.finish(max(a.Seconds, b.Seconds))
	return a
}

func (r *Report) roomRows(p func(string, ...any)) {
	m := r.Room
	if m == nil {
		return
	}
	p("room\t %d rooms, %d publishers, %d B content, %.0f/s per publisher\n", m.Rooms, m.Publishers, m.Payload, m.MsgRate)
	p("room published\t %d (%.0f/s), acked %d\n", m.Published, m.PubRate, m.Acked)
	if len(m.AckErrors) > 0 {
		p("room ack errors\t %s\n", kinds(m.AckErrors))
	}
	p("room delivered\t %d of %d expected (%.0f/s over %.1fs publishing + %.1fs draining), lost %d, duplicates %d, out of order %d, gaps %d, foreign %d\n",
		m.Delivered, m.Expected, m.Rate, m.Seconds, m.DrainSeconds, m.Lost, m.Duplicates, m.OutOfOrder, m.Gaps, m.Foreign)
}
