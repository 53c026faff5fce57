package auth

import (
	"math"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is what a verified token says.
type Claims struct {
	UserID    string    // "sub"
	DeviceID  string    // "did"; empty when the token has none
	ExpiresAt time.Time // "exp"
	IssuedAt  time.Time // "iat"; zero when the token has none
	ID        string    // "jti"; empty when the token has none
	Family    string    // "fid": the refresh-token family of a login; empty when none
	// Rooms is the "rooms" claim: the rooms the session joins when it
	// authenticates (PROTOCOL.md §7); nil when the token has none.
	Rooms []string
}

// parsedClaims is the JSON shape Verify decodes, for both token types. It
// implements jwt.Claims itself rather than embed jwt.RegisteredClaims:
// plain float64 times decode without NumericDate's nested json.Unmarshal
// and allocations (37 instead of 48 allocations per Verify, ~20% faster).
// Times hold NaN until decoded, which JSON cannot express, so an absent
// claim is told from a zero one.
type parsedClaims struct {
	Sub string           `json:"sub"`
	Exp float64          `json:"exp"`
	Nbf float64          `json:"nbf"`
	Iat float64          `json:"iat"`
	Iss string           `json:"iss"`
	Aud jwt.ClaimStrings `json:"aud"`
	Jti string           `json:"jti"`
	Typ string           `json:"typ"`
	Did string           `json:"did"`
	Fid string           `json:"fid"`
	// Rooms must be an array of valid room names (else the token is
	// invalid: a backend minting bad claims should hear of it at once).
	Rooms []string `json:"rooms"`

	exp, nbf, iat jwt.NumericDate // what the getters return pointers to
}

func newParsedClaims() parsedClaims {
	nan := math.NaN()
	return parsedClaims{Exp: nan, Nbf: nan, Iat: nan}
}

// GetExpirationTime implements jwt.Claims.
func (c *parsedClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return numericDate(c.Exp, &c.exp), nil
}

// GetNotBefore implements jwt.Claims.
func (c *parsedClaims) GetNotBefore() (*jwt.NumericDate, error) {
	return numericDate(c.Nbf, &c.nbf), nil
}

// GetIssuedAt implements jwt.Claims.
func (c *parsedClaims) GetIssuedAt() (*jwt.NumericDate, error) {
	return numericDate(c.Iat, &c.iat), nil
}

// GetIssuer implements jwt.Claims.
func (c *parsedClaims) GetIssuer() (string, error) { return c.Iss, nil }

// GetSubject implements jwt.Claims.
func (c *parsedClaims) GetSubject() (string, error) { return c.Sub, nil }

// GetAudience implements jwt.Claims.
func (c *parsedClaims) GetAudience() (jwt.ClaimStrings, error) { return c.Aud, nil }

// Validate implements jwt.ClaimsValidator: the checks jwt has no option
// for. jwt calls it after the signature check, with the time checks.
func (c *parsedClaims) Validate() error {
	if c.Typ == typRefresh {
		return errWrongType
	}
	if len(c.Sub) == 0 || len(c.Sub) > MaxUserIDLen {
		return errBadSubject
	}
	if len(c.Did) > MaxDeviceIDLen {
		return errBadDevice
	}
	if len(c.Fid) > maxFamilyIDLen {
		return errBadFamily
	}
	return validRooms(c.Rooms)
}

// claims returns the caller's view; call only after a successful parse.
func (c *parsedClaims) claims() Claims {
	out := Claims{UserID: c.Sub, DeviceID: c.Did, ID: c.Jti, Family: c.Fid, Rooms: c.Rooms}
	if d := numericDate(c.Exp, &c.exp); d != nil {
		out.ExpiresAt = d.Time
	}
	if d := numericDate(c.Iat, &c.iat); d != nil {
		out.IssuedAt = d.Time
	}
	return out
}

// maxSeconds keeps absurd times inside what time.Unix represents
// (2^53 s is some 285 million years).
const maxSeconds = 1 << 53

// numericDate stores seconds into d as jwt's NumericDate does (whole
// seconds, jwt.TimePrecision) and returns d, or nil when secs is NaN.
func numericDate(secs float64, d *jwt.NumericDate) *jwt.NumericDate {
	if math.IsNaN(secs) {
		return nil
	}
	secs = max(-maxSeconds, min(maxSeconds, secs))
	whole, frac := math.Modf(secs)
	d.Time = time.Unix(int64(whole), int64(frac*1e9)).Truncate(jwt.TimePrecision)
	return d
}

// issuedClaims is the JSON shape of the access tokens the Manager signs.
type issuedClaims struct {
	jwt.RegisteredClaims
	Did string `json:"did,omitempty"`
	Fid string `json:"fid,omitempty"`
}
