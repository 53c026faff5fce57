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
