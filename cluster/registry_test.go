package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/imgate/gateway/internal/testutil/natstest"
)

func openTestRegistry(t *testing.T) *Registry {
	t.Helper()
	nc := natstest.StartJetStream(t).Connect(t)
	r, err := OpenRegistry(context.Background(), nc, RegistryOptions{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// Many joins at once under "keep the newest": every join is ordered, each
// session is dropped by exactly one later join, and one survives.
func TestRegistryConcurrentJoins(t *testing.T) {
	r := openTestRegistry(t)
	keepLast := func(l []Session) []Session { return l[len(l)-1:] }
	const n = 12
	var mu sync.Mutex
	droppedBy := make(map[string]int)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dropped, err := r.Join("alice", Session{ID: fmt.Sprint("s", i), Node: fmt.Sprint("n", i%3)}, keepLast)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			for _, d := range dropped {
				droppedBy[d.ID]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	list, err := r.Sessions("alice")
	if err != nil || len(list) != 1 {
		t.Fatalf("sessions %+v, %v", list, err)
	}
	if len(droppedBy) != n-1 || droppedBy[list[0].ID] != 0 {
		t.Fatalf("dropped %v, survivor %s", droppedBy, list[0].ID)
	}
	for id, k := range droppedBy {
		if k != 1 {
			t.Fatalf("%s dropped %d times", id, k)
		}
	}
	if err := r.Leave("alice", list[0].ID); err != nil {
		t.Fatal(err)
	}
	if list, err := r.Sessions("alice"); err != nil || len(list) != 0 {
		t.Fatalf("after Leave: %+v, %v", list, err)
	}
}

func TestRegistryAsyncAndClose(t *testing.T) {
	r := openTestRegistry(t)
	done := make(chan []Session, 1)
	keepAll := func(l []Session) []Session { return l }
	if err := r.JoinAsync("bob", Session{ID: "a", Node: "n1"}, keepAll, func(d []Session, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- d
	}); err != nil {
		t.Fatal(err)
	}
	if d := <-done; len(d) != 0 {
		t.Fatalf("dropped %+v", d)
	}
	if err := r.LeaveAsync("bob", "a"); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if list, err := r.Sessions("bob"); err != nil || len(list) != 0 {
		t.Fatalf("queued Leave did not run before Close returned: %+v, %v", list, err)
	}
	if err := r.LeaveAsync("bob", "a"); err != ErrUnavailable {
		t.Fatalf("after Close: %v", err)
	}
}
