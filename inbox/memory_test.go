package inbox_test

import (
	"testing"

	"github.com/imgate/gateway/inbox"
	"github.com/imgate/gateway/inbox/storetest"
)

func TestMemoryContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, lim inbox.Limits) inbox.Store {
		s := inbox.NewMemory(lim)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestMemoryClosed(t *testing.T) {
	s := inbox.NewMemory(inbox.Limits{})
	_ = s.Close()
	if _, err := s.Append([]inbox.Record{{User: "a"}}); err != inbox.ErrClosed {
		t.Fatalf("Append after Close: %v", err)
	}
}
