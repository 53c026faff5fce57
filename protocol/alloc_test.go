//go:build !race

package protocol

import "testing"

// TestAllocs pins the allocation budget of the hot paths. The race detector
// makes sync.Pool drop items, hence the build tag.
func TestAllocs(t *testing.T) {
	data := []byte(sendEnvelope)
	var env Envelope
	var s Send
	buf := make([]byte, 0, 512)
	m := benchMessage
	for _, tc := range []struct {
		name string
		max  float64
		fn   func()
	}{
		{"DecodeEnvelope", 0, func() { _ = DecodeEnvelope(data, &env) }},
		{"DecodeSend", 0, func() { _ = DecodeSend(env.Body, &s) }},
		{"AppendMessagePush", 0, func() { buf = AppendMessagePush(buf[:0], &m) }},
		{"AppendResponse", 0, func() { buf = AppendOK(buf[:0], env.Ref, []byte(`{"msg_id":"m","delivered":1}`)) }},
		{"AppendError", 0, func() { buf = AppendError(buf[:0], env.Ref, ErrTooManyRequests) }},
		{"AppendHello", 0, func() { buf = AppendHelloAuthenticated(buf[:0], "s-1", "用户", 1) }},
		{"Envelope.Clone", 1, func() { _ = env.Clone() }},
		{"Send.Clone", 1, func() { _ = s.Clone() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn()
			if got := testing.AllocsPerRun(200, tc.fn); got > tc.max {
				t.Fatalf("%v allocations per run, budget %v", got, tc.max)
			}
		})
	}
}
