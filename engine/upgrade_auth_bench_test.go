package engine

import (
	"testing"
	"time"

	"github.com/imgate/gateway/auth"
)

// BenchmarkUpgradeWithTokenVerify is the upgrade work of one authenticated
// connection: the request head through the upgrader, then the token it
// carried verified (HS256) as the gateway's OnOpen does. The engine itself
// knows nothing of JWT; only this benchmark brings the two together.
func BenchmarkUpgradeWithTokenVerify(b *testing.B) {
	am, err := auth.New(auth.Config{Secret: []byte("0123456789abcdef0123456789abcdef"), AccessTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer am.Close()
	tok, _, err := am.IssueAccess("alice", "")
	if err != nil {
		b.Fatal(err)
	}
	head := []byte("GET /?token=" + tok + "&device_id=web001&platform=web HTTP/1.1\r\n" +
		"Host: localhost:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Origin: http://localhost\r\nUser-Agent: bench\r\n\r\n")
	up := newUpgrader()
	b.ReportAllocs()
	b.SetBytes(int64(len(head)))
	b.ResetTimer()
	for range b.N {
		if _, ok := up.upgrade(head); !ok {
			b.Fatal("upgrade failed")
		}
		if _, err := am.Verify(up.req.Token); err != nil {
			b.Fatal(err)
		}
	}
}
