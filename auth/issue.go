package auth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// IssueAccess signs an access token for userID, valid for Config.AccessTTL
// from now. deviceID, when not empty, goes into the "did" claim, which the
// gateway then requires to match the connection's device_id. expiresAt is
// the token's "exp" (whole seconds). Safe for concurrent use.
func (m *Manager) IssueAccess(userID, deviceID string) (token string, expiresAt time.Time, err error) {
	return m.issue(userID, deviceID, "", m.access)
}

// IssueRefresh signs a refresh token ("typ":"refresh", its own "jti") for
// userID, valid for Config.RefreshTTL. Only VerifyRefresh accepts it.
func (m *Manager) IssueRefresh(userID, deviceID string) (token string, expiresAt time.Time, err error) {
	return m.issue(userID, deviceID, typRefresh, m.refresh)
}

func (m *Manager) issue(userID, deviceID, typ string, ttl time.Duration) (string, time.Time, error) {
	if len(userID) == 0 || len(userID) > MaxUserIDLen {
		return "", time.Time{}, fmt.Errorf("auth: issue: %w", errBadSubject)
	}
	if len(deviceID) > MaxDeviceIDLen {
		return "", time.Time{}, fmt.Errorf("auth: issue: %w", errBadDevice)
	}
	now := m.now()
	exp := now.Add(ttl).Truncate(time.Second)
	c := &issuedClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    m.issuer,
			Subject:   userID,
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        newJTI(),
		},
		Typ: typ,
		Did: deviceID,
	}
	if m.audience != "" {
		c.Audience = jwt.ClaimStrings{m.audience}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(m.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, exp, nil
}

// newJTI returns 128 random bits, base64url without padding (22 bytes).
func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24: it crashes instead
	return base64.RawURLEncoding.EncodeToString(b[:])
}
