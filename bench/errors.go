package bench

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/gobwas/ws"
)

// Sentinel errors. Configuration errors are returned by the scenario
// functions before any connection is opened; the others classify what went
// wrong on one connection and are counted, not returned.
var (
	// ErrNoTarget means Config.Targets is empty.
	ErrNoTarget = errors.New("bench: no target")
	// ErrBadTarget means a target is neither host:port nor a ws:// or wss:// URL.
	ErrBadTarget = errors.New("bench: bad target")
	// ErrBadSrc means a source address list or range could not be parsed.
	ErrBadSrc = errors.New("bench: bad source address list")
	// ErrBadConfig means a numeric or enumerated setting is out of range.
	ErrBadConfig = errors.New("bench: bad config")
	// ErrNoSecret means a token auth mode was asked for without a JWT secret.
	ErrNoSecret = errors.New("bench: no JWT secret (use -jwt-secret or GATEWAY_JWT_SECRET)")
	// ErrTooManyConns means Config.Conns needs more open files than
	// RLIMIT_NOFILE allows one process.
	ErrTooManyConns = errors.New("bench: too many connections for the open-files limit")
	// ErrPorts means Config.Conns exceeds the ephemeral ports available for the
	// given source addresses and targets.
	ErrPorts = errors.New("bench: not enough ephemeral ports")
	// ErrFrameTooLarge means the server sent a frame over the reader's limit.
	ErrFrameTooLarge = errors.New("bench: frame too large")
	// ErrNoCompression means Config.Compression was asked for and the
	// server did not accept permessage-deflate.
	ErrNoCompression = errors.New("bench: server declined permessage-deflate")
	// ErrProtocol means the server broke RFC 6455 framing rules.
	ErrProtocol = errors.New("bench: websocket protocol violation")
	// ErrBadHello means the server's first frame was not the JSON the
	// protocol promises.
	ErrBadHello = errors.New("bench: malformed first frame")
	// ErrBadHistogram means an encoded histogram in a report could not be read.
	ErrBadHistogram = errors.New("bench: bad encoded histogram")
	// ErrMerge means reports of different scenarios were given to Merge, or none.
	ErrMerge = errors.New("bench: reports cannot be merged")
	// ErrChild means a child process of a -procs run failed or broke the
	// parent-child protocol.
	ErrChild = errors.New("bench: child process failed")
	// ErrProcFormat means /proc/PID/stat or /proc/PID/io could not be read.
	ErrProcFormat = errors.New("bench: unexpected /proc format")
	// ErrNoRSS means /proc/PID/status had no readable VmRSS line.
	ErrNoRSS = errors.New("bench: no VmRSS line in /proc status")
)

// CodeError is a JSON answer with a code other than 200: the first frame
// (Stage "hello") or the LOGIN response (Stage "login").
type CodeError struct {
	Stage string
	Code  int
}

func (e *CodeError) Error() string {
	return "bench: " + e.Stage + " answered code " + strconv.Itoa(e.Code)
}

// CloseError is a close frame received from the server.
type CloseError struct {
	Code ws.StatusCode
}

func (e *CloseError) Error() string {
	return "bench: server closed with " + strconv.Itoa(int(e.Code))
}

// classify names the kind of a connection error for the report. The kinds
// are stable strings: "refused", "timeout", "http NNN", "401" (first frame
// refused the token), "login NNN", "hello NNN", "close NNNN", "reset",
// "eof", "no ports", "too many files", "no compression", "protocol", "other".
func classify(err error) string {
	var se ws.StatusError
	var ce *CodeError
	var cl *CloseError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ce):
		if ce.Stage == "hello" && ce.Code == 401 {
			return "401"
		}
		return ce.Stage + " " + strconv.Itoa(ce.Code)
	case errors.As(err, &se):
		return "http " + strconv.Itoa(int(se))
	case errors.As(err, &cl):
		return "close " + strconv.Itoa(int(cl.Code))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return "no ports"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many files"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return "eof"
	case errors.Is(err, ErrNoCompression):
		return "no compression"
	case errors.Is(err, ErrProtocol), errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrBadHello),
		errors.Is(err, ws.ErrHandshakeBadProtocol), errors.Is(err, ws.ErrMalformedResponse):
		return "protocol"
	}
	return "other"
}
