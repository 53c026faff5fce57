// Package testlog gives tests loggers at debug level whose every line is
// kept, and checks, when a package's tests end, that no line carries a
// secret: a JWT (access or refresh token), a password the tests use, the
// tests' signing secret, or any value a test registered with Secret.
//
// A package opts in with
//
//	func TestMain(m *testing.M) { testlog.Main(m) }
//
// and builds its loggers with Logger or JSONLogger. Lines that other
// processes wrote (a gateway started by a test) are added with Add. With
// IMGATE_TEST_LOGS=DIR every package's lines are also written to
// DIR/<package>.log. Everything here is goroutine-safe.
package testlog

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var (
	mu      sync.Mutex
	lines   bytes.Buffer
	secrets = map[string]struct{}{}
)

// Passwords and secrets the repository's tests use; registered up front.
var known = []string{"password123", "alice123", "bob123", "carol123",
	"0123456789abcdef0123456789abcdef-test-secret"}

// jwtShape matches a JWT: base64url header and claims that both begin
// with '{"' (eyJ), then a signature.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

type sink struct{}

func (sink) Write(p []byte) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	return lines.Write(p)
}

// Logger returns a text logger at debug level writing to the checked log.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(sink{}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// JSONLogger returns a JSON logger at debug level writing to the checked
// log.
func JSONLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(sink{}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Add appends lines another process logged to the checked log.
func Add(p []byte) {
	_, _ = sink{}.Write(p)
}

// Secret registers values that must never appear in a log line (empty
// values and values shorter than 6 bytes are ignored).
func Secret(values ...string) {
	mu.Lock()
	defer mu.Unlock()
	for _, v := range values {
		if len(v) >= 6 {
			secrets[v] = struct{}{}
		}
	}
}

// Lines returns a copy of everything logged so far.
func Lines() []byte {
	mu.Lock()
	defer mu.Unlock()
	return bytes.Clone(lines.Bytes())
}

// Leaks returns the lines of log that carry a secret, each with what it
// carries.
func Leaks(log []byte) []string {
	mu.Lock()
	vals := make([]string, 0, len(secrets)+len(known))
	for v := range secrets {
		vals = append(vals, v)
	}
	mu.Unlock()
	vals = append(vals, known...)
	var out []string
	for line := range strings.Lines(string(log)) {
		if m := jwtShape.FindString(line); m != "" {
			out = append(out, "a JWT: "+strings.TrimSpace(line))
			continue
		}
		for _, v := range vals {
			if strings.Contains(line, v) {
				out = append(out, "a registered secret: "+strings.TrimSpace(line))
				break
			}
		}
	}
	return out
}

// Main runs the package's tests, then fails the run if any log line
// carries a secret.
func Main(m *testing.M) {
	code := m.Run()
	log := Lines()
	if dir := os.Getenv("IMGATE_TEST_LOGS"); dir != "" {
		name := strings.ReplaceAll(filepath.Base(os.Args[0]), ".test", "") + ".log"
		_ = os.WriteFile(filepath.Join(dir, name), log, 0o600)
	}
	n := bytes.Count(log, []byte{'\n'})
	if leaks := Leaks(log); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "testlog: %d of %d log lines carry a secret:\n", len(leaks), n)
		for _, l := range leaks {
			fmt.Fprintln(os.Stderr, "  ", l)
		}
		code = 1
	} else if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "testlog: %d log lines checked, no secret found\n", n)
	}
	os.Exit(code)
}
