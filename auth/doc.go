// Package auth is the gateway's AuthManager: it verifies and issues JWTs,
// checks usernames and passwords against an htpasswd-style bcrypt store, and
// manages the HMAC secret file. It knows nothing of sockets or of the JSON
// wire format; callers map its sentinel errors (see errors.go) onto wire
// codes and messages.
//
// # Tokens
//
// Access and refresh tokens are HS256 JWTs signed with Config.Secret.
// [Manager.Verify] accepts only HS256 (the algorithm list is pinned, so "none"
// and algorithm confusion are refused), requires "exp" and a non-empty "sub",
// refuses a future "nbf", checks "iss" and "aud" when configured and refuses
// refresh tokens (claim "typ":"refresh"). It returns [ErrTokenExpired] only
// for a token whose signature is good and whose sole fault is a passed "exp";
// every other failure is [ErrTokenInvalid] wrapping a short reason that never
// contains token text. Verify checks the HMAC itself before golang-jwt
// parses anything, so a forged token costs one HMAC, allocates nothing and
// never reaches a JSON decoder; a good one then goes through golang-jwt's
// parser (reused) into a concrete claims struct.
//
// # Logins
//
// bcrypt is slow on purpose, so [Manager.Login] never runs it on the
// caller's goroutine (an event loop): it queues the request on a bounded
// pool and returns [ErrBusy] at once when the queue is full. The callback
// runs later on a pool goroutine, exactly once per accepted request.
//
// # Goroutine safety
//
// A [Manager] is safe for concurrent use by any number of goroutines:
// Verify, VerifyRefresh, IssueAccess, IssueRefresh and Login may be called
// from anywhere, also after Close (Login then returns [ErrClosed]).
// [Users] is safe for concurrent use; Set may run while logins check
// passwords. The package-level helpers (HashPassword, HtpasswdLine,
// LoadHtpasswd, LoadOrCreateSecret, ReadSecretFile) hold no shared state.
//
// Nothing in this package logs, and no error it returns contains a token,
// a password, a password hash or a secret.
package auth
