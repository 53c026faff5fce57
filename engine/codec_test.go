package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseHeader(t *testing.T) {
	mask := [4]byte{1, 2, 3, 4}
	for _, tc := range []struct {
		name string
		f    cframe
		want header
	}{
		{"short text", cframe{fin: true, op: OpText, payload: []byte("hi"), maskKey: mask, fixedKey: true},
			header{fin: true, op: OpText, masked: true, mask: mask, length: 2, size: 6}},
		{"unmasked fragment", cframe{op: OpBinary, noMask: true, payload: make([]byte, 125)},
			header{op: OpBinary, length: 125, size: 2}},
		{"16-bit length", cframe{fin: true, op: OpBinary, payload: make([]byte, 126), maskKey: mask, fixedKey: true},
			header{fin: true, op: OpBinary, masked: true, mask: mask, length: 126, size: 8}},
		{"64-bit length", cframe{fin: true, rsv: 5, op: 0xB, payload: make([]byte, 70000), maskKey: mask, fixedKey: true},
			header{fin: true, rsv: 5, op: 0xB, masked: true, mask: mask, length: 70000, size: 14}},
		{"forced 64-bit form", cframe{fin: true, op: OpPing, lenForm: 127, noMask: true},
			header{fin: true, op: OpPing, size: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.f.bytes()
			h, ok := parseHeader(b)
			if !ok || h != tc.want {
				t.Fatalf("parseHeader = %+v, %v; want %+v", h, ok, tc.want)
			}
			for n := range tc.want.size {
				if _, ok := parseHeader(b[:n]); ok {
					t.Fatalf("complete with %d of %d header bytes", n, tc.want.size)
				}
			}
		})
	}
}

func TestUnmask(t *testing.T) {
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	for n := range 40 {
		for pos := range 8 {
			b := asciiPayload(n)
			want := make([]byte, n)
			for i := range b {
				want[i] = b[i] ^ mask[(pos+i)&3]
			}
			unmask(b, mask, pos)
			if !bytes.Equal(b, want) {
				t.Fatalf("n=%d pos=%d: % x, want % x", n, pos, b, want)
			}
		}
	}
}

func TestFinishFrame(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		p := asciiPayload(n)
		want := AppendFrame([]byte("prefix"), OpBinary, p)[len("prefix"):]
		got := FinishFrame(append(NewFrameBuffer(n), p...), OpBinary)
		if !bytes.Equal(got, want) {
			t.Fatalf("n=%d: FinishFrame % x…, AppendFrame % x…", n, got[:min(12, len(got))], want[:min(12, len(want))])
		}
		f, err := readServerFrame(bytes.NewReader(TextFrame(p)))
		if err != nil || f.op != OpText || !bytes.Equal(f.payload, p) {
			t.Fatalf("n=%d: TextFrame reads back as op %d, %d bytes, %v", n, f.op, len(f.payload), err)
		}
	}
}

func TestCloseFrame(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason string
		want   string // reason on the wire
	}{
		{"empty", "", ""},
		{"short", "idle timeout", "idle timeout"},
		{"123 bytes", strings.Repeat("r", 123), strings.Repeat("r", 123)},
		{"cut to 123", strings.Repeat("r", 200), strings.Repeat("r", 123)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := readServerFrame(bytes.NewReader(closeFrame(4008, tc.reason)))
			if err != nil || f.op != OpClose {
				t.Fatalf("op %d, %v", f.op, err)
			}
			if f.payload[0] != 0x0F || f.payload[1] != 0xA8 || string(f.payload[2:]) != tc.want {
				t.Fatalf("payload %q", f.payload)
			}
		})
	}
}

func TestValidCloseCode(t *testing.T) {
	for _, tc := range []struct {
		code uint16
		ok   bool
	}{
		{0, false}, {999, false}, {1000, true}, {1001, true}, {1002, true}, {1003, true},
		{1004, false}, {1005, false}, {1006, false}, {1007, true}, {1011, true}, {1014, true},
		{1015, false}, {1016, false}, {2999, false}, {3000, true}, {4008, true}, {4999, true},
		{5000, false}, {65535, false},
	} {
		if got := validCloseCode(tc.code); got != tc.ok {
			t.Errorf("validCloseCode(%d) = %v", tc.code, got)
		}
	}
}

func TestHeadEnd(t *testing.T) {
	head := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	in := head + "\x81\x80rest"
	for cut := range len(in) + 1 {
		// Search the first piece, then the whole, as handshake does.
		first := headEnd([]byte(in[:cut]), 0)
		got := first
		if first < 0 {
			got = headEnd([]byte(in), cut)
		}
		if got != len(head) {
			t.Fatalf("cut %d: headEnd %d, want %d", cut, got, len(head))
		}
	}
	if got := headEnd([]byte("GET / HTTP/1.1\r\n\r"), 0); got != -1 {
		t.Fatalf("incomplete head: %d", got)
	}
}

func TestResolutionFor(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{100 * time.Millisecond, time.Minute}, 25 * time.Millisecond},
		{[]time.Duration{time.Millisecond}, 10 * time.Millisecond},
		{[]time.Duration{time.Hour}, time.Second},
		{[]time.Duration{-1, 0, 2 * time.Second}, 500 * time.Millisecond},
	} {
		if got := resolutionFor(tc.in...); got != tc.want {
			t.Errorf("resolutionFor(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidUTF8Prefix(t *testing.T) {
	for _, tc := range []struct {
		in       string
		complete int
		ok       bool
	}{
		{"", 0, true},
		{"abc", 3, true},
		{"a€", 4, true},
		{"a\xe2", 1, true},
		{"a\xe2\x82", 1, true},
		{"\xf0\x9f\x98", 0, true},
		{"\xf4\x8f", 0, true},
		{"\xf4\x90", 0, false},         // above U+10FFFF
		{"\xed\xa0", 0, false},         // surrogate
		{"\xe0\x80", 0, false},         // overlong
		{"\xc1", 0, false},             // overlong lead
		{"\xc0\xaf", 0, false},         // overlong
		{"\xf5", 0, false},             // no such lead
		{"\xe2\x82\x41", 0, false},     // broken sequence
		{"\xff\xe2", 0, false},         // invalid before the tail
		{"\x80\x80\x80", 0, false},     // continuations only
		{"\xe2\x82\xac\x80", 0, false}, // stray continuation
	} {
		n, ok := validUTF8Prefix([]byte(tc.in))
		if ok != tc.ok || ok && n != tc.complete {
			t.Errorf("validUTF8Prefix(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.complete, tc.ok)
		}
		if ok && !utf8.ValidString(tc.in[:n]) {
			t.Errorf("validUTF8Prefix(%q): complete part %q invalid", tc.in, tc.in[:n])
		}
	}
}

func TestUnescape(t *testing.T) {
	up := newUpgrader()
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a%2Fb", "a/b"},
		{"a%2fb", "a/b"},
		{"a+b", "a b"},
		{"%zz", "%zz"},
		{"%4", "%4"},
		{"100%", "100%"},
		{"%E2%82%AC", "€"},
	} {
		if got := string(up.unescape([]byte(tc.in))); got != tc.want {
			t.Errorf("unescape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTokenSourceString(t *testing.T) {
	for src, want := range map[TokenSource]string{
		TokenNone: "none", TokenQuery: "query", TokenHeader: "header", TokenSubprotocol: "subprotocol", 99: "none",
	} {
		if got := src.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", src, got, want)
		}
	}
}
