package gateway

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// TestRoomJoinLeaveChurn: one session joins and leaves thousands of rooms;
// afterwards the loop tables and the directory are empty again.
func TestRoomJoinLeaveChurn(t *testing.T) {
	const rooms = 3000
	st := roomStack(t, 2, RoomsConfig{Open: []string{"*"}, MaxPerSession: 8})
	c := st.connectAs(t, "alice", "d1")
	other := st.connectAs(t, "bob", "d1")
	joinRoomT(other, "stays")
	for i := range rooms { // pipelined: every command written before any reply is read
		name := "churn:" + strconv.Itoa(i)
		c.Send(map[string]any{"cmd_id": 2101, "seq": 2*i + 1, "body": map[string]any{"room": name}})
		c.Send(map[string]any{"cmd_id": 2102, "seq": 2*i + 2, "body": map[string]any{"room": name}})
	}
	for i := range 2 * rooms {
		if r := c.Read(); r.Code != 200 || r.Seq != int64(i+1) {
			t.Fatalf("reply %d: %+v", i, r)
		}
	}
	st.waitMemberships(t, 1, 1)
	assertRoomTables(t, st.gw, 1)
	other.Conn.Close()
	st.waitMemberships(t, 0, 0)
	testutil.Eventually(t, testWait, func() error { return roomTablesEmpty(st.gw) })
}

// assertRoomTables checks the loop tables and directory hold exactly n rooms.
func assertRoomTables(t *testing.T, g *Gateway, n int) {
	t.Helper()
	testutil.Eventually(t, testWait, func() error {
		dir, tables := 0, 0
		for i := range g.rooms.dir.shards {
			sh := &g.rooms.dir.shards[i]
			sh.mu.Lock()
			dir += len(sh.m)
			sh.mu.Unlock()
		}
		for _, lr := range g.rooms.allLoops() {
			if lr == nil {
				continue
			}
			done := make(chan int, 1)
			lr.ref.Execute(func() { done <- len(lr.rooms) })
			tables += <-done
		}
		if dir != n || tables != n {
			return fmt.Errorf("directory %d, loop tables %d, want %d", dir, tables, n)
		}
		return nil
	})
}

func roomTablesEmpty(g *Gateway) error {
	if s := g.RoomStats(); s.Rooms != 0 || s.Memberships != 0 {
		return fmt.Errorf("stats %+v", s)
	}
	return nil
}

// TestRoomSlowMember: a member that never reads while the room is busy is
// closed 4008; the other members get every message in order and the
// publisher every reply.
func TestRoomSlowMember(t *testing.T) {
	const msgs = 4000
	o := defaultStackOptions()
	o.engine.Loops = 2
	o.engine.WriteQueueBytes = 128 << 10
	o.gwEdit = func(c *Config) { c.Rooms = RoomsConfig{Open: []string{"*"}} }
	st := startStack(t, o)
	slow := st.connectAs(t, "carol", "slow")
	fast := []*testutil.Client{st.connectAs(t, "bob", "f1"), st.connectAs(t, "bob", "f2")}
	pub := st.connectAs(t, "alice", "p")
	for _, c := range append([]*testutil.Client{slow, pub}, fast...) {
		joinRoomT(c, "busy")
	}
	content := strings.Repeat("x", 2000)
	errs := make(chan error, 3)
	go func() {
		for i := range msgs {
			r, err := pub.TryRead()
			if err == nil && (r.Code != 200 || r.Seq != int64(i+1)) {
				err = fmt.Errorf("reply %d: %+v", i, r)
			}
			if err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	var progress [2]atomic.Int64 // messages each fast member has read
	for k, c := range fast {
		go func() {
			for i := range msgs {
				progress[k].Store(int64(i))
				r, err := c.TryRead()
				if err == nil && (r.CmdID != 3101 || !strings.Contains(string(r.Body), `"content":"`+strconv.Itoa(i)+`-`)) {
					err = fmt.Errorf("message %d: %.80s", i, r.Body)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := range msgs {
		// Keep the readers' backlog small: on a slow machine under -race a
		// reader decoding JSON is itself slow, and must not look like the
		// slow consumer.
		for wait := time.Now(); int64(i)-min(progress[0].Load(), progress[1].Load()) > 32; {
			if time.Since(wait) > testWait {
				t.Fatalf("fast members stuck at %d, %d of %d", progress[0].Load(), progress[1].Load(), i)
			}
			time.Sleep(time.Millisecond)
		}
		publishT(pub, "busy", strconv.Itoa(i)+"-"+content, i+1)
	}
	for range 3 {
		if err := testutil.WaitChan(t, errs, "the readers"); err != nil {
			t.Fatal(err)
		}
	}
	// The close frame may not reach a client that never reads (the close
	// timeout ends the socket first), so the server's count says who was
	// closed 4008: the only member that did not read.
	for {
		_, err := slow.TryRead()
		var ce testutil.CloseError
		if errors.As(err, &ce) && ce.Code != 4008 {
			t.Fatalf("slow member closed %d, want 4008", ce.Code)
		}
		if err != nil {
			break
		}
	}
	if n := st.srv.Stats().SlowConsumers.Load(); n != 1 {
		t.Fatalf("%d slow-consumer closes, want 1", n)
	}
	st.waitMemberships(t, 3, 1)
	for _, c := range append([]*testutil.Client{pub}, fast...) {
		c.Conn.Close()
	}
	st.waitMemberships(t, 0, 0)
	assertRoomTables(t, st.gw, 0)
}
