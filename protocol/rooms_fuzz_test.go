package protocol

import (
	"encoding/json"
	"testing"
)

var roomBodySeeds = []string{
	`{"room":"live:42"}`,
	`{"room":"a","content":{"t":"\u2028"},"client_msg_id":"c1"}`,
	`{"room":"a","content":null}`,
	`{"user_id":"alice","room":"group/7@x"}`,
	`{"content":[1,2,3]}`,
	`{"room":"bad room"}`,
	`{"room":"\u0061"}`,
	`{"room":"a","room":"b"}`,
	`{"room":1}`,
	`{"room":""}`,
	`{`, ``, `[]`,
}

// FuzzRoomBodies: every room body decoder answers a 400 *Error or a value
// whose room name is valid and whose content is valid JSON, whatever the
// bytes, and the same way when the body arrived in two pieces.
func FuzzRoomBodies(f *testing.F) {
	for i, s := range roomBodySeeds {
		f.Add([]byte(s), uint(i*5))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		buf := splitFeed(data, cut, func(piece []byte) {
			_, _ = DecodeRoom(piece)
			var p Publish
			_ = DecodePublish(piece, &p)
		})
		if room, err := DecodeRoom(buf); err != nil {
			checkWireError(t, err)
		} else if !ValidRoom(room) {
			t.Fatalf("DecodeRoom gave %q", room)
		}
		var p Publish
		if err := DecodePublish(buf, &p); err != nil {
			checkWireError(t, err)
		} else if !ValidRoom(p.Room) || !json.Valid(p.Content) {
			t.Fatalf("DecodePublish gave %+v", p)
		}
		var m RoomMember
		if err := DecodeRoomMember(buf, &m); err != nil {
			checkWireError(t, err)
		} else if !ValidRoom(m.Room) || m.UserID == "" {
			t.Fatalf("DecodeRoomMember gave %+v", m)
		}
		if c, err := DecodeContent(buf); err != nil {
			checkWireError(t, err)
		} else if !json.Valid(c) {
			t.Fatalf("DecodeContent gave %q", c)
		}
	})
}
