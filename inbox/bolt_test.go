package inbox_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/inbox/storetest"
)

func openBolt(t *testing.T, path string, lim inbox.Limits) *inbox.Bolt {
	t.Helper()
	s, err := inbox.OpenBolt(path, lim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestBoltContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, lim inbox.Limits) inbox.Store {
		return openBolt(t, filepath.Join(t.TempDir(), inbox.BoltFileName), lim)
	})
}

// TestBoltRestart: offsets go on and the epoch stays across a reopen, with
// entries, cursors and totals intact.
func TestBoltRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), inbox.BoltFileName)
	s := openBolt(t, path, inbox.Limits{})
	a := storetest.Append(t, s, "alice", "one")
	if _, err := s.Ack("alice", "phone", a.Offset); err != nil {
		t.Fatal(err)
	}
	epoch, stats := s.Epoch(), s.Stats()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openBolt(t, path, inbox.Limits{})
	if s.Epoch() != epoch {
		t.Fatalf("epoch %q after restart, was %q", s.Epoch(), epoch)
	}
	if st := s.Stats(); st.Entries != stats.Entries || st.Bytes != stats.Bytes {
		t.Fatalf("stats %+v after restart, were %+v", st, stats)
	}
	b := storetest.Append(t, s, "alice", "two")
	if b.Prev != a.Offset || b.Offset <= a.Offset {
		t.Fatalf("append after restart: %+v, previous offset %d", b, a.Offset)
	}
	p := storetest.ReadAll(t, s, "alice", 0)
	storetest.CheckChain(t, p.Entries, 0)
	if len(p.Entries) != 2 || string(p.Entries[0].Data) != "one" {
		t.Fatalf("entries after restart: %+v", p.Entries)
	}
	if c, _ := s.Cursor("alice", "phone"); c != a.Offset {
		t.Fatalf("cursor %d after restart, want %d", c, a.Offset)
	}
}

// TestBoltGroupCommit: 64 appends racing each other through the committer
// all land, each once.
func TestBoltGroupCommit(t *testing.T) {
	s := openBolt(t, filepath.Join(t.TempDir(), inbox.BoltFileName), inbox.Limits{})
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Append([]inbox.Record{{User: "u" + string(rune('a'+i%26)), Data: []byte("x")}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if st := s.Stats(); st.Appends != 64 || st.Entries != 64 {
		t.Fatalf("stats %+v", st)
	}
}
