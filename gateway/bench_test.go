package gateway

import (
	"testing"

	"github.com/imgate/gateway/internal/testutil"
)

// BenchmarkConnectWithToken is one whole authenticated connect over a real
// socket: TCP connect, upgrade with the token in the query, JWT verification,
// the first frame, close. Client and server share the machine (and the
// reported allocations).
func BenchmarkConnectWithToken(b *testing.B) {
	st := startStack(b, defaultStackOptions())
	url := st.url + "?device_id=bench&token=" + testutil.Token(b, st.auth, "alice", "")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c := testutil.Dial(b, url)
		if r := c.Read(); r.Code != 200 {
			b.Fatalf("first frame %+v", r)
		}
		c.Conn.Close()
	}
}

// BenchmarkSendRoundTrip is one SEND from alice to bob over real sockets:
// decode, route through the hub, one push written to bob, the response
// written to alice; the client waits for both.
func BenchmarkSendRoundTrip(b *testing.B) {
	st := startStack(b, defaultStackOptions())
	alice := st.connectAs(b, "alice", "a1")
	bob := st.connectAs(b, "bob", "b1")
	msg := []byte(`{"cmd_id":2001,"seq":1,"body":{"to_uid":"bob","content":{"text":"hello, bob"}}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		alice.SendRaw(1, msg)
		alice.Read()
		bob.Read()
	}
}
