package engine

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgate/gateway/internal/testutil"
)

// Autobahn families 7 (close handshake) and 9 (limits and large messages).

// closeCases: family 7. The server answers a valid close with the same
// code (no reason) and closes TCP; an invalid one gets 1002 (1007 for a
// reason that is not UTF-8). 1012–1014 are registered with IANA since
// Autobahn's tables were written: the engine accepts them.
func closeCases() []ccase {
	hello := []byte("Hello World!")
	cs := []ccase{
		{id: "7.1.1", name: "echo, then a clean close", send: [][]byte{textMsg("Hello World!")}, want: []wsFrame{echo(OpText, hello)}},
		{id: "7.1.2", name: "close twice", send: [][]byte{closeMsg(CloseNormal, ""), closeMsg(CloseNormal, "")}, close: CloseNormal, reply: true},
		{id: "7.1.3", name: "close, then ping", send: [][]byte{closeMsg(CloseNormal, ""), msg(OpPing, hello)}, close: CloseNormal, reply: true},
		{id: "7.1.4", name: "close, then text", send: [][]byte{closeMsg(CloseNormal, ""), textMsg("late")}, close: CloseNormal, reply: true},
		{id: "7.1.5", name: "fragment, close, last fragment", send: [][]byte{frag(false, OpText, []byte("fragment1")),
			closeMsg(CloseNormal, ""), frag(true, OpContinuation, []byte("fragment2"))}, close: CloseNormal, reply: true},
		{id: "7.1.6", name: "message of the maximum size, close, ping", send: [][]byte{msg(OpBinary, asciiPayload(confMaxMessage)),
			closeMsg(CloseNormal, ""), msg(OpPing, hello)}, want: []wsFrame{echo(OpBinary, asciiPayload(confMaxMessage))},
			close: CloseNormal, reply: true},
		{id: "7.3.1", name: "close without payload", send: [][]byte{msg(OpClose, nil)}, close: CloseNoStatus, reply: true},
		{id: "7.3.2", name: "close with a 1-byte payload", send: [][]byte{msg(OpClose, []byte{0x03})}, close: CloseProtocolError},
		{id: "7.3.3", name: "close 1000 without reason", send: [][]byte{closeMsg(CloseNormal, "")}, close: CloseNormal, reply: true},
		{id: "7.3.4", name: "close 1000 with a reason", send: [][]byte{closeMsg(CloseNormal, "Hello World!")}, close: CloseNormal, reply: true},
		{id: "7.3.5", name: "close 1000 with a 123-byte reason", send: [][]byte{closeMsg(CloseNormal, string(repeat('*', 123)))},
			close: CloseNormal, reply: true},
		{id: "7.3.6", name: "close 1000 with a 124-byte reason", send: [][]byte{cframe{fin: true, op: OpClose, lenForm: 126,
			payload: append([]byte{0x03, 0xE8}, repeat('*', 124)...)}.bytes()}, close: CloseProtocolError},
		{id: "7.5.1", name: "close reason not UTF-8", send: [][]byte{closeMsg(CloseNormal, kosme+"\xed\xa0\x80edited")}, close: CloseInvalidData},
		{id: "7.x", name: "close with a UTF-8 reason", send: [][]byte{closeMsg(4999, "adiós")}, close: 4999, reply: true},
		{id: "7.x", name: "close after an echo, one byte per segment", send: [][]byte{textMsg("x"), closeMsg(3000, "bye")}, chop: 1,
			want: []wsFrame{echoText("x")}, close: 3000, reply: true},
	}
	for i, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cs = append(cs, ccase{id: fmt.Sprintf("7.7.%d", i+1), name: fmt.Sprintf("valid close code %d", code),
			send: [][]byte{closeMsg(code, "")}, close: code, reply: true})
	}
	for _, code := range []uint16{1012, 1013, 1014} {
		cs = append(cs, ccase{id: "7.7.x", name: fmt.Sprintf("registered close code %d", code),
			send: [][]byte{closeMsg(code, "")}, close: code, reply: true})
	}
	for i, code := range []uint16{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cs = append(cs, ccase{id: fmt.Sprintf("7.9.%d", i+1), name: fmt.Sprintf("invalid close code %d", code),
			send: [][]byte{closeMsg(code, "")}, close: CloseProtocolError})
	}
	for _, code := range []uint16{1, 1015} {
		cs = append(cs, ccase{id: "7.9.x", name: fmt.Sprintf("invalid close code %d", code),
			send: [][]byte{closeMsg(code, "")}, close: CloseProtocolError})
	}
	for i, code := range []uint16{5000, 65535} {
		cs = append(cs, ccase{id: fmt.Sprintf("7.13.%d", i+1), name: fmt.Sprintf("close code %d", code),
			send: [][]byte{closeMsg(code, "")}, close: CloseProtocolError})
	}
	return append(cs, ccase{id: "7.x", name: "every close code 0 to 5000, and 65535", script: everyCloseCode})
}

// everyCloseCode sends every close code from 0 to 5000, and 65535, each on
// a connection of its own (eight at a time), and expects the code echoed
// where RFC 6455 and the IANA registry allow a peer to send it (1000–1003,
// 1007–1014, 3000–4999), 1002 elsewhere, and the end of the connection.
func everyCloseCode(t *testing.T, c *wsClient) {
	codes := make(chan uint16)
	go func() {
		for code := 0; code <= 5000; code++ {
			codes <- uint16(code)
		}
		codes <- 65535
		close(codes)
	}()
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for code := range codes {
				if err := closeWithCode(c.nc.RemoteAddr(), code); err != nil {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("close %d: %v", code, err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d codes answered wrongly, first: %s", len(failed), strings.Join(failed[:min(len(failed), 5)], "; "))
	}
}

// closeWithCode upgrades a new connection to addr, sends a close frame with
// code and checks the answer; it returns what went wrong. It may run on any
// goroutine: it never calls the testing.T.
func closeWithCode(addr net.Addr, code uint16) error {
	nc, err := net.DialTimeout("tcp", addr.String(), testWait)
	if err != nil {
		return err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(testWait))
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	br := bufio.NewReader(nc)
	if _, err := nc.Write(cat(upgradeHead("/", key), closeMsg(code, ""))); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("upgrade: %v %v", resp, err)
	}
	want := code
	valid := code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999
	if !valid {
		want = CloseProtocolError
	}
	f, err := readServerFrame(br)
	switch {
	case err != nil:
		return err
	case f.op != OpClose || len(f.payload) < 2 || binary.BigEndian.Uint16(f.payload) != want:
		return fmt.Errorf("got op %d payload % x, want close %d", f.op, f.payload, want)
	case valid && len(f.payload) != 2:
		return fmt.Errorf("echoed close has a reason: %q", f.payload[2:])
	}
	if !valid {
		_, _ = nc.Write(closeMsg(want, ""))
	}
	if n, err := io.Copy(io.Discard, br); n > 0 || err != nil && !testutil.IsReset(err) {
		return fmt.Errorf("after the close: %d bytes, %v", n, err)
	}
	return nil
}

// limitCases: family 9 at the default -max-message-size (64 KiB): a
// message of exactly the limit passes in one frame and in 64-byte
// fragments; one byte more is refused with 1009 as soon as a frame header
// shows it, before its payload arrives.
func limitCases() []ccase {
	maxP, over := asciiPayload(confMaxMessage), asciiPayload(confMaxMessage+1)
	huge := []byte{0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}
	return []ccase{
		{id: "9.x", name: "text of the limit in one frame", send: [][]byte{msg(OpText, maxP)}, want: []wsFrame{echo(OpText, maxP)}},
		{id: "9.x", name: "binary of the limit in one frame", send: [][]byte{msg(OpBinary, maxP)}, want: []wsFrame{echo(OpBinary, maxP)}},
		{id: "9.x", name: "text of the limit in 64-byte fragments", send: fragments(OpText, maxP, 64), want: []wsFrame{echo(OpText, maxP)}},
		{id: "9.x", name: "binary of the limit in 64-byte fragments", send: fragments(OpBinary, maxP, 64), want: []wsFrame{echo(OpBinary, maxP)}},
		{id: "9.x", name: "limit + 1 in one frame", send: [][]byte{msg(OpText, over)}, close: CloseTooBig},
		{id: "9.x", name: "limit + 1, frame header only", send: [][]byte{msg(OpBinary, over)[:14]}, close: CloseTooBig},
		{id: "9.x", name: "limit + 1 in 64-byte fragments", send: fragments(OpBinary, over, 64), close: CloseTooBig},
		{id: "9.x", name: "limit + 1 in 2 fragments, 2nd header only", send: [][]byte{frag(false, OpText, over[:confMaxMessage/2]),
			frag(true, OpContinuation, over[confMaxMessage/2:])[:8]}, close: CloseTooBig},
		{id: "9.x", name: "length 2^63-1", send: [][]byte{huge}, close: CloseTooBig},
		{id: "9.x", name: "echo, then limit + 1", send: [][]byte{textMsg("before"), msg(OpBinary, over)},
			want: []wsFrame{echoText("before")}, close: CloseTooBig},
	}
}

// bigMessageCases: family 9's large messages against cmd/echo's limits
// (16 MiB messages).
func bigMessageCases() []ccase {
	var cs []ccase
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	fragSizes := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	chops := []int{64, 128, 256, 512, 1024, 2048}
	msgSizes := []int{0, 16, 64, 256, 1 << 10, 4 << 10}
	for i, op := range []OpCode{OpText, OpBinary} {
		kind := []string{"text", "binary"}[i]
		for j, n := range sizes {
			cs = append(cs, ccase{id: fmt.Sprintf("9.%d.%d", 1+i, j+1), name: fmt.Sprintf("%s of %d bytes", kind, n),
				gen: oneMessage(op, n)})
		}
		for j, n := range fragSizes {
			cs = append(cs, ccase{id: fmt.Sprintf("9.%d.%d", 3+i, j+1), name: fmt.Sprintf("%s of 4 MiB in %d-byte fragments", kind, n),
				gen: func() ([][]byte, []wsFrame) {
					p := asciiPayload(4 << 20)
					return fragments(op, p, n), []wsFrame{echo(op, p)}
				}})
		}
		for j, n := range chops {
			cs = append(cs, ccase{id: fmt.Sprintf("9.%d.%d", 5+i, j+1), name: fmt.Sprintf("%s of 1 MiB in %d-byte chops", kind, n),
				gen: oneMessage(op, 1<<20), chop: n})
		}
		for j, n := range msgSizes {
			cs = append(cs, ccase{id: fmt.Sprintf("9.%d.%d", 7+i, j+1), name: fmt.Sprintf("1000 %s messages of %d bytes, round trips", kind, n),
				script: roundTrips(op, asciiPayload(n), 1000)})
		}
	}
	return cs
}

// oneMessage makes a case's message of n bytes and its echo.
func oneMessage(op OpCode, n int) func() ([][]byte, []wsFrame) {
	return func() ([][]byte, []wsFrame) {
		p := asciiPayload(n)
		return [][]byte{msg(op, p)}, []wsFrame{echo(op, p)}
	}
}

// fragments cuts p into masked fragments of n bytes.
func fragments(op OpCode, p []byte, n int) [][]byte {
	var out [][]byte
	for off := 0; off < len(p) || off == 0; off += n {
		end := min(off+n, len(p))
		o := OpContinuation
		if off == 0 {
			o = op
		}
		out = append(out, frag(end == len(p), o, p[off:end]))
	}
	return out
}

// roundTrips sends p count times, each after the echo of the one before.
func roundTrips(op OpCode, p []byte, count int) func(*testing.T, *wsClient) {
	return func(t *testing.T, c *wsClient) {
		f := msg(op, p)
		for range count {
			c.send(f)
			c.expectMessage(op, p)
		}
	}
}
