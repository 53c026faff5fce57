package gateway

import (
	"testing"

	"github.com/imgate/gateway/internal/testlog"
)

// Every gateway test logs at debug level into testlog; when they are done,
// testlog fails the run if any line carries a token or a password.
func TestMain(m *testing.M) { testlog.Main(m) }
