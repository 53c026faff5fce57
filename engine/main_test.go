package engine

import (
	"testing"

	"github.com/imgate/gateway/internal/testlog"
)

// The engine's tests log at debug level into testlog, which fails the run
// if a line carries a token (several tests upgrade with one).
func TestMain(m *testing.M) { testlog.Main(m) }
