package engine

import (
	"testing"
	"unsafe"
)

// Conn is allocated once per connection and lives as long as it: it must
// stay within the 192-byte size class (184 B today, 8 B to spare). Fields
// that few connections need belong in connRare (conn_rare.go).
func TestConnSize(t *testing.T) {
	if got := unsafe.Sizeof(Conn{}); got > 192 {
		t.Fatalf("engine.Conn is %d bytes, over the 192-byte size class; move rarely used fields to connRare", got)
	}
}

// A TLS 1.3 connection on the engine's record layer keeps tlsConn and
// tls13Records for its whole life: 64 and 176 bytes, each the size class
// it fills.
func TestTLSConnSizes(t *testing.T) {
	if got := unsafe.Sizeof(tlsConn{}); got > 64 {
		t.Fatalf("tlsConn is %d bytes, over the 64-byte size class", got)
	}
	if got := unsafe.Sizeof(tls13Records{}); got > 176 {
		t.Fatalf("tls13Records is %d bytes, over the 176-byte size class", got)
	}
}
