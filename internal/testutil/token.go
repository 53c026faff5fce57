package testutil

import (
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testlog"
)

// Issuer mints access tokens; *auth.Manager is one. (An interface, so
// that this package need not import auth, whose own tests use it.)
type Issuer interface {
	IssueAccess(userID, deviceID string) (token string, expiresAt time.Time, err error)
}

// Token mints an access token for user (and device, "" for none) and
// registers it with testlog as a secret that no log line may carry.
func Token(t testing.TB, iss Issuer, user, device string) string {
	t.Helper()
	tok, _, err := iss.IssueAccess(user, device)
	if err != nil {
		t.Fatalf("IssueAccess(%q, %q): %v", user, device, err)
	}
	testlog.Secret(tok)
	return tok
}
