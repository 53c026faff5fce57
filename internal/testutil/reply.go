package testutil

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/imgate/gateway/internal/testlog"
)

// Reply is any server message of PROTOCOL.md §2: a command response, a
// push, or the first frame.
type Reply struct {
	CmdID  int             `json:"cmd_id"`
	Seq    int64           `json:"seq"`
	Code   int             `json:"code"`
	Body   json.RawMessage `json:"body"`
	ErrMsg string          `json:"err_msg"`
}

// BodyMap decodes the body as a JSON object, failing the test when it is
// not one (a null body gives a nil map).
func (r Reply) BodyMap(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	return m
}

// CloseError is what the Try… reads return when the server sent a close
// frame: its status code (1005 when the frame had none) and its payload.
type CloseError struct {
	Code uint16
	Raw  []byte
}

func (e CloseError) Error() string { return fmt.Sprintf("close %d %q", e.Code, e.Raw) }

// CloseCode is the status code of a close frame's payload, 1005 (no status
// received) when it has none.
func CloseCode(p []byte) uint16 {
	if len(p) < 2 {
		return 1005
	}
	return binary.BigEndian.Uint16(p)
}

// RegisterTokens registers the access and refresh tokens of a reply body
// (a login or refresh reply) with testlog, so that the package's log check
// fails if one of them is ever logged. Other bodies are ignored. Any
// goroutine.
func RegisterTokens(body []byte) {
	var b struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &b) == nil {
		testlog.Secret(b.Access, b.Refresh)
	}
}

// IsClose reports whether err is a CloseError with code.
func IsClose(err error, code uint16) bool {
	var ce CloseError
	return errors.As(err, &ce) && ce.Code == code
}

// String shows the reply with its body as JSON text (for failures).
func (r Reply) String() string {
	return fmt.Sprintf("{cmd_id:%d seq:%d code:%d body:%s err_msg:%q}", r.CmdID, r.Seq, r.Code, r.Body, r.ErrMsg)
}
