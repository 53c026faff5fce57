package bench

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func BenchmarkAppendFrame(b *testing.B) {
	p := bytes.Repeat([]byte{'x'}, 64)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	b.ResetTimer()
	for b.Loop() {
		buf = appendFrame(buf[:0], ws.OpText, p)
	}
}

func BenchmarkFrameReaderNext(b *testing.B) {
	frame := serverFrame(b, ws.OpText, true, bytes.Repeat([]byte{'x'}, 64))
	stream := bytes.Repeat(frame, 1024)
	rd := bytes.NewReader(stream)
	fr := frameReader{r: bufio.NewReaderSize(rd, 4096), max: 1 << 20}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%1024 == 0 {
			rd.Reset(stream)
			fr.r.Reset(rd)
		}
		if _, _, err := fr.next(); err != nil && err != io.EOF {
			b.Fatal(err)
		}
	}
}

func BenchmarkChatHandlePush(b *testing.B) {
	e := &chatRun{logs: make([]senderLog, 2), r: &runner{}}
	cc := &chatConn{c: &conn{id: 1}}
	var msgs [][]byte
	for seq := 1; seq <= 4096; seq++ {
		msgs = append(msgs, []byte(`{"cmd_id":3001,"code":200,"body":{"msg_id":"m1","from_uid":"u0","from_device":"web","to_uid":"u1","content":"bench:1764196545123456789:0:`+
			strconv.Itoa(seq)+`:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","ts":1764196545123},"err_msg":""}`))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.handle(cc, msgs[i%len(msgs)])
	}
}

func BenchmarkRecorder(b *testing.B) {
	var r recorder
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r.record(i, time.Duration(i%100000)*time.Microsecond)
	}
}

func BenchmarkMintToken(b *testing.B) {
	secret := []byte("bench-secret")
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := mintToken(secret, "u12345", now, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
