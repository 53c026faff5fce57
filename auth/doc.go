// Package auth is the gateway's AuthManager: it verifies and issues JWTs,
// checks usernames and passwords against an htpasswd-style bcrypt store,
// throttles failed logins, keeps refresh-token families (rotation, reuse
// detection, revocation) in a RefreshStore, and manages the HMAC secret
// file. It knows nothing of sockets or of the JSON wire format; callers map
// its sentinel errors (see errors.go) onto wire codes and messages.
//
// # Keys
//
// Config.Secret is an HS256 key for tokens without a "kid". Config.Keys
// (a KeySet, usually a -jwt-keys file read by ReadKeySet) adds keys by
// kid: HMAC secrets and RSA, ECDSA and Ed25519 public keys (PEM or JWK),
// each pinned to one algorithm, so "none" and algorithm confusion are
// always refused. A token with a kid verifies only with that key; new
// tokens are signed by the set's current key (its kid in the header), or
// by the secret. [Manager.SetKeys] swaps the keys while running (rotation
// without downtime: list the new key as current and keep the old one until
// its tokens have expired). With only public keys the gateway verifies the
// tokens of an external issuer and issues none.
//
// # Access tokens
//
// [Manager.Verify] requires "exp" and a non-empty "sub", refuses a future
// "nbf", checks "iss" and "aud" when configured, and refuses the refresh
// JWTs of older versions ("typ":"refresh") and the tokens of a revoked
// family ("fid"). It returns [ErrTokenExpired] only for a token whose
// signature is good and whose sole fault is a passed "exp"; every other
// failure is [ErrTokenInvalid] wrapping a short reason that never contains
// token text. For HS256 keys Verify checks the HMAC itself before
// golang-jwt parses anything, so a forged token costs one HMAC, allocates
// nothing and never reaches a JSON decoder.
//
// # Refresh tokens
//
// A login starts a Family; its refresh token is opaque (the family ID, a
// generation and 32 random bytes) and the store keeps only hashes. Each
// [Manager.Refresh] spends the current token and makes the next one
// current; a spent token presented again revokes the whole family
// ([ReuseError]) so that a stolen token is worth one use at most. Revoked
// families are also held in memory until their last access token expires,
// and Verify refuses those tokens. Every change is a compare-and-swap on
// the family, so concurrent refreshes, and stores shared by several nodes,
// stay consistent. Two refreshes racing with the same token count as a
// reuse: one wins, and the family is revoked.
//
// # Logins
//
// bcrypt is slow on purpose, so [Manager.Login] never runs it on the
// caller's goroutine (an event loop): it queues the request on a bounded
// pool and returns [ErrBusy] at once when the queue is full, or a
// [ThrottleError] when the username or client address failed too often
// (see ThrottleConfig). The callback runs later on a pool goroutine,
// exactly once per accepted request. Store work requested from event loops
// runs on a second pool ([Manager.RefreshAsync], [Manager.RevokeAsync]).
//
// # Goroutine safety
//
// A [Manager] is safe for concurrent use by any number of goroutines:
// Verify, IssueAccess, IsRevoked, Login, RefreshAsync and RevokeAsync never
// block on I/O and may be called from event loops, also after Close (the
// asynchronous ones then return [ErrClosed]). Refresh, Revoke, RevokeUser
// and Prune block on the store: call them from HTTP handlers or workers.
// [Users] is safe for concurrent use; Set may run while logins check
// passwords. Every RefreshStore is safe for concurrent use. The
// package-level helpers (HashPassword, HtpasswdLine, LoadHtpasswd,
// LoadOrCreateSecret, ReadSecretFile, LoadKeySet, ReadKeySet) hold no
// shared state.
//
// Nothing in this package logs, and no error it returns contains a token,
// a password, a password hash, a secret or key material.
package auth
