package protocol

import (
	"bytes"
	"strconv"

	"github.com/bytedance/sonic"
)

// This file holds the inbox's additions to the protocol (PROTOCOL.md §8):
// SYNC and ACK bodies, the "inbox" member of the first frame and of
// LOGIN's response, and the offsets of a MESSAGE.

// MaxSyncLimit is SYNC's default and largest limit.
const MaxSyncLimit = 500

// MaxEpochLen bounds an epoch a client sends.
const MaxEpochLen = 64

// Sync is the body of SYNC (1005).
type Sync struct {
	Since    uint64
	HasSince bool // "since" was present
	Epoch    string
	Limit    int // 1..MaxSyncLimit
}

// Ack is the body of ACK (1006).
type Ack struct {
	Offset uint64
}

// InboxPos is where a user's inbox stands: {"epoch","offset"}.
type InboxPos struct {
	Epoch  string
	Offset uint64
}

// SyncResult is the body of SYNC's response:
// {"epoch","offset","more","lost"}.
type SyncResult struct {
	InboxPos
	More, Lost bool
}

// DecodeSync decodes a SYNC body; every field is optional. The result does
// not alias body.
func DecodeSync(body []byte, s *Sync) error {
	*s = Sync{Limit: MaxSyncLimit}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var w struct {
		Since *uint64 `json:"since"`
		Epoch *string `json:"epoch"`
		Limit *int    `json:"limit"`
	}
	if err := sonic.ConfigStd.Unmarshal(body, &w); err != nil {
		return BadRequest("sync body")
	}
	if w.Since != nil {
		s.Since, s.HasSince = *w.Since, true
	}
	if w.Epoch != nil {
		if len(*w.Epoch) > MaxEpochLen {
			return BadRequest("epoch")
		}
		s.Epoch = *w.Epoch
	}
	if w.Limit != nil {
		if *w.Limit < 1 {
			return BadRequest("limit")
		}
		s.Limit = min(*w.Limit, MaxSyncLimit)
	}
	return nil
}

// DecodeAck decodes an ACK body: "offset" is required.
func DecodeAck(body []byte, a *Ack) error {
	*a = Ack{}
	var w struct {
		Offset *uint64 `json:"offset"`
	}
	if len(body) == 0 {
		return errBodyMissing
	}
	if err := sonic.ConfigStd.Unmarshal(body, &w); err != nil || w.Offset == nil {
		return BadRequest("offset")
	}
	a.Offset = *w.Offset
	return nil
}

// ParseOffset parses a decimal offset (the "since" query parameter).
func ParseOffset(v string) (uint64, bool) {
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

// AppendInboxPos appends {"epoch":…,"offset":…}.
func AppendInboxPos(dst []byte, p InboxPos) []byte {
	dst = append(dst, `{"epoch":`...)
	dst = appendString(dst, p.Epoch)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendUint(dst, p.Offset, 10)
	return append(dst, '}')
}

// AppendSyncResultBody appends {"epoch","offset","more","lost"}.
func AppendSyncResultBody(dst []byte, r *SyncResult) []byte {
	dst = AppendInboxPos(dst, r.InboxPos)
	dst = append(dst[:len(dst)-1], `,"more":`...)
	dst = strconv.AppendBool(dst, r.More)
	dst = append(dst, `,"lost":`...)
	dst = strconv.AppendBool(dst, r.Lost)
	return append(dst, '}')
}

// AppendAckBody appends {"offset":n}.
func AppendAckBody(dst []byte, offset uint64) []byte {
	dst = append(dst, `{"offset":`...)
	dst = strconv.AppendUint(dst, offset, 10)
	return append(dst, '}')
}

// AppendHelloAuthenticatedInbox appends the first frame for a valid token
// with the inbox on: AppendHelloAuthenticated's body plus
// "inbox":{"epoch","offset"}.
func AppendHelloAuthenticatedInbox(dst []byte, sessionID, userID string, expiresAt int64, p InboxPos) []byte {
	dst = AppendHelloAuthenticated(dst, sessionID, userID, expiresAt)
	return spliceInbox(dst, len(okTail)+1, p)
}

// AppendLoginBodyInbox appends LOGIN's success body plus
// "inbox":{"epoch","offset"}.
func AppendLoginBodyInbox(dst []byte, r *LoginResult, p InboxPos) []byte {
	dst = AppendLoginBody(dst, r)
	return spliceInbox(dst, 1, p)
}

// spliceInbox inserts ,"inbox":{…} before the last tail bytes of dst
// (which end the body object).
func spliceInbox(dst []byte, tail int, p InboxPos) []byte {
	at := len(dst) - tail
	end := append([]byte(nil), dst[at:]...)
	dst = append(dst[:at], `,"inbox":`...)
	dst = AppendInboxPos(dst, p)
	return append(dst, end...)
}

func appendOffsets(dst []byte, offset, prev uint64) []byte {
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendUint(dst, offset, 10)
	dst = append(dst, `,"prev_offset":`...)
	return strconv.AppendUint(dst, prev, 10)
}

// MessageOffsets finds "offset" and "prev_offset" at the end of a MESSAGE
// push's body, where AppendMessagePush puts them:
// …,"offset":N,"prev_offset":M},"err_msg":""}. ok is false for a push
// without them (a backend's raw publish). It does not allocate.
func MessageOffsets(p []byte) (offset, prev uint64, ok bool) {
	const tail = `},"err_msg":""}`
	p = bytes.TrimRight(p, " \t\r\n")
	if !bytes.HasSuffix(p, []byte(tail)) {
		return 0, 0, false
	}
	p = p[:len(p)-len(tail)]
	prev, p, ok = trailingNumber(p, `,"prev_offset":`)
	if !ok {
		return 0, 0, false
	}
	offset, _, ok = trailingNumber(p, `,"offset":`)
	return offset, prev, ok && offset != 0
}

func trailingNumber(p []byte, key string) (uint64, []byte, bool) {
	i := len(p)
	for i > 0 && p[i-1] >= '0' && p[i-1] <= '9' {
		i--
	}
	if i == len(p) || !bytes.HasSuffix(p[:i], []byte(key)) {
		return 0, p, false
	}
	n, err := strconv.ParseUint(string(p[i:]), 10, 64)
	return n, p[:i-len(key)], err == nil
}
