package bench

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gobwas/ws"
)

// serverFrame builds an unmasked server frame.
func serverFrame(t testing.TB, op ws.OpCode, fin bool, p []byte) []byte {
	t.Helper()
	b, err := ws.CompileFrame(ws.NewFrame(op, fin, p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr error
		wantN   int
		wantLen int64
		wantOp  ws.OpCode
		masked  bool
	}{
		{name: "empty", in: nil, wantErr: errShort},
		{name: "one byte", in: []byte{0x81}, wantErr: errShort},
		{name: "small text", in: []byte{0x81, 5}, wantN: 2, wantLen: 5, wantOp: ws.OpText},
		{name: "len16", in: []byte{0x82, 126, 0x01, 0x00}, wantN: 4, wantLen: 256, wantOp: ws.OpBinary},
		{name: "len16 short", in: []byte{0x82, 126, 0x01}, wantErr: errShort},
		{name: "len16 not minimal", in: []byte{0x82, 126, 0, 125}, wantErr: ErrProtocol},
		{name: "len64", in: []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}, wantN: 10, wantLen: 65536, wantOp: ws.OpBinary},
		{name: "len64 not minimal", in: []byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, wantErr: ErrProtocol},
		{name: "len64 top bit", in: []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, wantErr: ErrProtocol},
		{name: "masked", in: []byte{0x89, 0x82, 1, 2, 3, 4}, wantN: 6, wantLen: 2, wantOp: ws.OpPing, masked: true},
		{name: "rsv bits", in: []byte{0xc1, 0}, wantErr: ErrProtocol},
		{name: "reserved opcode", in: []byte{0x83, 0}, wantErr: ErrProtocol},
		{name: "fragmented ping", in: []byte{0x09, 0}, wantErr: ErrProtocol},
		{name: "long ping", in: []byte{0x89, 126, 0, 126}, wantErr: ErrProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, n, err := parseHeader(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if n != tc.wantN || h.length != tc.wantLen || h.op != tc.wantOp || h.masked != tc.masked {
				t.Fatalf("got %+v n=%d", h, n)
			}
		})
	}
}

func TestAppendFrameRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 125, 126, 65535, 65536, 70000} {
		p := bytes.Repeat([]byte{'a'}, size)
		b := appendFrame([]byte("prefix"), ws.OpBinary, p)
		if string(b[:6]) != "prefix" {
			t.Fatal("prefix lost")
		}
		fr := frameReader{r: bufio.NewReaderSize(bytes.NewReader(b[6:]), 64), max: 1 << 20}
		h, got, err := fr.next()
		if err != nil || !h.fin || !h.masked || h.op != ws.OpBinary || !bytes.Equal(got, p) {
			t.Fatalf("size %d: %+v err %v equal %v", size, h, err, bytes.Equal(got, p))
		}
	}
}

func TestNextMessage(t *testing.T) {
	var in []byte
	in = append(in, serverFrame(t, ws.OpText, false, []byte("hel"))...)
	in = append(in, serverFrame(t, ws.OpPing, true, []byte("p"))...)
	in = append(in, serverFrame(t, ws.OpContinuation, false, []byte("lo "))...)
	in = append(in, serverFrame(t, ws.OpContinuation, true, []byte("world"))...)
	in = append(in, serverFrame(t, ws.OpBinary, true, bytes.Repeat([]byte{7}, 100))...)
	in = append(in, serverFrame(t, ws.OpContinuation, true, nil)...)
	fr := frameReader{r: bufio.NewReaderSize(bytes.NewReader(in), 16), max: 1 << 10}
	for _, want := range []struct {
		op  ws.OpCode
		p   string
		err error
	}{
		{op: ws.OpPing, p: "p"},
		{op: ws.OpText, p: "hello world"},
		{op: ws.OpBinary, p: string(bytes.Repeat([]byte{7}, 100))},
		{err: ErrProtocol},
	} {
		op, p, err := fr.nextMessage()
		if !errors.Is(err, want.err) || op != want.op || string(p) != want.p {
			t.Fatalf("got %v %q %v, want %v %q %v", op, p, err, want.op, want.p, want.err)
		}
	}
}

func TestFrameTooLarge(t *testing.T) {
	in := serverFrame(t, ws.OpText, true, make([]byte, 200))
	fr := frameReader{r: bufio.NewReaderSize(bytes.NewReader(in), 16), max: 100}
	if _, _, err := fr.nextMessage(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v", err)
	}
	in = append(serverFrame(t, ws.OpText, false, make([]byte, 60)), serverFrame(t, ws.OpContinuation, true, make([]byte, 60))...)
	fr = frameReader{r: bufio.NewReaderSize(bytes.NewReader(in), 16), max: 100}
	if _, _, err := fr.nextMessage(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("fragmented: err = %v", err)
	}
}

// pieces is a reader returning its chunks one Read at a time.
type pieces struct{ chunks [][]byte }

func (p *pieces) Read(b []byte) (int, error) {
	for len(p.chunks) > 0 && len(p.chunks[0]) == 0 {
		p.chunks = p.chunks[1:]
	}
	if len(p.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.chunks[0])
	p.chunks[0] = p.chunks[0][n:]
	return n, nil
}

// readAllMessages reads messages until an error and returns a transcript.
func readAllMessages(r io.Reader) []string {
	fr := frameReader{r: bufio.NewReaderSize(r, 16), max: 4096}
	var out []string
	for {
		op, p, err := fr.nextMessage()
		if err != nil {
			return append(out, "err "+classifyRead(err))
		}
		out = append(out, string(rune('0'+op))+string(p))
	}
}

// classifyRead maps read errors to a stable name: a stream cut short reads
// as EOF whether or not a frame was partly read.
func classifyRead(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return io.EOF.Error()
	}
	return err.Error()
}

func FuzzFrameReader(f *testing.F) {
	seed := append(serverFrame(f, ws.OpText, false, []byte("ab")), serverFrame(f, ws.OpPing, true, []byte("x"))...)
	seed = append(seed, serverFrame(f, ws.OpContinuation, true, []byte("cd"))...)
	f.Add(seed, uint16(3), uint16(5))
	f.Add(serverFrame(f, ws.OpBinary, true, make([]byte, 300)), uint16(1), uint16(200))
	f.Add(appendFrame(nil, ws.OpText, []byte("masked")), uint16(7), uint16(9))
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16) {
		whole := readAllMessages(bytes.NewReader(data))
		a := min(int(cut1), len(data))
		b := min(max(int(cut2), a), len(data))
		split := readAllMessages(&pieces{chunks: [][]byte{
			bytes.Clone(data[:a]), bytes.Clone(data[a:b]), bytes.Clone(data[b:]),
		}})
		if len(whole) != len(split) {
			t.Fatalf("whole %q\nsplit %q", whole, split)
		}
		for i := range whole {
			if whole[i] != split[i] {
				t.Fatalf("message %d: whole %q split %q", i, whole[i], split[i])
			}
		}
	})
}
