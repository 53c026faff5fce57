package auth

import "github.com/imgate/gateway/protocol"

// MaxRoomsClaim caps the entries of a token's "rooms" claim.
const MaxRoomsClaim = 1024

// validRooms checks a "rooms" claim: at most MaxRoomsClaim valid room
// names (protocol.ValidRoom).
func validRooms(rooms []string) error {
	if len(rooms) > MaxRoomsClaim {
		return errBadRooms
	}
	for _, r := range rooms {
		if !protocol.ValidRoom(r) {
			return errBadRooms
		}
	}
	return nil
}
