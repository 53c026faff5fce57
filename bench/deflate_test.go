package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/imgate/gateway/engine"
	"github.com/imgate/gateway/engine/wsframe"
)

// A compressed server frame is inflated only when the connection
// negotiated permessage-deflate; a bomb stops at the reader's limit.
func TestFrameReaderDeflate(t *testing.T) {
	p := appendFiller(nil, TextEnglish, 2000, 3)
	z := wsframe.New(engine.TextFrame(p)).Deflated()
	if z == nil {
		t.Fatal("English prose did not compress")
	}
	read := func(deflate bool, max int, frames ...[]byte) ([]byte, error) {
		fr := frameReader{r: bufio.NewReader(bytes.NewReader(bytes.Join(frames, nil))), max: max, deflate: deflate}
		_, msg, err := fr.nextMessage()
		return msg, err
	}
	if msg, err := read(true, 1<<20, z); err != nil || !bytes.Equal(msg, p) {
		t.Fatalf("inflated %d bytes, err %v", len(msg), err)
	}
	if _, err := read(false, 1<<20, z); !errors.Is(err, ErrProtocol) {
		t.Fatalf("RSV1 without the extension: %v, want ErrProtocol", err)
	}
	bomb := wsframe.New(engine.TextFrame(make([]byte, 4<<20))).Deflated()
	if _, err := read(true, 1<<20, bomb); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("bomb: %v, want ErrFrameTooLarge", err)
	}
	// appendDeflated's client frame, unmasked, is what the server inflates.
	cf := appendDeflated(nil, ws.OpText, p)
	h, n, err := parseHeaderExt(cf, true)
	if err != nil || !h.rsv1 || !h.masked {
		t.Fatalf("client frame header %+v, %v", h, err)
	}
	body := cf[n:]
	ws.Cipher(body, h.mask, 0)
	var in inflater
	if got, err := in.inflate(body, 1<<20); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("client frame inflates to %d bytes, %v", len(got), err)
	}
}

// The Chinese filler is whole runes of running text.
func TestFillerChinese(t *testing.T) {
	b := appendFiller([]byte("x"), TextChinese, 50, 7)
	if len(b) < 51 || len(b) > 54 || !bytes.ContainsRune(b, '的') && !bytes.ContainsAny(b, "你我他们") {
		t.Fatalf("filler %q", b)
	}
	if s := string(b); !utf8Valid(s) {
		t.Fatalf("filler cut a rune: %q", b)
	}
}

func utf8Valid(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' {
			return false
		}
	}
	return true
}

type compressingEcho struct{}

func (compressingEcho) OnOpen(*engine.Conn, *engine.Request) {}
func (compressingEcho) OnClose(*engine.Conn, uint16)         {}
func (compressingEcho) OnMessage(c *engine.Conn, op engine.OpCode, p []byte) {
	c.WriteFrame(wsframe.New(engine.AppendFrame(nil, op, p)))
}

// bench echo -compression against the engine with compression: every
// echo comes back (compressed) and is counted; against a server without
// it, every connection fails with ErrNoCompression.
func TestEchoCompression(t *testing.T) {
	for _, on := range []bool{true, false} {
		srv, err := engine.New(compressingEcho{}, engine.WithOptions(engine.Options{Loops: 1, Compression: on, PingInterval: -1}))
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve("127.0.0.1:0") }()
		<-srv.Ready()
		before := wsframe.Compressions()
		rep, err := Echo(context.Background(), Config{Targets: []string{"ws://" + srv.Addr().String() + "/"}, Conns: 2,
			Duration: 300 * time.Millisecond, Payload: 1000, Inflight: 2, Compression: true, Timeout: 5 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Stop(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if on {
			if rep.Connected != 2 || rep.Echo.Messages == 0 || rep.Echo.Unexpected != 0 || wsframe.Compressions() == before {
				t.Fatalf("connected %d, echo %+v, %d compressions, errors %v", rep.Connected, rep.Echo, wsframe.Compressions()-before, rep.Errors)
			}
		} else if rep.Connected != 0 || rep.Errors["no compression"] != 2 {
			t.Fatalf("%d connections without compression, errors %v", rep.Connected, rep.Errors)
		}
	}
}
