package wsframe

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/flate"
)

func textFrame(p string) []byte {
	if len(p) >= 126 {
		return append([]byte{0x81, 126, byte(len(p) >> 8), byte(len(p))}, p...)
	}
	return append([]byte{0x81, byte(len(p))}, p...)
}

func inflate(t *testing.T, z []byte) []byte {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(z), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	p, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Many goroutines asking at once get one compression and the same bytes.
func TestDeflatedOnce(t *testing.T) {
	msg := strings.Repeat(`{"cmd_id":3001,"body":{"text":"hello there"}}`, 10)
	f := New(textFrame(msg))
	before := Compressions()
	var wg sync.WaitGroup
	got := make([][]byte, 16)
	for i := range got {
		wg.Go(func() { got[i] = f.Deflated() })
	}
	wg.Wait()
	if n := Compressions() - before; n != 1 {
		t.Fatalf("%d compressions, want 1", n)
	}
	for _, z := range got[1:] {
		if &z[0] != &got[0][0] {
			t.Fatal("recipients got different compressed frames")
		}
	}
	z := got[0]
	if z[0] != 0xC1 || int(z[1]) != len(z)-2 {
		t.Fatalf("header % x for a %d-byte frame", z[:2], len(z))
	}
	if p := inflate(t, z[2:]); string(p) != msg {
		t.Fatalf("inflates to %q", p)
	}
}

// Incompressible payloads keep only the plain frame.
func TestDeflatedNotSmaller(t *testing.T) {
	f := New(textFrame("ab"))
	if z := f.Deflated(); z != nil {
		t.Fatalf("compressed %d bytes for a 4-byte frame", len(z))
	}
	if f.PayloadLen() != 2 || f.PlainHeaderLen() != 2 {
		t.Fatalf("payload %d, header %d", f.PayloadLen(), f.PlainHeaderLen())
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"text", textFrame("hi"), true},
		{"16-bit length", textFrame(strings.Repeat("x", 200)), true},
		{"binary", []byte{0x82, 0}, true},
		{"not FIN", []byte{0x01, 0}, false},
		{"RSV1", []byte{0xC1, 0}, false},
		{"masked", []byte{0x81, 0x80, 1, 2, 3, 4}, false},
		{"ping", []byte{0x89, 0}, false},
		{"short", []byte{0x81, 5, 'a'}, false},
		{"long", []byte{0x81, 1, 'a', 'b'}, false},
		{"cut header", []byte{0x81, 126, 0}, false},
	} {
		_, err := Parse(tc.b)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("New accepted a masked frame")
		}
	}()
	New([]byte{0x81, 0x80, 1, 2, 3, 4})
}
