package hub

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
	"weak"

	"github.com/imgate/gateway/internal/testutil"
)

func TestNewShards(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shards int
		want   int
		err    error
	}{
		{name: "zero is default", shards: 0, want: DefaultShards},
		{name: "one", shards: 1, want: 1},
		{name: "power of two", shards: 16, want: 16},
		{name: "max", shards: MaxShards, want: MaxShards},
		{name: "not power of two", shards: 12, err: ErrShards},
		{name: "negative", shards: -4, err: ErrShards},
		{name: "too many", shards: MaxShards * 2, err: ErrShards},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := New(Config{Shards: tc.shards})
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			defer h.Close()
			if h.Shards() != tc.want {
				t.Fatalf("Shards() = %d, want %d", h.Shards(), tc.want)
			}
		})
	}
}

func TestDeliver(t *testing.T) {
	a1, a2, a3 := newMember("alice", "a1"), newMember("alice", "a2"), newMember("alice", "a3")
	b1 := newMember("bob", "b1")
	for _, tc := range []struct {
		name    string
		user    string
		except  *Member
		refuse  *Member // this member's Send returns false
		want    int
		reached []*Member
	}{
		{name: "all sessions", user: "alice", want: 3, reached: []*Member{a1, a2, a3}},
		{name: "except sender session", user: "alice", except: a2, want: 2, reached: []*Member{a1, a3}},
		{name: "except other user's member is ignored", user: "alice", except: b1, want: 3, reached: []*Member{a1, a2, a3}},
		{name: "refused send not counted", user: "alice", refuse: a3, want: 2, reached: []*Member{a1, a2}},
		{name: "single session", user: "bob", want: 1, reached: []*Member{b1}},
		{name: "only session excepted", user: "bob", except: b1, want: 0},
		{name: "unknown user", user: "carol", want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t, 4)
			all := []*Member{a1, a2, a3, b1}
			before := make(map[*Member]int64)
			for _, m := range all {
				h.Add(m)
				before[m] = sentTo(m)
			}
			if tc.refuse != nil {
				tc.refuse.Conn.(*countSender).refuse.Store(true)
				defer tc.refuse.Conn.(*countSender).refuse.Store(false)
			}
			if got := deliverSync(t, h, tc.user, tc.except); got != tc.want {
				t.Fatalf("delivered %d, want %d", got, tc.want)
			}
			for _, m := range all {
				want := int64(0)
				if slices.Contains(tc.reached, m) {
					want = 1
				}
				if got := sentTo(m) - before[m]; got != want {
					t.Errorf("%s got %d frames, want %d", m.SessionID, got, want)
				}
			}
		})
	}
}

func TestDeliverNilDone(t *testing.T) {
	h := newHub(t, 1)
	m := newMember("u", "s")
	h.Add(m)
	h.Deliver("u", testFrame, nil, nil)
	barrier(t, h)
	if sentTo(m) != 1 {
		t.Fatalf("sent %d, want 1", sentTo(m))
	}
}

func TestAddRemove(t *testing.T) {
	h := newHub(t, 2)
	m1, m2, m3 := newMember("u", "s1"), newMember("u", "s2"), newMember("u", "s3")
	twin := newMember("u", "s2") // equal fields, different pointer
	steps := []struct {
		name     string
		do       func()
		sessions []string
		users    int64
	}{
		{name: "add three", do: func() { h.Add(m1); h.Add(m2); h.Add(m3) }, sessions: []string{"s1", "s2", "s3"}, users: 1},
		{name: "add same pointer twice", do: func() { h.Add(m2) }, sessions: []string{"s1", "s2", "s3"}, users: 1},
		{name: "remove equal twin is a no-op", do: func() { h.Remove(twin) }, sessions: []string{"s1", "s2", "s3"}, users: 1},
		{name: "remove middle keeps order", do: func() { h.Remove(m2) }, sessions: []string{"s1", "s3"}, users: 1},
		{name: "remove again is a no-op", do: func() { h.Remove(m2) }, sessions: []string{"s1", "s3"}, users: 1},
		{name: "remove first keeps the rest", do: func() { h.Remove(m1) }, sessions: []string{"s3"}, users: 1},
		{name: "remove last", do: func() { h.Remove(m3) }, sessions: []string{}, users: 0},
		{name: "re-add", do: func() { h.Add(m3) }, sessions: []string{"s3"}, users: 1},
		{name: "re-added goes last", do: func() { h.Add(m1); h.Add(m2) }, sessions: []string{"s3", "s1", "s2"}, users: 1},
		{name: "remove last of three", do: func() { h.Remove(m2) }, sessions: []string{"s3", "s1"}, users: 1},
		{name: "add after removing last", do: func() { h.Add(m2) }, sessions: []string{"s3", "s1", "s2"}, users: 1},
	}
	for _, st := range steps {
		st.do()
		got := sessionsSync(t, h, "u")
		if !slices.Equal(got, st.sessions) {
			t.Fatalf("%s: sessions %v, want %v", st.name, got, st.sessions)
		}
		if h.UserCount() != st.users || h.SessionCount() != int64(len(st.sessions)) {
			t.Fatalf("%s: counters users=%d sessions=%d, want %d/%d",
				st.name, h.UserCount(), h.SessionCount(), st.users, len(st.sessions))
		}
	}
}

func TestRemovedMemberGetsNothing(t *testing.T) {
	h := newHub(t, 8)
	keep, gone := newMember("u", "keep"), newMember("u", "gone")
	h.Add(keep)
	h.Add(gone)
	h.Remove(gone)
	if n := deliverSync(t, h, "u", nil); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
	if sentTo(gone) != 0 || sentTo(keep) != 1 {
		t.Fatalf("gone got %d, keep got %d", sentTo(gone), sentTo(keep))
	}
}

func TestSessionsUnknownUser(t *testing.T) {
	h := newHub(t, 1)
	ch := make(chan bool, 1)
	h.Sessions("nobody", func(ms []*Member) { ch <- ms == nil })
	if !testutil.WaitChan(t, ch, "sessions") {
		t.Fatal("unknown user: want nil slice")
	}
}

// TestSameGoroutineOrder: Add then Deliver from one goroutine, without any
// wait in between, must see the Add.
func TestSameGoroutineOrder(t *testing.T) {
	h := newHub(t, 64)
	for i := range 200 {
		user := fmt.Sprintf("user-%d", i)
		m := newMember(user, "s")
		h.Add(m)
		if n := deliverSync(t, h, user, nil); n != 1 {
			t.Fatalf("%s: delivered %d right after Add, want 1", user, n)
		}
		h.Remove(m)
		if n := deliverSync(t, h, user, nil); n != 0 {
			t.Fatalf("%s: delivered %d right after Remove, want 0", user, n)
		}
	}
}

// TestShardSpread checks that the hash spreads typical user IDs evenly.
func TestShardSpread(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format string
	}{
		{name: "numeric suffix", format: "user%d"},
		{name: "uuid-like", format: "9f1c2a7e-0000-4000-8000-%012d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const shards, users = 64, 64 * 1000
			var count [shards]int
			for i := range users {
				count[hashString(fmt.Sprintf(tc.format, i))&(shards-1)]++
			}
			lo, hi := slices.Min(count[:]), slices.Max(count[:])
			if lo < users/shards/2 || hi > users/shards*2 {
				t.Fatalf("uneven spread: min %d, max %d per shard (mean %d)", lo, hi, users/shards)
			}
		})
	}
}

func TestDeliveredDroppedAndDelays(t *testing.T) {
	h, err := New(Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	open, closed := &countSender{}, &countSender{}
	closed.refuse.Store(true)
	h.Add(&Member{Conn: open, UserID: "u", SessionID: "1"})
	h.Add(&Member{Conn: closed, UserID: "u", SessionID: "2"})
	done := make(chan int, 1)
	h.Deliver("u", testFrame, nil, func(n int) { done <- n })
	if n := <-done; n != 1 {
		t.Fatalf("delivered to %d, want 1", n)
	}
	if d, r := h.Delivered(), h.Dropped(); d != 1 || r != 1 {
		t.Fatalf("Delivered %d Dropped %d, want 1 and 1", d, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	delays := h.ShardDelays(ctx)
	if len(delays) != h.Shards() {
		t.Fatalf("%d delays for %d shards", len(delays), h.Shards())
	}
	for i, d := range delays {
		if d <= 0 || d >= 10*time.Second {
			t.Fatalf("shard %d delay %v", i, d)
		}
		if b := h.ShardBacklog(i); b < 0 {
			t.Fatalf("shard %d backlog %d", i, b)
		}
	}
}

// TestRemovedMemberUnreachable: once removed, a member is not kept alive by
// the hub (the Sessions scratch space, recycled ops) nor by another removed
// member that is still alive (the user's list links), so that a closed
// session's memory can be collected.
func TestRemovedMemberUnreachable(t *testing.T) {
	h := newHub(t, 1)
	keep, held := newMember("u", "keep"), newMember("u", "held")
	h.Add(keep)
	h.Add(held)
	wp := func() weak.Pointer[Member] {
		m := newMember("u", "gone")
		h.Add(m)
		if got := sessionsSync(t, h, "u"); !slices.Equal(got, []string{"keep", "held", "gone"}) {
			t.Fatalf("sessions %v, want [keep held gone]", got)
		}
		deliverSync(t, h, "u", m)
		h.Remove(held)
		h.Remove(m)
		return weak.Make(m)
	}()
	barrier(t, h)
	testutil.Eventually(t, waitLimit, func() error {
		runtime.GC()
		if wp.Value() != nil {
			return errors.New("removed member still reachable")
		}
		return nil
	})
	if got := sessionsSync(t, h, "u"); !slices.Equal(got, []string{"keep"}) {
		t.Fatalf("sessions %v, want [keep]", got)
	}
	runtime.KeepAlive(held)
}
