package storetest

import (
	"testing"

	"github.com/imgate/gateway/auth"
)

func TestMemoryStore(t *testing.T) {
	Run(t, func(*testing.T) auth.RefreshStore { return auth.NewMemoryStore() })
}
