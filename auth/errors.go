package auth

import (
	"errors"
	"fmt"

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
)

// Reasons wrapped with ErrTokenInvalid that are not jwt's own.
var (
	errTooLong     = errors.New("token longer than 8 KiB")
	errBadSubject  = errors.New("sub must be 1 to 128 bytes")
	errBadDevice   = errors.New("did longer than 64 bytes")
	errWrongType   = errors.New("wrong token type")
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
