package gateway

import (
	"sync"
	"time"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/engine/wsframe"

	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/protocol"
)

// The sent-offset rule. Each authenticated session with the inbox on has
// an ibState: sent is the offset of the last inbox entry written to it
// (or taken as seen: its own SEND). Live entries arrive on the user's hub
// shard owner (local SENDs and cluster-routed ones alike); replays arrive
// on the session's loop. Both take the state's mutex, so they are
// serialised per session:
//
//   - live, prev == sent: written, sent = offset;
//   - live, offset <= sent: a duplicate, dropped;
//   - live, otherwise (a gap: reordered or lost upstream): the session
//     starts reading the store from sent, off the loop;
//   - while reading (or before the first frame, or after a SYNC cut short
//     by its limit), live entries are not written; the highest offset seen
//     is remembered, and when a read ends on the loop with nothing more to
//     read and nothing newer seen, the session goes live again.
//
// The store is the source of truth and live pushes the fast path when
// contiguous, so the race between reading the log and joining the live
// stream is closed by construction: everything appended is delivered
// after it is durable, and whatever is not written live is read.

// Session inbox modes.
const (
	ibLive     uint8 = iota // writing contiguous live entries
	ibStarting              // the first frame (or LOGIN's answer) waits for the store
	ibReading               // a store read is in flight
	ibPaused                // a SYNC ended with "more": live waits for the next SYNC
)

// ibState is one session's inbox position. Its mutex is taken by the
// user's shard owner (live) and by the session's loop (replays, SYNC);
// it is held only to decide and to queue frames (Conn.Send never blocks).
type ibState struct {
	mu   sync.Mutex
	sent uint64 // last offset written (or taken as seen)
	seen uint64 // highest live offset seen while not live
	mode uint8
	sync bool // a client SYNC (or a URL resume) is waiting for its answer
}

// live applies the rule to one live entry; own means the entry is the
// session's own SEND (taken as seen, not written). It reports whether
// the frame was written. User's shard owner only.
func (st *ibState) live(g *Gateway, m *member, e liveEntry, own bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if e.off <= st.sent {
		return false
	}
	if st.mode != ibLive {
		st.seen = max(st.seen, e.off)
		return false
	}
	if e.prev == st.sent {
		st.sent = e.off
		if own {
			return false
		}
		return m.conn().SendFrame(e.frame)
	}
	st.seen, st.mode = e.off, ibReading
	g.inboxStats.gaps.Add(1)
	g.readInbox(m, st.sent, nil)
	return false
}

// syncReq is a client's SYNC, or a resume on the upgrade URL (ref without
// seq), while its read is in flight.
type syncReq struct {
	ref      protocol.Ref
	since    uint64
	hasSince bool
	epoch    string
	limit    int
}

// readInbox reads m's user's inbox after `after` on a worker and comes
// back to m's loop: a catch-up read when req is nil, else a SYNC.
// The state is ibReading (or ibStarting). Any goroutine.
func (g *Gateway) readInbox(m *member, after uint64, req *syncReq) {
	ok := g.ib.submit(m.UserID, func() {
		res := g.readJob(m, after, req)
		m.conn().Execute(func() { g.replayed(m, req, res) })
	})
	if !ok { // the worker is overloaded: try again from the loop
		m.conn().Execute(func() { g.replayed(m, req, readResult{err: protocol.ErrInboxUnavailable}) })
	}
}

// readResult is what a worker read for a session.
type readResult struct {
	page    inbox.Page
	since   uint64 // where the replay starts
	noStart bool   // SYNC without since, and the device never acked: nothing replayed
	latest  uint64
	err     error
}

// readJob runs on a worker.
func (g *Gateway) readJob(m *member, after uint64, req *syncReq) readResult {
	st := g.ib.store
	limit := protocol.MaxSyncLimit
	if req != nil {
		limit = req.limit
		after = req.since
		if req.epoch != "" && req.epoch != st.Epoch() {
			l, err := st.Latest(m.UserID)
			return readResult{page: inbox.Page{Lost: true, Latest: l}, latest: l, err: err}
		}
		if !req.hasSince {
			c, err := st.Cursor(m.UserID, m.DeviceID)
			if err != nil || c == 0 {
				return readResult{noStart: true, err: err}
			}
			after = c
		}
	}
	p, err := st.Read(m.UserID, after, limit)
	return readResult{page: p, since: after, latest: p.Latest, err: err}
}

// replayed finishes a read on m's loop: writes what was read, answers a
// SYNC, and reads again or goes live. Loop only.
func (g *Gateway) replayed(m *member, req *syncReq, res readResult) {
	if s, ok := m.conn().Context().(*session); !ok || s.member != m {
		// the session logged out or became another user's while the read
		// was in flight: m's inbox is no longer its to write
		if req != nil {
			m.conn().Send(errorReply(req.ref, protocol.ErrInboxUnavailable))
		}
		return
	}
	st := m.ib
	st.mu.Lock()
	defer st.mu.Unlock()
	if res.err != nil {
		g.inboxFailed(res.err)
		if req != nil {
			st.sync = false
			m.conn().Send(errorReply(req.ref, protocol.ErrInboxUnavailable))
		}
		if !st.sync {
			st.mode = ibLive // the next gap reads again
		}
		return
	}
	p := &res.page
	switch {
	case res.noStart:
	case p.Lost && req != nil:
		st.sent = p.Latest
	case p.Lost || (len(p.Entries) == 0 && st.seen > st.sent && !p.More):
		// entries after sent were pruned: jump to the end; the client sees
		// prev_offset differ from what it has and asks with SYNC.
		st.sent = max(st.sent, p.Latest)
	default:
		if req != nil {
			st.sent = res.since // a SYNC replays what it asked for
		}
		g.writeEntries(m, p.Entries, req == nil)
	}
	if req != nil {
		st.sync = false
		m.conn().Send(syncFrame(req.ref, &protocol.SyncResult{More: p.More, Lost: p.Lost,
			InboxPos: protocol.InboxPos{Epoch: g.ib.store.Epoch(), Offset: st.sent}}))
		if p.More {
			st.mode = ibPaused
			return
		}
	}
	if req == nil && st.sync {
		return // a SYNC's read is in flight: its answer decides what follows
	}
	if p.More || st.seen > st.sent {
		st.mode = ibReading
		g.readInbox(m, st.sent, nil)
		return
	}
	st.mode = ibLive
}

// writeEntries writes stored entries to m in order; sent follows. A
// catch-up skips the session's own SENDs, as their live delivery would
// have. Under m.ib.mu.
func (g *Gateway) writeEntries(m *member, ents []inbox.Entry, catchUp bool) {
	for _, e := range ents {
		var msg protocol.Message
		sender, err := decodeStored(e.Data, &msg)
		if err != nil {
			g.inboxFailed(err)
			continue
		}
		if catchUp && sender == m.SessionID {
			m.ib.sent = e.Offset
			continue
		}
		msg.Offset, msg.PrevOffset = e.Offset, e.Prev
		m.conn().SendFrame(wsframe.New(messageFrame(&msg)))
		m.ib.sent = e.Offset
		g.inboxStats.replayed.Add(1)
	}
}

// startInbox gives a newly authenticated member its inbox state and asks
// the store where the user stands; ready runs on the loop with that
// position (ok false if the store failed) before any entry is written,
// then a resume (req) or the live stream follows. Loop only.
func (g *Gateway) startInbox(m *member, req *syncReq, ready func(pos protocol.InboxPos, ok bool)) {
	ok := g.ib.submit(m.UserID, func() {
		latest, err := g.ib.store.Latest(m.UserID)
		var res readResult
		if err == nil && req != nil {
			res = g.readJob(m, 0, req)
		}
		m.conn().Execute(func() { g.started(m, req, latest, err, res, ready) })
	})
	if !ok {
		if ready != nil {
			ready(protocol.InboxPos{}, false)
		}
		g.started(m, nil, 0, protocol.ErrInboxUnavailable, readResult{}, nil)
	}
}

// started finishes startInbox on the loop.
func (g *Gateway) started(m *member, req *syncReq, latest uint64, err error, res readResult, ready func(protocol.InboxPos, bool)) {
	if ready != nil {
		ready(protocol.InboxPos{Epoch: g.ib.store.Epoch(), Offset: latest}, err == nil)
	}
	st := m.ib
	if err != nil {
		g.inboxFailed(err)
		st.mu.Lock()
		st.sent, st.mode = max(st.sent, st.seen), ibLive // live from whatever comes next
		st.mu.Unlock()
		return
	}
	if g.cluster != nil {
		time.AfterFunc(recheckAfter, func() { g.recheck(m) })
	}
	if req != nil {
		st.mu.Lock()
		st.sync = true
		st.mu.Unlock()
		g.replayed(m, req, res)
		return
	}
	st.mu.Lock()
	st.sent = latest
	if st.seen > st.sent {
		st.mode = ibReading
		g.readInbox(m, st.sent, nil)
	} else {
		st.mode = ibLive
	}
	st.mu.Unlock()
}

// syncCmd is SYNC (1005).
func (g *Gateway) syncCmd(s *session, env *protocol.Envelope) error {
	var body protocol.Sync
	if err := protocol.DecodeSync(env.Body, &body); err != nil {
		return err
	}
	m := s.member
	st := m.ib
	if st == nil {
		return protocol.ErrInboxUnavailable
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.sync || st.mode == ibStarting {
		return errTooMany
	}
	req := &syncReq{ref: replyTo(env), since: body.Since, hasSince: body.HasSince, epoch: body.Epoch, limit: body.Limit}
	st.sync, st.mode = true, ibReading
	g.readInbox(m, 0, req)
	return nil
}

// resumeReq is the SYNC a resume on the upgrade URL stands for.
func resumeReq(req *engine.Request) *syncReq {
	if !req.HasSince {
		return nil
	}
	return &syncReq{ref: protocol.Push(protocol.CmdSync), since: req.Since, hasSince: true, epoch: req.Epoch,
		limit: protocol.MaxSyncLimit}
}

// openInbox sends the first frame of an authenticated session once the
// store has said where the user stands (with "inbox"), then the resume
// the URL asked for, if any. Loop only.
func (g *Gateway) openInbox(s *session, m *member, req *engine.Request) {
	if m == nil {
		return
	}
	c, uid, exp := s.conn(), m.UserID, s.expiry()
	g.startInbox(m, resumeReq(req), func(p protocol.InboxPos, ok bool) {
		if ok {
			c.Write(firstFrameInbox(s.id(), uid, exp, p))
		} else {
			c.Write(firstFrameAuthenticated(s.id(), uid, exp))
		}
	})
}

// loginInbox answers a LOGIN once the store has said where the user
// stands. Loop only.
func (g *Gateway) loginInbox(s *session, m *member, reply protocol.Ref, res auth.LoginResult) {
	g.startInbox(m, nil, func(p protocol.InboxPos, ok bool) {
		if ok {
			s.conn().Write(tokensFrameInbox(reply, s.id(), res, p))
		} else {
			s.conn().Write(tokensFrame(reply, s.id(), res))
		}
	})
}

// recheckAfter is when a new session of a cluster node asks the store
// once more where its user stands: an entry appended after the session's
// first read but published before this node's subscription to the user
// reached NATS would otherwise wait for the user's next entry.
const recheckAfter = time.Second

// recheck reads the user's latest offset on a worker; if the session is
// live and behind it, the session reads the store. Any goroutine.
func (g *Gateway) recheck(m *member) {
	g.ib.submit(m.UserID, func() {
		latest, err := g.ib.store.Latest(m.UserID)
		if err != nil {
			return
		}
		st := m.ib
		st.mu.Lock()
		defer st.mu.Unlock()
		if latest <= st.sent {
			return
		}
		st.seen = max(st.seen, latest)
		if st.mode == ibLive {
			st.mode = ibReading
			g.readInbox(m, st.sent, nil)
		}
	})
}
