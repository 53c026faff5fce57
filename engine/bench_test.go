package engine

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// benchHead is a realistic upgrade request from a browser, token in the
// query (about 300 bytes of request line and headers that matter, plus the
// usual browser headers).
var benchHead = []byte("GET /?token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyMTIzIiwiZXhwIjoxNzkwMDAwMDAwLCJqdGkiOiJhYmMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU&device_id=web001&platform=web HTTP/1.1\r\n" +
	"Host: gw.example.com\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Origin: https://app.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n\r\n")

func BenchmarkUpgrade(b *testing.B) {
	up := newUpgrader()
	if _, ok := up.upgrade(benchHead); !ok || up.req.TokenSource != TokenQuery || up.req.DeviceID != "web001" {
		b.Fatalf("upgrade failed: %+v", up.req)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchHead)))
	b.ResetTimer()
	for range b.N {
		up.upgrade(benchHead)
	}
}

// noopHandler drops everything.
type noopHandler struct{}

func (noopHandler) OnOpen(*Conn, *Request)          {}
func (noopHandler) OnMessage(*Conn, OpCode, []byte) {}
func (noopHandler) OnClose(*Conn, uint16)           {}

// BenchmarkFrameDecode parses, unmasks and checks buffers of 128-byte
// masked text frames on a Conn with no socket: a valid text frame reaches
// OnMessage (a no-op) and nothing on that path writes. The mask and the
// payload are both ASCII, so unmasking the buffer again (the next
// iteration) leaves valid text too.
func BenchmarkFrameDecode(b *testing.B) {
	for _, n := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("frames=%d", n), func(b *testing.B) {
			srv, err := New(noopHandler{})
			if err != nil {
				b.Fatal(err)
			}
			c := &Conn{srv: srv, state: stateOpen, upgraded: true}
			var buf []byte
			for range n {
				f := cframe{fin: true, op: OpText, payload: asciiPayload(128), maskKey: [4]byte{0x11, 0x22, 0x33, 0x44}, fixedKey: true}
				buf = append(buf, f.bytes()...)
			}
			if got := c.readFrames(buf); got != len(buf) || c.state != stateOpen {
				b.Fatalf("readFrames used %d of %d bytes, state %d", got, len(buf), c.state)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			b.ResetTimer()
			for range b.N {
				c.readFrames(buf)
			}
			b.StopTimer()
			if c.state != stateOpen {
				b.Fatalf("state %d", c.state)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/frame")
		})
	}
}

func BenchmarkFinishFrame(b *testing.B) {
	for _, n := range []int{16, 128, 1024, 70000} {
		b.Run(fmt.Sprintf("payload=%d", n), func(b *testing.B) {
			buf := append(NewFrameBuffer(n), asciiPayload(n)...)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				FinishFrame(buf, OpText)
			}
		})
	}
}

// BenchmarkEchoRoundTrip echoes 64-byte text messages over one real
// connection, window messages in flight: a writer goroutine sends a masked
// frame per Write whenever the window has room, the benchmark goroutine
// reads the echoes.
func BenchmarkEchoRoundTrip(b *testing.B) {
	const window = 16
	o := testOptions()
	o.Loops = 1
	o.IdleTimeout = time.Hour
	srv := startServer(b, echoHandler{}, o)
	c := dialWS(b, srv.Addr(), "/")
	payload := asciiPayload(64)
	c.send(msg(OpText, payload))
	c.expectMessage(OpText, payload)
	echoPipelined(b, c, window)
}

// echoPipelined times b.N echoes of 64-byte text messages on c, window in
// flight: a writer goroutine sends a masked frame per Write whenever the
// window has room, the benchmark goroutine reads the echoes and checks the
// first. It reports msg/s.
func echoPipelined(b *testing.B, c *wsClient, window int) {
	payload := asciiPayload(64)
	frame := msg(OpText, payload)
	echo := AppendFrame(nil, OpText, payload)
	slots := make(chan struct{}, window)
	werr := make(chan error, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	go func() {
		for range b.N {
			slots <- struct{}{}
			if _, err := c.nc.Write(frame); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	_ = c.nc.SetReadDeadline(time.Now().Add(time.Minute))
	got := make([]byte, len(echo))
	for i := range b.N {
		if _, err := io.ReadFull(c.br, got); err != nil {
			b.Fatalf("echo %d: %v", i, err)
		}
		if i == 0 && string(got) != string(echo) {
			b.Fatalf("echo % x", got)
		}
		<-slots
	}
	b.StopTimer()
	if err := <-werr; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
