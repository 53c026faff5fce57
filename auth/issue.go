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
	return m.issueAccess(userID, deviceID, "")
}

// issueAccess is IssueAccess with the "fid" claim of a refresh-token family.
func (m *Manager) issueAccess(userID, deviceID, family string) (string, time.Time, error) {
	if len(userID) == 0 || len(userID) > MaxUserIDLen {
		return "", time.Time{}, fmt.Errorf("auth: issue: %w", errBadSubject)
	}
	if len(deviceID) > MaxDeviceIDLen {
		return "", time.Time{}, fmt.Errorf("auth: issue: %w", errBadDevice)
	}
	now := m.now()
	exp := now.Add(m.access).Truncate(time.Second)
	c := &issuedClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    m.issuer,
			Subject:   userID,
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        newJTI(),
		},
		Did: deviceID,
		Fid: family,
	}
	if m.audience != "" {
		c.Audience = jwt.ClaimStrings{m.audience}
	}
	s, err := m.sign(c)
	if err != nil {
		return "", time.Time{}, err
	}
	return s, exp, nil
}

// sign signs c with the current key, naming its kid in the header.
func (m *Manager) sign(c jwt.Claims) (string, error) {
	k := m.keys.Load().signer
	if k == nil {
		return "", ErrNoSigningKey
	}
	t := jwt.NewWithClaims(k.method, c)
	if k.ID != "" {
		t.Header["kid"] = k.ID
	}
	s, err := t.SignedString(k.sign)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return s, nil
}

// newJTI returns 128 random bits, base64url without padding (22 bytes).
func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24: it crashes instead
	return base64.RawURLEncoding.EncodeToString(b[:])
}
