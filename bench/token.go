package bench

import (
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// userID is the id of user number n.
func userID(prefix string, n int) string {
	return prefix + strconv.Itoa(n)
}

// mintToken signs an HS256 access token for sub valid from now for ttl.
func mintToken(secret []byte, sub string, now time.Time, ttl time.Duration) (string, error) {
	return mintRoomToken(secret, sub, now, ttl, nil)
}

// mintRoomToken is mintToken with a "rooms" claim when rooms is not nil.
func mintRoomToken(secret []byte, sub string, now time.Time, ttl time.Duration, rooms []string) (string, error) {
	claims := jwt.MapClaims{
		"sub": sub,
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	if rooms != nil {
		claims["rooms"] = rooms
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// loginName is the LOGIN username of user number n: the pattern with "%d"
// replaced by n, or the user id when the pattern is empty.
func loginName(pattern, prefix string, n int) string {
	if pattern == "" {
		return userID(prefix, n)
	}
	return strings.ReplaceAll(pattern, "%d", strconv.Itoa(n))
}
