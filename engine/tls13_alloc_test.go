//go:build !race

package engine

import "testing"

// TestAllocsTLS13Records: sealing and opening records on the engine's
// TLS 1.3 record layer allocates nothing once the buffers have room (the
// loop's scratch buffers keep theirs), for every suite.
func TestAllocsTLS13Records(t *testing.T) {
	for i := range tls13Suites {
		s := &tls13Suites[i]
		t.Run(s.name(), func(t *testing.T) {
			secret := make([]byte, s.secretLen())
			var w, r tls13Half
			if err := w.setSecret(s, secret); err != nil {
				t.Fatal(err)
			}
			if err := r.setSecret(s, secret); err != nil {
				t.Fatal(err)
			}
			var nb [12]byte
			p := asciiPayload(1000)
			out := make([]byte, 0, maxCiphertext13+recordHeaderLen)
			plain := make([]byte, 0, maxCiphertext13)
			n := testing.AllocsPerRun(100, func() {
				out = w.seal(out[:0], recordTypeAppData, p, &nb)
				got, ok := r.open(plain[:0], out, &nb)
				if !ok || string(got[:len(p)]) != string(p) {
					t.Fatal("record did not open")
				}
			})
			if n != 0 {
				t.Fatalf("seal+open: %v allocs per run", n)
			}
		})
	}
}
