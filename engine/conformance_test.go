package engine

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/internal/testutil"
)

// The conformance suite: our own equivalent of the Autobahn|Testsuite's
// server cases (which need Python 2 or Docker), run by `make test`. Each
// family is a subtest named after Autobahn's family number; each case is
// named after the Autobahn case it corresponds to ("5.19 …"), or "N.x …"
// where Autobahn has none. Every case asserts exactly what the server sends
// (echoes, pongs, the close code), that it closes the TCP connection, and
// the code OnClose reports, each with a deadline. `go test -v -run
// Conformance ./engine` prints one summary line per family.

// TestConformance runs every family against an in-process echo server.
func TestConformance(t *testing.T) {
	for _, fam := range []confFamily{
		{"1", "framing", testOptions, framingCases},
		{"2", "ping and pong", testOptions, pingCases},
		{"3", "reserved bits", testOptions, reservedBitsCases},
		{"4", "opcodes", testOptions, opcodeCases},
		{"5", "fragmentation", testOptions, fragmentationCases},
		{"6", "UTF-8", testOptions, utf8Cases},
		{"7", "close", testOptions, closeCases},
		{"9", "limits at -max-message-size", testOptions, limitCases},
		{"9", "large messages (cmd/echo's limits)", bigOptions, bigMessageCases},
		{"10", "auto-fragmentation", testOptions, miscCases},
		{"12", "permessage-deflate payloads", deflateOptions, deflatePayloadCases},
		{"13", "permessage-deflate parameters", deflateOptions, deflateParamCases},
	} {
		var passed, total int
		t.Run(fam.id+" "+fam.name, func(t *testing.T) {
			passed, total = fam.run(t)
		})
		if total > 0 { // not filtered out by -run
			t.Logf("Autobahn family %s (%s): %d of %d cases passed", fam.id, fam.name, passed, total)
		}
	}
}

// confFamily is one family of cases and the server options they need.
type confFamily struct {
	id, name string
	opts     func() Options
	cases    func() []ccase
}

// run starts a server, runs every case on a connection of its own, and
// checks that no connection outlives the family.
func (fam confFamily) run(t *testing.T) (passed, total int) {
	h := newConfHandler()
	srv := startServer(t, h, fam.opts())
	cases := fam.cases()
	for i, cs := range cases {
		total++
		dev := fmt.Sprintf("c%d-%s", i, strings.ReplaceAll(cs.id, ".", "_"))
		if t.Run(cs.id+" "+cs.name, func(t *testing.T) { cs.run(t, srv, h, dev) }) {
			passed++
		} else if total-passed == confMaxFailures {
			// A broken path fails most cases of its family, each after
			// waiting testWait for a close that never comes: stop here,
			// the family has failed already.
			t.Fatalf("%d cases failed; the family's other %d cases not run", confMaxFailures, len(cases)-total)
		}
	}
	testutil.Eventually(t, testWait, statsZero(srv.Server))
	return passed, total
}

// confMaxFailures is how many failed cases end a family's run.
const confMaxFailures = 5

// bigOptions are cmd/echo's limits: 16 MiB messages, a 64 MiB write queue.
func bigOptions() Options {
	o := testOptions()
	o.MaxMessageSize = 16 << 20
	o.WriteQueueBytes = 64 << 20
	return o
}

// confMaxMessage is the message limit of every family but the large one:
// the engine's (and the gateway's) default -max-message-size.
const confMaxMessage = 64 << 10

// Ways a case's frames are cut into TCP writes (ccase.chop, beside n > 0:
// n bytes per write).
const (
	chopNone  = 0  // every frame in one write
	chopFrame = -1 // one write per frame
)

// ccase is one conformance case.
type ccase struct {
	id, name string
	send     [][]byte  // client frames, in order
	chop     int       // how send is cut into writes (chopNone, chopFrame, n)
	want     []wsFrame // frames the server must answer with, in order
	// close is the code of the server's close frame; 0 means the server
	// must keep the connection open, and the harness then closes it
	// cleanly with 1000.
	close uint16
	// reply marks a close that answers the client's own close frame: its
	// payload is exactly the code (nothing for 1005) and the server closes
	// TCP without waiting.
	reply bool
	// gen, when set, makes send and want when the case runs (large cases
	// would hold hundreds of MiB if built up front).
	gen func() (send [][]byte, want []wsFrame)
	// script, when set, runs instead of send and want (round trips).
	script func(t *testing.T, c *wsClient)
	// offer, when set, is the Sec-WebSocket-Extensions of the upgrade
	// request, and accept the header the response must carry ("" for a
	// declined offer); see conformance_deflate_test.go.
	offer, accept string
}

// run plays the case on a new connection whose device_id is dev.
func (cs *ccase) run(t *testing.T, srv *testServer, h *confHandler, dev string) {
	c := cs.dial(t, srv, dev)
	c.pings = true // the server never pings here: one would be an error
	if cs.gen != nil {
		cs.send, cs.want = cs.gen()
	}
	if cs.script != nil {
		cs.script(t, c)
	} else {
		cs.write(c)
		for _, f := range cs.want {
			c.expectMessage(f.op, f.payload)
		}
	}
	code := cs.close
	switch {
	case code == 0:
		code = CloseNormal
		c.trySend(closeMsg(CloseNormal, ""))
		c.expectCloseReply(CloseNormal)
	case cs.reply:
		c.expectCloseReply(code)
	default:
		c.expectClose(code)
		c.trySend(closeMsg(code, ""))
		c.expectEnd()
	}
	if got := h.waitClose(t, dev); got != code {
		t.Fatalf("OnClose code %d, want %d", got, code)
	}
}

// write sends the case's frames cut as cs.chop says. Errors are ignored:
// the server may close first, and the expectations tell.
func (cs *ccase) write(c *wsClient) {
	switch {
	case cs.chop == chopFrame:
		for _, f := range cs.send {
			c.trySend(f)
		}
	case cs.chop > 0:
		for b := cat(cs.send...); len(b) > 0; {
			k := min(cs.chop, len(b))
			c.trySend(b[:k])
			b = b[k:]
		}
	default:
		c.trySend(cat(cs.send...))
	}
}

// expectCloseReply expects the server's answer to the client's close frame:
// exactly code (no payload for 1005), then the end of the TCP connection.
func (c *wsClient) expectCloseReply(code uint16) {
	c.t.Helper()
	var want []byte
	if code != CloseNoStatus {
		want = binary.BigEndian.AppendUint16(nil, code)
	}
	f := c.mustFrame()
	if f.op != OpClose || string(f.payload) != string(want) {
		c.t.Fatalf("got op %d payload % x, want close % x", f.op, f.payload, want)
	}
	c.expectEnd()
}

// expectEnd expects the server to close the TCP connection without
// sending another byte.
func (c *wsClient) expectEnd() {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(testWait))
	n, err := io.Copy(io.Discard, c.br)
	if n > 0 {
		c.t.Fatalf("%d bytes after the close frame", n)
	}
	if err != nil && !testutil.IsReset(err) {
		c.t.Fatalf("waiting for the server to close: %v", err)
	}
}

// confHandler echoes every message and records OnClose codes by the
// connection's device_id.
type confHandler struct {
	mu    sync.Mutex
	devs  map[*Conn]string
	codes map[string]uint16
}

func newConfHandler() *confHandler {
	return &confHandler{devs: make(map[*Conn]string), codes: make(map[string]uint16)}
}

func (h *confHandler) OnOpen(c *Conn, req *Request) {
	h.mu.Lock()
	h.devs[c] = req.DeviceID
	h.mu.Unlock()
}

func (h *confHandler) OnMessage(c *Conn, op OpCode, p []byte) {
	if c.Compressed() { // families 12 and 13: echo through the shared frame
		c.WriteFrame(wsframe.New(AppendFrame(make([]byte, 0, len(p)+HeaderRoom), op, p)))
		return
	}
	echoHandler{}.OnMessage(c, op, p)
}

func (h *confHandler) OnClose(c *Conn, code uint16) {
	h.mu.Lock()
	h.codes[h.devs[c]] = code
	delete(h.devs, c)
	h.mu.Unlock()
}

// waitClose waits for OnClose of the connection dev and returns its code.
func (h *confHandler) waitClose(t testing.TB, dev string) uint16 {
	t.Helper()
	var code uint16
	testutil.Eventually(t, testWait, func() error {
		h.mu.Lock()
		defer h.mu.Unlock()
		c, ok := h.codes[dev]
		if !ok {
			return fmt.Errorf("no OnClose for %s", dev)
		}
		code = c
		return nil
	})
	return code
}

// Frame helpers for the case tables.

// textMsg is a masked FIN text frame.
func textMsg(s string) []byte { return msg(OpText, []byte(s)) }

// echo is the frame the server answers a message or a ping with.
func echo(op OpCode, p []byte) wsFrame {
	if op == OpPing {
		op = OpPong
	}
	return wsFrame{fin: true, op: op, payload: p}
}

// echoText is echo(OpText, s).
func echoText(s string) wsFrame { return echo(OpText, []byte(s)) }

// withRSV is a masked FIN frame with reserved bits rsv.
func withRSV(rsv byte, op OpCode, p []byte) []byte {
	return cframe{fin: true, rsv: rsv, op: op, payload: p}.bytes()
}

// repeat returns n copies of b.
func repeat(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }
