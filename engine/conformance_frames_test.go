package engine

import (
	"bytes"
	"fmt"
	"testing"
)

// Autobahn families 1 to 5 and 10: framing, ping/pong, reserved bits,
// opcodes, fragmentation, auto-fragmentation.

// framingCases: family 1. Text and binary of every length-encoding
// boundary up to the limit (65536 = confMaxMessage is 1.1.7), in one
// write, in 997-byte chops (1.1.8) and one byte per TCP segment; plus the
// framing rules Autobahn leaves to family 1's spirit: non-minimal length
// encodings, masking, 64-bit lengths.
func framingCases() []ccase {
	var cs []ccase
	lengths := []int{0, 125, 126, 127, 128, 65535, confMaxMessage}
	for i, op := range []OpCode{OpText, OpBinary} {
		kind := []string{"text", "binary"}[i]
		for j, n := range lengths {
			p := asciiPayload(n)
			id := fmt.Sprintf("1.%d.%d", i+1, j+1)
			cs = append(cs,
				ccase{id: id, name: fmt.Sprintf("%s %d bytes", kind, n), send: [][]byte{msg(op, p)}, want: []wsFrame{echo(op, p)}},
				ccase{id: id, name: fmt.Sprintf("%s %d bytes, one byte per segment", kind, n), send: [][]byte{msg(op, p)},
					chop: 1, want: []wsFrame{echo(op, p)}})
		}
		p := asciiPayload(65536)
		cs = append(cs, ccase{id: fmt.Sprintf("1.%d.8", i+1), name: kind + " 65536 bytes in 997-byte chops",
			send: [][]byte{msg(op, p)}, chop: 997, want: []wsFrame{echo(op, p)}})
	}
	short := asciiPayload(10)
	huge := func(ext ...byte) []byte { return append(append([]byte{0x82, 0xFF}, ext...), 1, 2, 3, 4) }
	return append(cs,
		ccase{id: "1.x", name: "length 10 in the 16-bit form", send: [][]byte{cframe{fin: true, op: OpBinary, lenForm: 126, payload: short}.bytes()},
			want: []wsFrame{echo(OpBinary, short)}},
		ccase{id: "1.x", name: "length 10 in the 64-bit form", send: [][]byte{cframe{fin: true, op: OpText, lenForm: 127, payload: short}.bytes()},
			want: []wsFrame{echo(OpText, short)}},
		ccase{id: "1.x", name: "several messages in one segment", send: [][]byte{textMsg("a"), msg(OpBinary, short), textMsg("")},
			want: []wsFrame{echoText("a"), echo(OpBinary, short), echoText("")}},
		ccase{id: "1.x", name: "unmasked text", send: [][]byte{cframe{fin: true, op: OpText, noMask: true, payload: []byte("hi")}.bytes()},
			close: CloseProtocolError},
		ccase{id: "1.x", name: "unmasked close", send: [][]byte{cframe{fin: true, op: OpClose, noMask: true, payload: []byte{3, 232}}.bytes()},
			close: CloseProtocolError},
		ccase{id: "1.x", name: "echo, then an unmasked frame", send: [][]byte{textMsg("ok"), cframe{fin: true, op: OpBinary, noMask: true}.bytes()},
			want: []wsFrame{echoText("ok")}, close: CloseProtocolError},
		ccase{id: "1.x", name: "length 2^63", send: [][]byte{huge(0x80, 0, 0, 0, 0, 0, 0, 0)}, close: CloseProtocolError},
		ccase{id: "1.x", name: "length 2^64-1", send: [][]byte{huge(bytes.Repeat([]byte{0xFF}, 8)...)}, close: CloseProtocolError},
		ccase{id: "1.x", name: "length 2^63, one byte per segment", send: [][]byte{huge(0x80, 0, 0, 0, 0, 0, 0, 0)}, chop: 1,
			close: CloseProtocolError},
	)
}

// pingCases: family 2.
func pingCases() []ccase {
	bin := []byte{0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF}
	p125, p126 := repeat(0xFE, 125), repeat(0xFE, 126)
	var ten [][]byte
	var tenPongs []wsFrame
	for i := range 10 {
		p := fmt.Appendf(nil, "payload-%d", i)
		ten, tenPongs = append(ten, msg(OpPing, p)), append(tenPongs, echo(OpPing, p))
	}
	var all [][]byte
	var allPongs []wsFrame
	for n := range 126 {
		p := asciiPayload(n)
		all, allPongs = append(all, msg(OpPing, p)), append(allPongs, echo(OpPing, p))
	}
	return []ccase{
		{id: "2.1", name: "ping without payload", send: [][]byte{msg(OpPing, nil)}, want: []wsFrame{echo(OpPing, nil)}},
		{id: "2.2", name: "ping with text payload", send: [][]byte{msg(OpPing, []byte("Hello, world!"))}, want: []wsFrame{echo(OpPing, []byte("Hello, world!"))}},
		{id: "2.3", name: "ping with binary payload", send: [][]byte{msg(OpPing, bin)}, want: []wsFrame{echo(OpPing, bin)}},
		{id: "2.4", name: "ping with 125-byte payload", send: [][]byte{msg(OpPing, p125)}, want: []wsFrame{echo(OpPing, p125)}},
		{id: "2.5", name: "ping with 126-byte payload", send: [][]byte{msg(OpPing, p126)}, close: CloseProtocolError},
		{id: "2.6", name: "ping with 125-byte payload, one byte per segment", send: [][]byte{msg(OpPing, p125)}, chop: 1,
			want: []wsFrame{echo(OpPing, p125)}},
		{id: "2.7", name: "unsolicited pong without payload", send: [][]byte{msg(OpPong, nil)}},
		{id: "2.8", name: "unsolicited pong with payload", send: [][]byte{msg(OpPong, []byte("unsolicited pong payload"))}},
		{id: "2.9", name: "unsolicited pong, then ping", send: [][]byte{msg(OpPong, []byte("unsolicited pong payload")), msg(OpPing, []byte("ping payload"))},
			want: []wsFrame{echo(OpPing, []byte("ping payload"))}},
		{id: "2.10", name: "10 pings", send: ten, want: tenPongs},
		{id: "2.11", name: "10 pings, one byte per segment", send: ten, chop: 1, want: tenPongs},
		{id: "2.x", name: "pings of every payload length 0 to 125", send: all, want: allPongs},
		{id: "2.x", name: "pong with 126-byte payload", send: [][]byte{cframe{fin: true, op: OpPong, lenForm: 126, payload: p126}.bytes()},
			close: CloseProtocolError},
		{id: "2.x", name: "ping with 126-byte payload after an echo", send: [][]byte{textMsg("first"), msg(OpPing, p126), msg(OpPing, nil)},
			want: []wsFrame{echoText("first")}, close: CloseProtocolError},
	}
}

// reservedBitsCases: family 3. No extension is negotiated, so every RSV
// bit fails the connection; what came before is answered, what follows is
// not.
func reservedBitsCases() []ccase {
	hello := []byte("Hello, world!")
	small := func(rsv byte) []byte { return withRSV(rsv, OpText, hello) }
	bin := []byte{0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF}
	thenPing := func(rsv byte) [][]byte {
		return [][]byte{textMsg("Hello, world!"), small(rsv), msg(OpPing, []byte("ping"))}
	}
	return []ccase{
		{id: "3.1", name: "text with RSV = 1", send: [][]byte{small(1)}, close: CloseProtocolError},
		{id: "3.2", name: "echo, text with RSV = 2, ping", send: thenPing(2), want: []wsFrame{echo(OpText, hello)}, close: CloseProtocolError},
		{id: "3.3", name: "echo, text with RSV = 3, ping, one frame per write", send: thenPing(3), chop: chopFrame,
			want: []wsFrame{echo(OpText, hello)}, close: CloseProtocolError},
		{id: "3.4", name: "echo, text with RSV = 4, ping, one byte per segment", send: thenPing(4), chop: 1,
			want: []wsFrame{echo(OpText, hello)}, close: CloseProtocolError},
		{id: "3.5", name: "binary with RSV = 5", send: [][]byte{withRSV(5, OpBinary, bin)}, close: CloseProtocolError},
		{id: "3.6", name: "ping with RSV = 6", send: [][]byte{withRSV(6, OpPing, hello)}, close: CloseProtocolError},
		{id: "3.7", name: "close with RSV = 7", send: [][]byte{withRSV(7, OpClose, []byte{3, 232})}, close: CloseProtocolError},
		{id: "3.x", name: "pong with RSV = 1", send: [][]byte{withRSV(1, OpPong, nil)}, close: CloseProtocolError},
		{id: "3.x", name: "continuation with RSV = 2", send: [][]byte{frag(false, OpText, []byte("a")),
			cframe{fin: true, rsv: 2, op: OpContinuation, payload: []byte("b")}.bytes()}, close: CloseProtocolError},
		{id: "3.x", name: "permessage-deflate offered: not negotiated, RSV1 still fails", close: CloseProtocolError,
			script: func(t *testing.T, c *wsClient) {
				d := dialRaw(t, c.nc.RemoteAddr())
				d.send(d.request("/", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"))
				if ext := d.expectUpgrade().Header.Get("Sec-WebSocket-Extensions"); ext != "" {
					t.Fatalf("server negotiated %q", ext)
				}
				c.send(withRSV(4, OpText, []byte("compressed?")))
			}},
	}
}

// opcodeCases: family 4. Reserved non-control (3–7) and control (11–15)
// opcodes fail the connection.
func opcodeCases() []ccase {
	var cs []ccase
	for i, base := range []OpCode{3, 11} {
		fam := fmt.Sprintf("4.%d.", i+1)
		cs = append(cs,
			ccase{id: fam + "1", name: fmt.Sprintf("opcode %d", base), send: [][]byte{msg(base, nil)}, close: CloseProtocolError},
			ccase{id: fam + "2", name: fmt.Sprintf("opcode %d with payload", base+1), send: [][]byte{msg(base+1, []byte("reserved opcode payload"))},
				close: CloseProtocolError})
		for k := OpCode(2); k <= 4; k++ {
			op := base + k
			cs = append(cs, ccase{id: fam + fmt.Sprint(k+1), name: fmt.Sprintf("echo, opcode %d, ping", op),
				send: [][]byte{textMsg("Hello, world!"), msg(op, []byte("reserved opcode payload")), msg(OpPing, []byte("ping"))},
				want: []wsFrame{echoText("Hello, world!")}, close: CloseProtocolError})
		}
	}
	return cs
}

// fragmentationCases: family 5.
func fragmentationCases() []ccase {
	f1, f2 := []byte("fragment1"), []byte("fragment2")
	two := [][]byte{frag(false, OpText, f1), frag(true, OpContinuation, f2)}
	withPing := [][]byte{frag(false, OpText, f1), msg(OpPing, []byte("ping payload")), frag(true, OpContinuation, f2)}
	pongThenEcho := []wsFrame{echo(OpPing, []byte("ping payload")), echoText("fragment1fragment2")}
	orphanFin := [][]byte{frag(true, OpContinuation, []byte("non-continuation payload")), textMsg("Hello, world!")}
	orphan := [][]byte{frag(false, OpContinuation, []byte("non-continuation payload")), textMsg("Hello, world!")}
	five := [][]byte{
		frag(false, OpText, []byte("fragment1")), frag(false, OpContinuation, []byte("fragment2")),
		msg(OpPing, []byte("pongme 1!")), frag(false, OpContinuation, []byte("fragment3")),
		frag(false, OpContinuation, []byte("fragment4")), msg(OpPing, []byte("pongme 2!")),
		frag(true, OpContinuation, []byte("fragment5")),
	}
	fiveWant := []wsFrame{echo(OpPing, []byte("pongme 1!")), echo(OpPing, []byte("pongme 2!")),
		echoText("fragment1fragment2fragment3fragment4fragment5")}
	twice := func(first []byte) [][]byte {
		round := [][]byte{first, frag(true, OpContinuation, f2), textMsg("fragment3")}
		return append(round, round...)
	}
	oneByte := func(op OpCode, p []byte) [][]byte {
		var out [][]byte
		for i := range p {
			o := OpContinuation
			if i == 0 {
				o = op
			}
			out = append(out, frag(i == len(p)-1, o, p[i:i+1]))
		}
		return out
	}
	p300 := asciiPayload(300)
	return []ccase{
		{id: "5.1", name: "ping in 2 fragments", send: [][]byte{frag(false, OpPing, f1), frag(true, OpContinuation, f2)}, close: CloseProtocolError},
		{id: "5.2", name: "pong in 2 fragments", send: [][]byte{frag(false, OpPong, f1), frag(true, OpContinuation, f2)}, close: CloseProtocolError},
		{id: "5.3", name: "text in 2 fragments", send: two, want: []wsFrame{echoText("fragment1fragment2")}},
		{id: "5.4", name: "text in 2 fragments, one frame per write", send: two, chop: chopFrame, want: []wsFrame{echoText("fragment1fragment2")}},
		{id: "5.5", name: "text in 2 fragments, one byte per segment", send: two, chop: 1, want: []wsFrame{echoText("fragment1fragment2")}},
		{id: "5.6", name: "text in 2 fragments, ping between", send: withPing, want: pongThenEcho},
		{id: "5.7", name: "text in 2 fragments, ping between, one frame per write", send: withPing, chop: chopFrame, want: pongThenEcho},
		{id: "5.8", name: "text in 2 fragments, ping between, one byte per segment", send: withPing, chop: 1, want: pongThenEcho},
		{id: "5.9", name: "continuation (FIN) without a start", send: orphanFin, close: CloseProtocolError},
		{id: "5.10", name: "continuation (FIN) without a start, one frame per write", send: orphanFin, chop: chopFrame, close: CloseProtocolError},
		{id: "5.11", name: "continuation (FIN) without a start, one byte per segment", send: orphanFin, chop: 1, close: CloseProtocolError},
		{id: "5.12", name: "continuation without a start", send: orphan, close: CloseProtocolError},
		{id: "5.13", name: "continuation without a start, one frame per write", send: orphan, chop: chopFrame, close: CloseProtocolError},
		{id: "5.14", name: "continuation without a start, one byte per segment", send: orphan, chop: 1, close: CloseProtocolError},
		{id: "5.15", name: "message, then a continuation without a start", send: [][]byte{two[0], two[1],
			frag(false, OpContinuation, []byte("fragment3")), frag(true, OpText, []byte("fragment4"))},
			want: []wsFrame{echoText("fragment1fragment2")}, close: CloseProtocolError},
		{id: "5.16", name: "continuation, continuation (FIN), text, twice", send: twice(frag(false, OpContinuation, f1)), close: CloseProtocolError},
		{id: "5.17", name: "continuation (FIN), continuation (FIN), text, twice", send: twice(frag(true, OpContinuation, f1)), close: CloseProtocolError},
		{id: "5.18", name: "text in 2 fragments, both with the text opcode", send: [][]byte{frag(false, OpText, f1), frag(true, OpText, f2)},
			close: CloseProtocolError},
		{id: "5.19", name: "text in 5 fragments, 2 pings between", send: five, want: fiveWant},
		{id: "5.20", name: "text in 5 fragments, 2 pings between, one frame per write", send: five, chop: chopFrame, want: fiveWant},
		{id: "5.x", name: "start without an end, then close", send: [][]byte{frag(false, OpText, f1), closeMsg(CloseNormal, "")},
			close: CloseNormal, reply: true},
		{id: "5.x", name: "binary in 300 one-byte fragments", send: oneByte(OpBinary, p300), chop: 7, want: []wsFrame{echo(OpBinary, p300)}},
		{id: "5.x", name: "text in 300 one-byte fragments", send: oneByte(OpText, p300), chop: chopFrame, want: []wsFrame{echo(OpText, p300)}},
		{id: "5.x", name: "empty fragments around one byte", send: [][]byte{frag(false, OpText, nil), frag(false, OpContinuation, []byte("x")),
			frag(false, OpContinuation, nil), frag(true, OpContinuation, nil)}, want: []wsFrame{echoText("x")}},
		{id: "5.x", name: "close in 2 fragments", send: [][]byte{frag(false, OpClose, []byte{3}), frag(true, OpContinuation, []byte{232})},
			close: CloseProtocolError},
		{id: "5.x", name: "new binary message inside a text one", send: [][]byte{frag(false, OpText, f1), msg(OpBinary, f2)},
			close: CloseProtocolError},
	}
}

// miscCases: family 10. A client may cut a message into fragments of any
// size (10.1.1: 1300 bytes).
func miscCases() []ccase {
	p := asciiPayload(confMaxMessage)
	return []ccase{
		{id: "10.1.1", name: "text of 65536 bytes in 1300-byte fragments", send: fragments(OpText, p, 1300),
			want: []wsFrame{echo(OpText, p)}},
	}
}
