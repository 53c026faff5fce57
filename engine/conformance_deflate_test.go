package engine

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/imgate/gateway/engine/wsframe"
)

// Autobahn families 12 and 13: permessage-deflate (RFC 7692). The server
// runs with no context takeover both ways; family 12 echoes payloads of
// every kind and size compressed, family 13 varies the offer (window bits,
// several offers, offers that must be declined).

// deflateOptions: compression on, messages up to 256 KiB (Autobahn's
// largest, 131072 bytes, fits; a 10 MiB bomb does not).
func deflateOptions() Options {
	o := testOptions()
	o.Compression = true
	o.MaxMessageSize = 256 << 10
	return o
}

// The response to every accepted offer without server_max_window_bits.
// gobwas/ws writes parameters without optional whitespace.
const pmdAccept = "permessage-deflate;server_no_context_takeover;client_no_context_takeover"

// dial upgrades with the case's offer and checks the response's extension.
func (cs *ccase) dial(t *testing.T, srv *testServer, dev string) *wsClient {
	target := "/?device_id=" + dev
	if cs.offer == "" {
		return dialWS(t, srv.Addr(), target)
	}
	c := dialRaw(t, srv.Addr())
	c.send(c.request(target, "Sec-WebSocket-Extensions: "+cs.offer))
	resp := c.expectUpgrade()
	if got := strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ", "); got != cs.accept {
		t.Fatalf("offer %q: extensions %q, want %q", cs.offer, got, cs.accept)
	}
	c.deflate = cs.accept != ""
	return c
}

// inflateFrame inflates a server frame with RSV1, which must only come on a
// connection that negotiated permessage-deflate.
func (c *wsClient) inflateFrame(f *wsFrame) error {
	if !c.deflate || f.rsv != 4 || f.op.isControl() {
		return fmt.Errorf("server frame op %d with RSV %d (deflate negotiated: %v)", f.op, f.rsv, c.deflate)
	}
	p, err := inflateAll(f.payload)
	f.payload = p
	return err
}

// inflateAll inflates one permessage-deflate message (the client side).
func inflateAll(p []byte) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader(deflateEnd)))
	return io.ReadAll(r)
}

// zmsg is a masked FIN frame with payload p compressed (RSV1).
func zmsg(op OpCode, p []byte) []byte {
	return cframe{fin: true, rsv: 4, op: op, payload: wsframe.Compress(nil, p)}.bytes()
}

// payload kinds of family 12, as Autobahn's (JSON, text, HTML, binary).
func chatJSON(n int) []byte {
	var b []byte
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, `{"cmd":3001,"seq":%d,"body":{"from":"user-%d","text":"see you at %d"}},`, i, i%7, i%24)
	}
	return b[:n]
}

func chineseText(n int) []byte {
	s := strings.Repeat("今天晚上我们在老地方见面，别忘了带上那本书。", n/60+1)
	b := []byte(s)[:n]
	for !utfValid(b) { // cut on a rune boundary
		b = b[:len(b)-1]
	}
	return b
}

func htmlText(n int) []byte {
	var b []byte
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, `<li class="msg"><a href="/u/%d">user %d</a> <span>%d</span></li>`+"\n", i, i%13, i)
	}
	return b[:n]
}

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 12))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func utfValid(b []byte) bool { _, ok := validUTF8Prefix(b); return ok && utf8Complete(b) }

func utf8Complete(b []byte) bool { n, _ := validUTF8Prefix(b); return n == len(b) }

// deflatePayloadCases: family 12. Each case echoes 5 messages of one kind
// and size compressed; the server answers compressed when it pays.
func deflatePayloadCases() []ccase {
	kinds := []struct {
		name string
		op   OpCode
		gen  func(int) []byte
	}{
		{"JSON", OpText, chatJSON},
		{"Chinese text", OpText, chineseText},
		{"HTML", OpText, htmlText},
		{"random binary", OpBinary, randomBytes},
	}
	sizes := []int{16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072}
	var cs []ccase
	for i, k := range kinds {
		for j, n := range sizes {
			cs = append(cs, ccase{
				id: fmt.Sprintf("12.%d.%d", i+1, j+1), name: fmt.Sprintf("%s %d bytes ×5", k.name, n),
				offer: "permessage-deflate", accept: pmdAccept,
				gen: func() ([][]byte, []wsFrame) {
					p := k.gen(n)
					var send [][]byte
					var want []wsFrame
					for range 5 {
						send, want = append(send, zmsg(k.op, p)), append(want, echo(k.op, p))
					}
					return send, want
				}})
		}
	}
	return append(cs, deflateRuleCases()...)
}

// deflateRuleCases are the RFC 7692 rules Autobahn checks in passing:
// per-message choice, fragments, RSV1 where it may not be, limits on the
// inflated size, corrupt streams, UTF-8 of the inflated text.
func deflateRuleCases() []ccase {
	on := func(c ccase) ccase { c.offer, c.accept = "permessage-deflate", pmdAccept; return c }
	text := chatJSON(3000)
	z := wsframe.Compress(nil, text)
	bomb := wsframe.Compress(nil, make([]byte, 10<<20))
	badUTF8 := wsframe.Compress(nil, append(chatJSON(2000), 0xff))
	first, rest := cframe{op: OpText, rsv: 4, payload: z[:len(z)/2]}.bytes(), cframe{fin: true, op: OpContinuation, payload: z[len(z)/2:]}.bytes()
	return []ccase{
		on(ccase{id: "12.x", name: "compressed and plain messages interleaved", send: [][]byte{zmsg(OpText, text), textMsg("plain"), zmsg(OpBinary, text)},
			want: []wsFrame{echo(OpText, text), echoText("plain"), echo(OpBinary, text)}}),
		on(ccase{id: "12.x", name: "compressed message in two fragments, RSV1 on the first", send: [][]byte{first, rest},
			want: []wsFrame{echo(OpText, text)}}),
		on(ccase{id: "12.x", name: "compressed fragments with a ping between, one byte per segment", send: [][]byte{first, msg(OpPing, []byte("p")), rest},
			chop: 1, want: []wsFrame{echo(OpPing, []byte("p")), echo(OpText, text)}}),
		on(ccase{id: "12.x", name: "RSV1 on a continuation frame", send: [][]byte{first, cframe{fin: true, rsv: 4, op: OpContinuation, payload: z[len(z)/2:]}.bytes()},
			close: CloseProtocolError}),
		on(ccase{id: "12.x", name: "RSV1 on a ping", send: [][]byte{withRSV(4, OpPing, nil)}, close: CloseProtocolError}),
		on(ccase{id: "12.x", name: "RSV2 on a text frame", send: [][]byte{withRSV(2, OpText, []byte("x"))}, close: CloseProtocolError}),
		on(ccase{id: "12.x", name: "RSV1+RSV2 on a text frame", send: [][]byte{withRSV(6, OpText, z)}, close: CloseProtocolError}),
		on(ccase{id: "12.x", name: "10 MiB of zeros in a small frame (bomb)", send: [][]byte{zmsg(OpBinary, nil)[:0], cframe{fin: true, rsv: 4, op: OpBinary, payload: bomb}.bytes()},
			close: CloseTooBig}),
		on(ccase{id: "12.x", name: "corrupt deflate stream", send: [][]byte{withRSV(4, OpBinary, []byte{0xff, 0xff, 0xff, 0xff, 0x00})}, close: CloseInvalidData}),
		on(ccase{id: "12.x", name: "compressed text, invalid UTF-8 once inflated", send: [][]byte{cframe{fin: true, rsv: 4, op: OpText, payload: badUTF8}.bytes()},
			close: CloseInvalidData}),
		on(ccase{id: "12.x", name: "compressed empty message", send: [][]byte{zmsg(OpText, nil), withRSV(4, OpText, []byte{0x00})},
			want: []wsFrame{echoText(""), echoText("")}}),
		{id: "12.x", name: "RSV1 without the extension", send: [][]byte{zmsg(OpText, text)}, close: CloseProtocolError},
	}
}

// deflateParamCases: family 13. Autobahn's 13.1–13.7 offers (each echoing
// messages from 16 bytes to 64 KiB), then offers RFC 7692 has a server
// decline, each followed by an RSV1 frame that must then fail 1002.
func deflateParamCases() []ccase {
	offers := []struct{ offer, accept string }{
		{"permessage-deflate", pmdAccept},
		{"permessage-deflate; client_no_context_takeover", pmdAccept},
		{"permessage-deflate; server_max_window_bits=8", pmdAccept + ";server_max_window_bits=8"},
		{"permessage-deflate; server_max_window_bits=15", pmdAccept + ";server_max_window_bits=15"},
		{"permessage-deflate; client_no_context_takeover; server_max_window_bits=9", pmdAccept + ";server_max_window_bits=9"},
		{"permessage-deflate; server_no_context_takeover; client_max_window_bits", pmdAccept},
		{"permessage-deflate; server_max_window_bits=9, permessage-deflate; client_max_window_bits=10, permessage-deflate",
			pmdAccept + ";server_max_window_bits=9"},
	}
	var cs []ccase
	for i, o := range offers {
		cs = append(cs, ccase{id: fmt.Sprintf("13.%d", i+1), name: o.offer, offer: o.offer, accept: o.accept,
			script: func(t *testing.T, c *wsClient) { windowRoundTrips(t, c, windowOf(o.accept)) }})
	}
	declined := []string{
		"permessage-deflate; server_max_window_bits=7",
		"permessage-deflate; server_max_window_bits=16",
		"permessage-deflate; server_max_window_bits",
		"permessage-deflate; client_max_window_bits=20",
		"permessage-deflate; client_no_context_takeover=1",
		"permessage-deflate; server_no_context_takeover; server_no_context_takeover",
		"permessage-deflate; mystery=1",
		"x-webkit-deflate-frame",
		"deflate-stream",
	}
	for _, offer := range declined {
		cs = append(cs, ccase{id: "13.x", name: "declined: " + offer, offer: offer, accept: "",
			send: [][]byte{textMsg("plain"), zmsg(OpText, []byte("compressed"))}, want: []wsFrame{echoText("plain")}, close: CloseProtocolError})
	}
	return append(cs, ccase{id: "13.x", name: "invalid offer first, valid second",
		offer: "permessage-deflate; server_max_window_bits=4, permessage-deflate; client_max_window_bits", accept: pmdAccept,
		script: func(t *testing.T, c *wsClient) { windowRoundTrips(t, c, 15) }})
}

// windowOf is the server_max_window_bits of a response (15 if none).
func windowOf(accept string) int {
	_, v, ok := strings.Cut(accept, "server_max_window_bits=")
	if !ok {
		return 15
	}
	var n int
	fmt.Sscan(v, &n)
	return n
}

// windowRoundTrips echoes compressed JSON from 16 bytes to 64 KiB and
// checks that no compressed answer carries a payload longer than the
// window the client allowed (so no back-reference can reach past it).
func windowRoundTrips(t *testing.T, c *wsClient, bits int) {
	compressed := 0
	for _, n := range []int{16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536} {
		p := chatJSON(n)
		c.send(zmsg(OpText, p))
		f := c.mustFrame()
		if f.op != OpText || !bytes.Equal(f.payload, p) {
			t.Fatalf("%d bytes: got op %d, %d bytes", n, f.op, len(f.payload))
		}
		if f.rsv == 4 {
			compressed++
			if bits < 15 && n > 1<<bits {
				t.Fatalf("%d bytes came compressed with a %d-bit window", n, bits)
			}
		}
	}
	if compressed == 0 {
		t.Fatal("no answer came compressed")
	}
}
