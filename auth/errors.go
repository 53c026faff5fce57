package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	// ErrTokenInvalid reports a token that must not be trusted: bad
	// signature, wrong algorithm, malformed, missing or bad claims, not yet
	// valid, wrong issuer or audience, wrong token type, too long. Errors
	// returned by Verify wrap it together with a short reason.
	ErrTokenInvalid = errors.New("auth: invalid token")

	// ErrTokenExpired reports a token whose signature and claims are good
	// except that its "exp" has passed. Callers print "token expired".
	ErrTokenExpired = errors.New("auth: token expired")

	// ErrBadCredentials reports an unknown user, a wrong password, or a
	// username or password that cannot be valid (too long, empty).
	ErrBadCredentials = errors.New("auth: invalid username or password")

	// ErrBusy is returned by Login when the bcrypt queue is full.
	ErrBusy = errors.New("auth: login queue full")

	// ErrClosed is returned by Login after Close, and passed to the callback
	// of logins still queued when Close ran.
	ErrClosed = errors.New("auth: manager closed")

	// ErrConfig wraps every error New returns for a bad Config.
	ErrConfig = errors.New("auth: invalid config")

	// ErrInvalidUsername reports a username that is empty, longer than
	// MaxUsernameLen, or contains ':' or a control character.
	ErrInvalidUsername = errors.New("auth: invalid username")

	// ErrInvalidPassword reports a password that is empty or longer than
	// MaxPasswordLen (bcrypt's limit).
	ErrInvalidPassword = errors.New("auth: invalid password")

	// ErrBadHash reports a password hash that is not a well-formed bcrypt
	// hash ($2a$, $2b$ or $2y$).
	ErrBadHash = errors.New("auth: unsupported password hash (want bcrypt $2a$, $2b$ or $2y$)")

	// ErrHtpasswd wraps every parse error of LoadHtpasswd; the message names
	// the file and line number, never the hash.
	ErrHtpasswd = errors.New("auth: bad htpasswd file")

	// ErrSecret wraps every error about the JWT secret: too short, a file
	// readable by group or others, an unreadable or unwritable file.
	ErrSecret = errors.New("auth: unusable jwt secret")

	// ErrKeys wraps every error about a key or a key file (ReadKeySet,
	// HMACKey, KeyFromPEM, SetKeys); the message names the kid, never key
	// material.
	ErrKeys = errors.New("auth: bad jwt keys")

	// ErrNoSigningKey is returned when issuing a token with neither a
	// Config.Secret nor a current key.
	ErrNoSigningKey = errors.New("auth: no key to sign tokens with")

	// ErrThrottled is returned by Login (and by LoginThrottled's check) for
	// a username or client address with too many recent failed logins. The
	// error is a *ThrottleError that says when to retry.
	ErrThrottled = errors.New("auth: too many failed logins")

	// ErrRefreshInvalid reports a refresh token that is malformed, unknown,
	// forged, or too old to tell apart from a forgery.
	ErrRefreshInvalid = errors.New("auth: invalid refresh token")

	// ErrRefreshExpired reports a current refresh token past its lifetime.
	ErrRefreshExpired = errors.New("auth: refresh token expired")

	// ErrRefreshRevoked reports a token of a revoked family (logout, kick,
	// an earlier reuse).
	ErrRefreshRevoked = errors.New("auth: refresh token revoked")

	// ErrRefreshReused reports a refresh token that was already spent: its
	// family has just been revoked. The error is a *ReuseError naming the
	// family, so that the caller can end the family's live sessions.
	ErrRefreshReused = errors.New("auth: refresh token reused")

	// ErrRefreshDevice reports a refresh token bound to another device.
	ErrRefreshDevice = errors.New("auth: refresh token bound to another device")

	// ErrRefreshUser reports a refresh token of another user than the
	// caller required (a live session refreshing with someone else's token).
	ErrRefreshUser = errors.New("auth: refresh token of another user")

	// ErrFamilyNotFound is returned by a RefreshStore for an unknown family.
	ErrFamilyNotFound = errors.New("auth: refresh family not found")

	// ErrFamilyExists is returned by RefreshStore.Create for a family ID
	// already stored.
	ErrFamilyExists = errors.New("auth: refresh family exists")

	// ErrConflict is returned by RefreshStore.Update when the family changed
	// since the version the caller read.
	ErrConflict = errors.New("auth: refresh family changed concurrently")

	// ErrStore wraps failures of a RefreshStore's storage (disk, network)
	// and of decoding what it holds.
	ErrStore = errors.New("auth: refresh store failed")
)

// ThrottleError is the error of a throttled login: ErrThrottled, with the
// time after which the same attempt may be accepted.
type ThrottleError struct {
	RetryAfter time.Duration
}

func (e *ThrottleError) Error() string {
	return ErrThrottled.Error() + "; retry after " + e.RetryAfter.Round(time.Second).String()
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottleError) Is(target error) bool { return target == ErrThrottled }

// ReuseError is the error of a reused refresh token: ErrRefreshReused, with
// the family that has been revoked because of it.
type ReuseError struct {
	Family Family
}

func (e *ReuseError) Error() string {
	return ErrRefreshReused.Error() + "; family " + e.Family.ID + " of user " + e.Family.UserID + " revoked"
}

// Is makes errors.Is(err, ErrRefreshReused) true.
func (e *ReuseError) Is(target error) bool { return target == ErrRefreshReused }

// Reasons wrapped with ErrTokenInvalid that are not jwt's own.
var (
	errTooLong     = errors.New("token longer than 8 KiB")
	errBadSubject  = errors.New("sub must be 1 to 128 bytes")
	errBadDevice   = errors.New("did longer than 64 bytes")
	errWrongType   = errors.New("wrong token type")
	errBadFamily   = errors.New("fid too long")
	errBadRooms    = errors.New("rooms must be an array of at most 1024 room names")
	errUnknownKey  = errors.New("no key for this kid")
	errRevoked     = errors.New("family revoked")
	errUnknownFlaw = errors.New("rejected")
)

// invalidReasons lists, in the order they are reported, the causes Verify
// may find in a jwt error. Each entry is pre-wrapped so that the error path
// does not allocate.
var invalidReasons = wrapAll(
	jwt.ErrTokenMalformed,
	jwt.ErrTokenUnverifiable,
	jwt.ErrTokenSignatureInvalid,
	errWrongType,
	errBadSubject,
	errBadDevice,
	errBadFamily,
	errBadRooms,
	jwt.ErrTokenRequiredClaimMissing,
	jwt.ErrTokenNotValidYet,
	jwt.ErrTokenInvalidIssuer,
	jwt.ErrTokenInvalidAudience,
	jwt.ErrTokenUsedBeforeIssued,
	jwt.ErrInvalidType,
)

var (
	errInvalidTooLong = fmt.Errorf("%w: %w", ErrTokenInvalid, errTooLong)
	errInvalidOther   = fmt.Errorf("%w: %w", ErrTokenInvalid, errUnknownFlaw)

	errInvalidUnknownKey = fmt.Errorf("%w: %w", ErrTokenInvalid, errUnknownKey)
	errInvalidRevoked    = fmt.Errorf("%w: %w", ErrTokenInvalid, errRevoked)

	// Errors of the signature check made before jwt parses anything.
	errInvalidSignature = fmt.Errorf("%w: %w", ErrTokenInvalid, jwt.ErrTokenSignatureInvalid)
	errInvalidMalformed = fmt.Errorf("%w: %w", ErrTokenInvalid, jwt.ErrTokenMalformed)
)

type wrappedReason struct {
	cause   error
	wrapped error
}

func wrapAll(causes ...error) []wrappedReason {
	out := make([]wrappedReason, len(causes))
	for i, c := range causes {
		out[i] = wrappedReason{cause: c, wrapped: fmt.Errorf("%w: %w", ErrTokenInvalid, c)}
	}
	return out
}
