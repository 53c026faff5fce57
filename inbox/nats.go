package inbox

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSOptions configures OpenNATS. Zero fields get the defaults named on
// each.
type NATSOptions struct {
	// Stream is the JetStream stream (default "IMGATE_INBOX"); Subject its
	// subject prefix (default "gateway.inbox": a user's inbox is
	// gateway.inbox.<base64url(user)>). OpenNATS creates the stream, or
	// updates its limits to these.
	Stream, Subject string
	// CursorBucket is the key-value bucket of the ACK cursors (default
	// "imgate_inbox_cursors").
	CursorBucket string
	// Replicas of the stream and the bucket (default 1; 3 on a NATS
	// cluster that must survive a server).
	Replicas int
	// Memory keeps both in memory instead of files (tests).
	Memory bool
	// Timeout bounds each operation (default 5s).
	Timeout time.Duration
}

// NATS is a Store in a JetStream stream shared by every gateway node: one
// subject per user, so MaxMsgsPerSubject and MaxAge prune per user and
// MaxBytes bounds the whole (oldest first) natively. An offset is the
// stream sequence; the previous link is the subject's last sequence,
// checked at publish time with Nats-Expected-Last-Subject-Sequence, so
// two nodes appending for one user at once cannot fork the chain (the
// loser reads the new last sequence and publishes again). Each entry
// carries its prev in the Imgate-Prev header. Reads are direct gets of the
// subject's next message (the stream allows direct access, so any
// replica answers). Acknowledged publishes are on the stream's replicas.
type NATS struct {
	js      jetstream.JetStream
	stream  jetstream.Stream
	kv      jetstream.KeyValue
	subject string
	epoch   string
	timeout time.Duration
	appends atomic.Int64
	stripes [256]natsStripe
}

// natsStripe serialises one process's appends for the users hashed to it
// (conflicts are then between nodes only) and caches their last offsets.
type natsStripe struct {
	mu   sync.Mutex
	last map[string]uint64
}

const (
	hdrPrev       = "Imgate-Prev"
	natsRetries   = 32
	natsCacheSize = 4096 // users per stripe whose last offset is cached
)

var _ Store = (*NATS)(nil)

// OpenNATS binds to (creating them if needed) the stream and the cursor
// bucket on nc, which must be connected; the store never closes nc.
func OpenNATS(ctx context.Context, nc *nats.Conn, lim Limits, o NATSOptions) (*NATS, error) {
	lim = lim.withDefaults()
	o.Stream = cmpOr(o.Stream, "IMGATE_INBOX")
	o.Subject = cmpOr(o.Subject, "gateway.inbox")
	o.CursorBucket = cmpOr(o.CursorBucket, "imgate_inbox_cursors")
	o.Replicas = max(o.Replicas, 1)
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("%w: jetstream: %w", ErrUnavailable, err)
	}
	storage := jetstream.FileStorage
	if o.Memory {
		storage = jetstream.MemoryStorage
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: o.Stream, Subjects: []string{o.Subject + ".>"},
		Storage: storage, Replicas: o.Replicas, MaxMsgsPerSubject: int64(lim.MaxEntries), MaxAge: lim.Retention,
		MaxBytes: lim.MaxBytes, Discard: jetstream.DiscardOld, AllowDirect: true, MaxMsgSize: MaxEntryBytes + 1024,
		Description: "imgate inboxes"})
	if err != nil {
		return nil, fmt.Errorf("%w: stream %s: %w", ErrUnavailable, o.Stream, err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: o.CursorBucket, History: 1,
		Replicas: o.Replicas, Storage: storage, Description: "imgate inbox cursors"})
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %s: %w", ErrUnavailable, o.CursorBucket, err)
	}
	n := &NATS{js: js, stream: stream, kv: kv, subject: o.Subject + ".", timeout: o.Timeout,
		epoch: strconv.FormatInt(stream.CachedInfo().Created.UnixNano(), 36)}
	for i := range n.stripes {
		n.stripes[i].last = make(map[string]uint64)
	}
	return n, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (n *NATS) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), n.timeout)
}

func (n *NATS) subjectOf(user string) string {
	return n.subject + base64.RawURLEncoding.EncodeToString([]byte(user))
}

// Append implements Store. Records are published one after the other; if
// one fails, those before it stay (they are replayed like any entry).
func (n *NATS) Append(recs []Record) ([]Pos, error) {
	if err := checkRecords(recs); err != nil {
		return nil, err
	}
	pos := make([]Pos, len(recs))
	for i, r := range recs {
		p, err := n.appendOne(r)
		if err != nil {
			return nil, err
		}
		pos[i] = p
	}
	n.appends.Add(int64(len(recs)))
	return pos, nil
}

func (n *NATS) appendOne(r Record) (Pos, error) {
	st := &n.stripes[hashUser32(r.User)%uint32(len(n.stripes))]
	st.mu.Lock()
	defer st.mu.Unlock()
	subj := n.subjectOf(r.User)
	prev, known := st.last[r.User]
	var err error
	for range natsRetries {
		if !known {
			if prev, err = n.lastSeq(subj); err != nil {
				return Pos{}, err
			}
		}
		msg := nats.NewMsg(subj)
		msg.Data = r.Data
		msg.Header.Set(hdrPrev, strconv.FormatUint(prev, 10))
		ctx, cancel := n.ctx()
		ack, perr := n.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(prev))
		cancel()
		if perr == nil {
			if len(st.last) >= natsCacheSize {
				clear(st.last)
			}
			st.last[r.User] = ack.Sequence
			return Pos{Offset: ack.Sequence, Prev: prev}, nil
		}
		delete(st.last, r.User)
		if !wrongLastSeq(perr) {
			return Pos{}, fmt.Errorf("%w: publish: %w", ErrUnavailable, perr)
		}
		known = false // another node appended: read its last and try again
	}
	return Pos{}, fmt.Errorf("%w: %d conflicting appends in a row", ErrUnavailable, natsRetries)
}

func wrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

func hashUser32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h ^ h>>16
}

// lastSeq is the subject's last sequence, 0 if it holds none.
func (n *NATS) lastSeq(subj string) (uint64, error) {
	ctx, cancel := n.ctx()
	defer cancel()
	m, err := n.stream.GetLastMsgForSubject(ctx, subj)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("%w: last of subject: %w", ErrUnavailable, err)
	}
	return m.Sequence, nil
}

// Read implements Store. Lost: the first entry after `after` does not
// link back to it, or there is none while the user's latest is past it or
// the stream's first sequence is.
func (n *NATS) Read(user string, after uint64, limit int) (Page, error) {
	subj := n.subjectOf(user)
	latest, err := n.lastSeq(subj)
	if err != nil {
		return Page{}, err
	}
	p := Page{Latest: latest}
	seq := after + 1
	for seq <= latest {
		ctx, cancel := n.ctx()
		m, err := n.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		cancel()
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		} else if err != nil {
			return Page{}, fmt.Errorf("%w: read: %w", ErrUnavailable, err)
		}
		if len(p.Entries) == limit {
			p.More = true
			break
		}
		prev, _ := strconv.ParseUint(m.Header.Get(hdrPrev), 10, 64)
		p.Entries = append(p.Entries, Entry{Offset: m.Sequence, Prev: prev, Data: m.Data})
		seq = m.Sequence + 1
	}
	switch {
	case after == 0:
	case len(p.Entries) > 0:
		p.Lost = p.Entries[0].Prev != after
	case latest > after:
		p.Lost = true
	default:
		first, err := n.firstSeq()
		if err != nil {
			return Page{}, err
		}
		p.Lost = after+1 < first
	}
	return p, nil
}

func (n *NATS) firstSeq() (uint64, error) {
	ctx, cancel := n.ctx()
	defer cancel()
	info, err := n.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: stream info: %w", ErrUnavailable, err)
	}
	return info.State.FirstSeq, nil
}

// Latest implements Store.
func (n *NATS) Latest(user string) (uint64, error) { return n.lastSeq(n.subjectOf(user)) }

// Epoch implements Store: the stream's creation time, which changes only
// when the stream (and its history) is deleted and made again.
func (n *NATS) Epoch() string { return n.epoch }

func cursorKey(user, device string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(user)) + "." + base64.RawURLEncoding.EncodeToString([]byte(device)) + "_"
}

// Ack implements Store: a compare-and-swap on the cursor's key.
func (n *NATS) Ack(user, device string, offset uint64) (uint64, error) {
	latest, err := n.Latest(user)
	if err != nil {
		return 0, err
	}
	key := cursorKey(user, device)
	for range natsRetries {
		cur, rev, err := n.cursor(key)
		if err != nil {
			return 0, err
		}
		want := min(offset, latest)
		if want <= cur {
			return cur, nil
		}
		ctx, cancel := n.ctx()
		if rev == 0 {
			_, err = n.kv.Create(ctx, key, be64(want))
		} else {
			_, err = n.kv.Update(ctx, key, be64(want), rev)
		}
		cancel()
		if err == nil {
			return want, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !wrongLastSeq(err) {
			return 0, fmt.Errorf("%w: cursor: %w", ErrUnavailable, err)
		}
	}
	return 0, fmt.Errorf("%w: cursor: too many conflicts", ErrUnavailable)
}

func (n *NATS) cursor(key string) (uint64, uint64, error) {
	ctx, cancel := n.ctx()
	defer cancel()
	e, err := n.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, 0, nil
	case err != nil:
		return 0, 0, fmt.Errorf("%w: cursor: %w", ErrUnavailable, err)
	case len(e.Value()) != 8:
		return 0, e.Revision(), nil
	}
	return binary.BigEndian.Uint64(e.Value()), e.Revision(), nil
}

// Cursor implements Store.
func (n *NATS) Cursor(user, device string) (uint64, error) {
	c, _, err := n.cursor(cursorKey(user, device))
	return c, err
}

// Stats implements Store: Entries and Bytes are the stream's; Pruned is
// every entry the stream no longer holds (any node's); Appends this
// node's. It asks the server (for /metrics, not for hot paths).
func (n *NATS) Stats() Stats {
	s := Stats{Appends: n.appends.Load()}
	ctx, cancel := n.ctx()
	defer cancel()
	if info, err := n.stream.Info(ctx); err == nil {
		s.Entries, s.Bytes = int64(info.State.Msgs), int64(info.State.Bytes)
		s.Pruned = int64(info.State.LastSeq) - s.Entries
	}
	return s
}

// Close implements Store; the connection stays open (it is the bus's).
func (n *NATS) Close() error { return nil }

// RealClock tells storetest that retention follows the real clock
// (JetStream's MaxAge), not Limits.Now.
func (n *NATS) RealClock() {}
