package storetest

import (
	"testing"

	"github.com/imgate/gateway/auth"
)

func TestMemoryStore(t *testing.T) {
	Run(t, func(*testing.T) auth.RefreshStore { return auth.NewMemoryStore() })
}

func TestMemoryStoreReusePersists(t *testing.T) {
	s := auth.NewMemoryStore()
	ReusePersists(t, s, func(*testing.T) auth.RefreshStore { return s })
}
