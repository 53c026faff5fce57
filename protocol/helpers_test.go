package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// parseJSON decodes b with encoding/json, numbers kept as json.Number.
func parseJSON(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	if d.More() {
		t.Fatalf("trailing data after JSON value:\n%s", b)
	}
	return v
}

// assertJSON checks that got is valid JSON equal in value to want, and, when
// exact is set, byte for byte equal to want.
func assertJSON(t *testing.T, got []byte, want string, exact bool) {
	t.Helper()
	if !json.Valid(got) {
		t.Fatalf("invalid JSON:\n%s", got)
	}
	if g, w := parseJSON(t, got), parseJSON(t, []byte(want)); !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON differs\n got: %s\nwant: %s", got, want)
	}
	if exact && string(got) != want {
		t.Fatalf("bytes differ\n got: %s\nwant: %s", got, want)
	}
}

// asError asserts err is a *Error with the given code and err_msg.
func asError(t *testing.T, err error, code int, msg string) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T) is not *Error", err, err)
	}
	if e.Code != code || e.Msg != msg {
		t.Fatalf("got {%d %q}, want {%d %q}", e.Code, e.Msg, code, msg)
	}
}
