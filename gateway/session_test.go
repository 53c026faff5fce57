package gateway

import (
	"context"
	"fmt"
	"testing"

	"github.com/imgate/gateway/hub"
	"github.com/imgate/gateway/internal/testutil"
)

// membersOf returns user's members as the hub's owner sees them.
func membersOf(t *testing.T, st *stack, user string) []*member {
	t.Helper()
	ch := make(chan []*member, 1)
	st.hub.Sessions(user, func(all []*hub.Member) {
		ms := make([]*member, 0, len(all))
		for _, hm := range all {
			ms = append(ms, memberOf(hm))
		}
		ch <- ms
	})
	return testutil.WaitChan(t, ch, "members of "+user)
}

// TestReloginIsAnotherMember: the session's first authentication is the
// member inside the session; after LOGOUT, a LOGIN (here as another user)
// makes a fresh member that carries the session's ID, device and platform.
// The old user keeps nothing of it: a kick of the old user does not reach
// the connection, and a kick by its session ID (cluster evict) does.
func TestReloginIsAnotherMember(t *testing.T) {
	st := startStack(t, defaultStackOptions())
	c, first := testutil.DialFirst(t, st.url+"?device_id=phone&platform=ios&token="+testutil.Token(t, st.auth, "alice", ""))
	sid, _ := first.BodyMap(t)["session_id"].(string)
	if first.Code != 200 || sid == "" {
		t.Fatalf("first frame: %+v", first)
	}
	old := membersOf(t, st, "alice")
	if len(old) != 1 || old[0].SessionID != sid {
		t.Fatalf("alice's members before LOGOUT: %d", len(old))
	}
	c.Send(map[string]any{"cmd_id": 1002, "seq": 1})
	if r := c.Read(); r.Seq != 1 || r.Code != 200 {
		t.Fatalf("LOGOUT: %+v", r)
	}
	if r := c.Login("bob", "bob123", 2); r.Code != 200 {
		t.Fatalf("LOGIN bob: %+v", r)
	}
	testutil.Eventually(t, testWait, func() error {
		if n := len(membersOf(t, st, "alice")); n != 0 {
			return fmt.Errorf("alice still has %d members after LOGOUT", n)
		}
		return nil
	})
	bob := membersOf(t, st, "bob")
	if len(bob) != 1 {
		t.Fatalf("bob has %d members, want 1", len(bob))
	}
	m := bob[0]
	if m == old[0] {
		t.Fatal("the LOGIN after LOGOUT reused the first authentication's member")
	}
	if m.UserID != "bob" || m.SessionID != sid || m.DeviceID != "phone" || m.Platform != "ios" || m.kicked.Load() {
		t.Fatalf("bob's member: user %q session %q (want %q) device %q platform %q kicked %v",
			m.UserID, m.SessionID, sid, m.DeviceID, m.Platform, m.kicked.Load())
	}
	if n, _, err := st.gw.Kick(context.Background(), "alice", "", "old user"); err != nil || n != 0 {
		t.Fatalf("kicking alice after the re-login: %d kicked, %v", n, err)
	}
	c.Send(map[string]any{"cmd_id": 1003, "seq": 3})
	if r := c.Read(); r.Seq != 3 || r.Code != 200 {
		t.Fatalf("HEARTBEAT after kicking alice: %+v", r)
	}
	st.gw.evict("bob", []string{sid}, "evicted")
	c.ExpectKicked("evicted")
}

// TestSessionExpirySaturates: the session keeps its token's expiry in 32
// bits; an expiry past 2106 saturates instead of wrapping into the past.
func TestSessionExpirySaturates(t *testing.T) {
	var s session
	for _, tc := range []struct {
		name string
		unix int64
		want int64
	}{
		{name: "none", unix: 0, want: 0},
		{name: "2026", unix: 1_790_000_000, want: 1_790_000_000},
		{name: "last second of uint32", unix: 1<<32 - 1, want: 1<<32 - 1},
		{name: "past 2106", unix: 1 << 33, want: 1<<32 - 1},
		{name: "negative", unix: -5, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.setExpiry(tc.unix)
			if got := s.expiry(); got != tc.want {
				t.Fatalf("setExpiry(%d): expiry %d, want %d", tc.unix, got, tc.want)
			}
		})
	}
}

// TestDeviceIDAfterLogin: a session without a device ID takes the first
// LOGIN's; when its first member is already in the hub (it came with a
// token), that member keeps its own (none) and the LOGIN's member carries
// the new one. A kick by device reaches it.
func TestDeviceIDAfterLogin(t *testing.T) {
	for _, tc := range []struct {
		name, query, firstUser, want string
	}{
		{name: "token without device", query: "?token=", firstUser: "alice", want: "dev_bob"},
		{name: "anonymous without device", query: "?platform=web", want: "dev_bob"},
		{name: "upgrade's device stays", query: "?device_id=phone&token=", firstUser: "alice", want: "phone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := startStack(t, defaultStackOptions())
			url := st.url + tc.query
			if tc.firstUser != "" {
				url += testutil.Token(t, st.auth, tc.firstUser, "")
			}
			c, first := testutil.DialFirst(t, url)
			if first.Code != 200 {
				t.Fatalf("first frame: %+v", first)
			}
			var old []*member
			if tc.firstUser != "" {
				old = membersOf(t, st, tc.firstUser)
			}
			if r := c.Login("bob", "bob123", 1); r.Code != 200 {
				t.Fatalf("LOGIN bob: %+v", r)
			}
			bob := membersOf(t, st, "bob")
			if len(bob) != 1 || bob[0].DeviceID != tc.want {
				t.Fatalf("bob's members %d, device %q, want one on %q", len(bob), bob[0].DeviceID, tc.want)
			}
			if len(old) == 1 && tc.want != "phone" && old[0].DeviceID != "" {
				t.Fatalf("alice's member's device changed to %q after it joined the hub", old[0].DeviceID)
			}
			if n, _, err := st.gw.Kick(context.Background(), "bob", tc.want, "by device"); err != nil || n != 1 {
				t.Fatalf("kick bob on %s: %d kicked, %v", tc.want, n, err)
			}
			c.ExpectKicked("by device")
		})
	}
}

// TestSessionRare: leaving the last room frees the rare part only when
// nothing else is in it (the rate bucket, a LOGIN's device ID survive).
func TestSessionRare(t *testing.T) {
	var s session
	s.setRooms(&roomSet{})
	if s.setRooms(nil); s.rare != nil {
		t.Fatal("rare kept after the last room with nothing else in it")
	}
	b := s.rateBucket()
	s.setRooms(&roomSet{})
	s.setRooms(nil)
	if s.rare == nil || s.rateBucket() != b {
		t.Fatal("leaving the rooms lost the rate bucket")
	}
	s = session{memUsed: true}
	s.setDeviceID("phone")
	s.setRooms(&roomSet{})
	if s.setRooms(nil); s.deviceID() != "phone" {
		t.Fatalf("leaving the rooms lost the LOGIN's device ID: %q", s.deviceID())
	}
}
