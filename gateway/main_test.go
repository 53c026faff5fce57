package gateway

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/imgate/gateway/internal/testlog"
)

// Every gateway test logs at debug level into testlog; when they are done,
// testlog fails the run if any line carries a token or a password.
func TestMain(m *testing.M) { testlog.Main(m) }

// registerTokens marks the tokens in a response body as secrets.
func registerTokens(body json.RawMessage) {
	if !bytes.Contains(body, []byte("_token")) {
		return
	}
	var b struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &b) == nil {
		testlog.Secret(b.AccessToken, b.RefreshToken)
	}
}
