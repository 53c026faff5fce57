package gateway

import (
	"sync/atomic"

	"github.com/imgate/gateway/protocol"
)

type atomicBool = atomic.Bool

func protocolMessage(content string) protocol.Message {
	return protocol.Message{MsgID: "m_lost", FromUID: "carol", ToUID: "bob", Content: []byte(`"` + content + `"`), TS: 1}
}
