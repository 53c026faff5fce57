package testlog

import (
	"strings"
	"testing"
)

func TestLeaks(t *testing.T) {
	Secret("opaque-refresh-0123456789")
	for _, tc := range []struct {
		name string
		line string
		leak bool
	}{
		{"clean", `level=DEBUG msg="connection opened" session=s_1 token_source=query`, false},
		{"jwt", `level=DEBUG msg=x err="bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"`, true},
		{"password", `{"level":"WARN","msg":"login","password":"alice123"}`, true},
		{"registered", `msg=refresh token=opaque-refresh-0123456789`, true},
		{"short values are not registered", `msg=ok`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(Leaks([]byte(tc.line+"\n"))) > 0; got != tc.leak {
				t.Fatalf("Leaks(%q) found %v, want %v", tc.line, got, tc.leak)
			}
		})
	}
}

func TestLoggersWriteToTheCheckedLog(t *testing.T) {
	Logger().Debug("text line", "k", "v1")
	JSONLogger().Debug("json line", "k", "v2")
	Add([]byte("from a child process\n"))
	log := string(Lines())
	for _, want := range []string{"text line", `"json line"`, "from a child process"} {
		if !strings.Contains(log, want) {
			t.Fatalf("log lacks %q:\n%s", want, log)
		}
	}
}
