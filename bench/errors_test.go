package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/gobwas/ws"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{name: "nil", err: nil, want: ""},
		{name: "refused", err: fmt.Errorf("dial: %w", syscall.ECONNREFUSED), want: "refused"},
		{name: "reset", err: syscall.ECONNRESET, want: "reset"},
		{name: "ports", err: syscall.EADDRNOTAVAIL, want: "no ports"},
		{name: "files", err: syscall.EMFILE, want: "too many files"},
		{name: "deadline", err: os.ErrDeadlineExceeded, want: "timeout"},
		{name: "ctx deadline", err: context.DeadlineExceeded, want: "timeout"},
		{name: "http", err: ws.StatusError(503), want: "http 503"},
		{name: "hello 401", err: &CodeError{Stage: "hello", Code: 401}, want: "401"},
		{name: "hello 500", err: &CodeError{Stage: "hello", Code: 500}, want: "hello 500"},
		{name: "login 401", err: fmt.Errorf("x: %w", &CodeError{Stage: "login", Code: 401}), want: "login 401"},
		{name: "close", err: &CloseError{Code: 4001}, want: "close 4001"},
		{name: "eof", err: io.ErrUnexpectedEOF, want: "eof"},
		{name: "protocol", err: ErrProtocol, want: "protocol"},
		{name: "bad hello", err: ErrBadHello, want: "protocol"},
		{name: "other", err: errors.New("boom"), want: "other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Fatalf("classify(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}
