package gateway

import (
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/protocol"
)

// This file is the inbox's side of the gateway (PROTOCOL.md §8): the
// store workers, SEND's append-then-deliver path, ACK and the stored form
// of a MESSAGE. The per-session rule that keeps deliveries gap-free and
// duplicate-free is in inbox_session.go.

// Inbox workers: appends and reads run here, never on an event loop.
const (
	defaultInboxWorkers = 64
	inboxQueue          = 1024 // jobs waiting per worker; past it 503
)

// inboxSvc runs store calls on workers chosen by a hash of the user, so
// one recipient's appends run in order (and are delivered in offset order)
// while different users' appends run at once and share group commits.
type inboxSvc struct {
	store  inbox.Store
	queues []chan func()
	wg     sync.WaitGroup
	mu     sync.RWMutex // read-held to queue, write-held to stop
	closed bool
}

func newInboxSvc(store inbox.Store, workers int) *inboxSvc {
	if workers <= 0 {
		workers = defaultInboxWorkers
	}
	s := &inboxSvc{store: store, queues: make([]chan func(), workers)}
	for i := range s.queues {
		q := make(chan func(), inboxQueue)
		s.queues[i] = q
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for job := range q {
				job()
			}
		}()
	}
	return s
}

// submit queues job on user's worker. It reports false when that worker's
// queue is full or the workers have stopped. Any goroutine; never blocks.
func (s *inboxSvc) submit(user string, job func()) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	select {
	case s.queues[hashUser(user)%uint32(len(s.queues))] <- job:
		return true
	default:
		return false
	}
}

// stop ends the workers after the jobs queued (Gateway.CloseInbox).
func (s *inboxSvc) stop() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for _, q := range s.queues {
			close(q)
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func hashUser(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h ^ h>>16
}

// CloseInbox stops the inbox workers once their queued jobs have run; the
// caller closes the store afterwards. Call it after the engine stopped.
func (g *Gateway) CloseInbox() {
	if g.ib != nil {
		g.ib.stop()
	}
}

// sendInbox is SEND with the inbox on: the worker appends the message to
// the recipient's inbox and (another user) the sender's, and only then
// delivers and answers; a failed append answers 503 and delivers nothing.
func (g *Gateway) sendInbox(s *session, reply protocol.Ref, msg *protocol.Message) error {
	from, self, conn := s.userID(), s.member, s.conn()
	msg.ToUID, msg.Content = strings.Clone(msg.ToUID), append([]byte(nil), msg.Content...)
	msg.ClientMsgID = strings.Clone(msg.ClientMsgID)
	data := encodeStored(msg, s.id())
	recs := []inbox.Record{{User: msg.ToUID, Data: data}}
	if msg.ToUID != from {
		recs = append(recs, inbox.Record{User: from, Data: data})
	}
	ok := g.ib.submit(msg.ToUID, func() {
		pos, err := g.ib.store.Append(recs)
		if err != nil {
			g.inboxFailed(err)
			conn.Send(errorReply(reply, protocol.ErrInboxUnavailable))
			return
		}
		g.deliverStored(msg, recs, pos, self, func(n int, routed bool) {
			conn.Send(sendResultFrameInbox(reply, msg.MsgID, n, routed, pos[len(pos)-1].Offset))
		})
	})
	if !ok {
		return protocol.ErrInboxUnavailable
	}
	return nil
}

// deliverStored hands each appended copy of msg to its user's sessions
// here and, in cluster mode, to the other nodes; done runs with the count
// of the recipient's sessions written to. Any goroutine.
func (g *Gateway) deliverStored(msg *protocol.Message, recs []inbox.Record, pos []inbox.Pos, self *member, done func(int, bool)) {
	routed := true
	for i := len(recs) - 1; i >= 0; i-- { // the sender's copy first, the counted one last
		m := *msg
		m.Offset, m.PrevOffset = pos[i].Offset, pos[i].Prev
		payload, frame := messagePayloadFrame(&m)
		if g.cluster != nil && g.cluster.Publish(recs[i].User, payload) != nil {
			routed = false
		}
		var fin func(int)
		if i == 0 && done != nil {
			fin = func(n int) { done(n, g.cluster != nil && routed) }
		}
		g.deliverEntry(recs[i].User, liveEntry{off: pos[i].Offset, prev: pos[i].Prev, frame: frame}, self, fin)
	}
}

// liveEntry is an inbox entry on its way to a user's live sessions.
type liveEntry struct {
	off, prev uint64
	frame     *wsframe.Frame // the 3001 with this user's offsets; shared by its sessions
}

// deliverEntry offers e to every session of user on the user's shard
// owner (each applies the sent-offset rule); except's session takes it as
// already seen (it is its own message). done gets the count written.
func (g *Gateway) deliverEntry(user string, e liveEntry, except *member, done func(int)) {
	g.hub.Sessions(user, func(ms []*hub.Member) {
		n := 0
		for _, hm := range ms {
			m := memberOf(hm)
			if m.ib != nil && m.ib.live(g, m, e, m == except) {
				n++
			}
		}
		if done != nil {
			done(n)
		}
	})
}

// pushInbox is POST /api/push with the inbox on: append to the
// recipient's inbox, then deliver. Not for event loops: it waits.
func (g *Gateway) pushInbox(msg *protocol.Message) (int, bool, error) {
	rec := []inbox.Record{{User: msg.ToUID, Data: encodeStored(msg, "")}}
	pos, err := g.ib.store.Append(rec)
	if err != nil {
		g.inboxFailed(err)
		return 0, false, protocol.ErrInboxUnavailable
	}
	type res struct {
		n      int
		routed bool
	}
	ch := make(chan res, 1)
	g.deliverStored(msg, rec, pos, nil, func(n int, routed bool) { ch <- res{n, routed} })
	t := time.NewTimer(pushWait)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.n, r.routed, nil
	case <-t.C:
		return 0, false, errInternal
	}
}

// ack is ACK (1006): the device's cursor moves forward on a worker.
func (g *Gateway) ack(s *session, env *protocol.Envelope) error {
	var body protocol.Ack
	if err := protocol.DecodeAck(env.Body, &body); err != nil {
		return err
	}
	user, device, conn, reply := s.userID(), s.deviceID(), s.conn(), replyTo(env)
	if !g.ib.submit(user, func() {
		cur, err := g.ib.store.Ack(user, device, body.Offset)
		if err != nil {
			g.inboxFailed(err)
			conn.Send(errorReply(reply, protocol.ErrInboxUnavailable))
			return
		}
		conn.Send(ackFrame(reply, cur))
	}) {
		return protocol.ErrInboxUnavailable
	}
	return nil
}

// inboxFailed counts a store failure and logs the 1st, 2nd, 4th… one.
func (g *Gateway) inboxFailed(err error) {
	if n := g.inboxStats.failed.Add(1); n&(n-1) == 0 {
		g.log.Warn("inbox store failed", "failures", n, "err", err)
	}
}

// The stored form of a MESSAGE: the fields without offsets, each string
// as a uvarint length and bytes, then the sending session's ID (not on
// the wire: a gap's catch-up skips the sender's own session, which had
// its SEND answered instead), then ts, then the content.
func encodeStored(m *protocol.Message, sessionID string) []byte {
	b := make([]byte, 0, 40+len(m.MsgID)+len(m.FromUID)+len(m.FromDevice)+len(m.ToUID)+len(m.ClientMsgID)+len(sessionID)+len(m.Content))
	for _, s := range []string{m.MsgID, m.FromUID, m.FromDevice, m.ToUID, m.ClientMsgID, sessionID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendVarint(b, m.TS)
	return append(b, m.Content...)
}

var errStoredForm = errors.New("gateway: bad stored message")

// decodeStored fills m and returns the sending session's ID.
func decodeStored(b []byte, m *protocol.Message) (string, error) {
	var sessionID string
	for _, dst := range []*string{&m.MsgID, &m.FromUID, &m.FromDevice, &m.ToUID, &m.ClientMsgID, &sessionID} {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", errStoredForm
		}
		*dst, b = string(b[k:k+int(n)]), b[k+int(n):]
	}
	ts, k := binary.Varint(b)
	if k <= 0 {
		return "", errStoredForm
	}
	m.TS, m.Content = ts, b[k:]
	return sessionID, nil
}
