package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultRegistryBucket is the registry's default bucket.
const DefaultRegistryBucket = "imgate_sessions"

// maxRegistryRetries bounds the compare-and-swap rounds of one change.
const maxRegistryRetries = 32

// Session is one session in the registry: its ID, the node it is on, and
// its platform.
type Session struct {
	ID       string `json:"s"`
	Node     string `json:"n"`
	Platform string `json:"p,omitempty"`
}

// RegistryOptions configure OpenRegistry. Zero fields get the defaults
// named on each.
type RegistryOptions struct {
	Bucket   string        // default DefaultRegistryBucket
	Replicas int           // default 1
	Memory   bool          // keep the bucket in memory, not in files
	Timeout  time.Duration // bounds one change (default 5s)
	Workers  int           // goroutines running changes (default 4)
	Queue    int           // changes waiting per worker (default 4096)
}

// Registry is the cluster-wide list of each user's sessions, in the order
// their logins were recorded, in a JetStream key-value bucket: one key per
// user, changed by compare-and-swap on its revision, so that concurrent
// logins on different nodes are ordered one after the other and the login
// policy sees every node's sessions. It never talks to NATS on the
// caller's goroutine: JoinAsync and LeaveAsync queue the change for a
// worker; the changes of one user run in order on one worker.
type Registry struct {
	kv      jetstream.KeyValue
	timeout time.Duration
	seed    maphash.Seed

	mu     sync.RWMutex // guards closed and sends on queues against Close
	closed bool
	queues []chan func()
	wg     sync.WaitGroup
}

// OpenRegistry binds to (creating it if needed) the registry's bucket on
// nc, which must be connected, and starts its workers.
func OpenRegistry(ctx context.Context, nc *nats.Conn, o RegistryOptions) (*Registry, error) {
	if o.Bucket == "" {
		o.Bucket = DefaultRegistryBucket
	}
	o.Replicas = max(o.Replicas, 1)
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	storage := jetstream.FileStorage
	if o.Memory {
		storage = jetstream.MemoryStorage
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: o.Bucket, History: 1, Replicas: o.Replicas,
		Storage: storage, Description: "imgate sessions per user"})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, o.Bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: registry bucket %s: %w", o.Bucket, err)
	}
	r := &Registry{kv: kv, timeout: o.Timeout, seed: maphash.MakeSeed(), queues: make([]chan func(), o.Workers)}
	for i := range r.queues {
		r.queues[i] = make(chan func(), o.Queue)
		r.wg.Add(1)
		go r.worker(r.queues[i])
	}
	return r, nil
}

func (r *Registry) worker(q chan func()) {
	defer r.wg.Done()
	for fn := range q {
		fn()
	}
}

// Close stops the workers once the queued changes have run. Calls after
// the first do nothing.
func (r *Registry) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for _, q := range r.queues {
		close(q)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// submit queues fn on userID's worker: ErrBusy when its queue is full,
// ErrUnavailable after Close.
func (r *Registry) submit(userID string, fn func()) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return ErrUnavailable
	}
	select {
	case r.queues[maphash.String(r.seed, userID)%uint64(len(r.queues))] <- fn:
		return nil
	default:
		return ErrBusy
	}
}

// JoinAsync records s as userID's newest session, then keeps the sessions
// judge returns (judge gets the whole list, oldest first, s last, and must
// return a subsequence of it; it may run several times) and calls done with
// the sessions it dropped, on a worker. An error from JoinAsync means done
// will not be called.
func (r *Registry) JoinAsync(userID string, s Session, judge func([]Session) []Session, done func([]Session, error)) error {
	return r.submit(userID, func() { done(r.Join(userID, s, judge)) })
}

// LeaveAsync removes session sessionID of userID, on a worker.
func (r *Registry) LeaveAsync(userID, sessionID string) error {
	return r.submit(userID, func() { _ = r.Leave(userID, sessionID) })
}

// Join is JoinAsync on the caller's goroutine: it blocks on NATS.
func (r *Registry) Join(userID string, s Session, judge func([]Session) []Session) ([]Session, error) {
	var dropped []Session
	err := r.change(userID, func(list []Session) []Session {
		list = append(without(list, s.ID), s)
		keep := judge(list)
		dropped = dropped[:0]
		for _, e := range list {
			if !contains(keep, e.ID) {
				dropped = append(dropped, e)
			}
		}
		return keep
	})
	if err != nil {
		return nil, err
	}
	return dropped, nil
}

// Leave removes session sessionID of userID; it blocks on NATS.
func (r *Registry) Leave(userID, sessionID string) error {
	return r.change(userID, func(list []Session) []Session { return without(list, sessionID) })
}

// Sessions returns userID's recorded sessions, oldest first; it blocks on
// NATS.
func (r *Registry) Sessions(userID string) ([]Session, error) {
	list, _, err := r.get(userID)
	return list, err
}

// change applies fn to userID's list by compare-and-swap, retrying on
// conflicts.
func (r *Registry) change(userID string, fn func([]Session) []Session) error {
	if userID == "" {
		return ErrBadUserID
	}
	key := registryKey(userID)
	for range maxRegistryRetries {
		list, rev, err := r.get(userID)
		if err != nil {
			return err
		}
		next := fn(list)
		if err := r.put(key, next, rev); !errors.Is(err, jetstream.ErrKeyExists) &&
			!errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
	}
	return fmt.Errorf("cluster: sessions of a user keep changing")
}

func (r *Registry) get(userID string) ([]Session, uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	e, err := r.kv.Get(ctx, registryKey(userID))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, nil
	} else if err != nil {
		return nil, 0, err
	}
	var list []Session
	if len(e.Value()) > 0 {
		if err := json.Unmarshal(e.Value(), &list); err != nil {
			return nil, 0, fmt.Errorf("cluster: registry entry: %w", err)
		}
	}
	return list, e.Revision(), nil
}

// put writes list at revision rev (0: the key must not exist).
func (r *Registry) put(key string, list []Session, rev uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	var data []byte
	if len(list) > 0 {
		var err error
		if data, err = json.Marshal(list); err != nil {
			return err
		}
	}
	var err error
	if rev == 0 {
		_, err = r.kv.Create(ctx, key, data)
	} else {
		_, err = r.kv.Update(ctx, key, data, rev)
	}
	return err
}

func registryKey(userID string) string {
	return "u." + base64.RawURLEncoding.EncodeToString([]byte(userID))
}

func without(list []Session, id string) []Session {
	out := make([]Session, 0, len(list)+1)
	for _, e := range list {
		if e.ID != id {
			out = append(out, e)
		}
	}
	return out
}

func contains(list []Session, id string) bool {
	for _, e := range list {
		if e.ID == id {
			return true
		}
	}
	return false
}
