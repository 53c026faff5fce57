package auth

// The demo accounts of the product document, hashed once at cost 10 when
// this file was written, so that DemoUsers costs nothing at startup. The
// passwords are public; these hashes protect nothing.
const (
	demoHashUser123 = "$2a$10$KC.bzGJScQdILdEaTWId3ezPfD7cnj3rTy/8Na7ovJeoqSsLa2j8u" // password123
	demoHashAlice   = "$2a$10$O5OQX3U6scAAfYn2pMFt8.0d84DAi.Vkh7TX4op.SByfHa8YxmBGm" // alice123
	demoHashBob     = "$2a$10$iHcURsTG7w69s0uU6ZRFwe2HtLPOJO9ErUuJ1PWqLU7d5ZovCUt/i" // bob123
)

// dummyHash10 is a cost-10 bcrypt hash of a random password nobody kept.
// Logins for unknown users compare against it (or against a dummy of the
// store's highest cost) so that they take as long as real ones.
const dummyHash10 = "$2a$10$grZv6vg6Jxh4HXzxOofgeOEx1dlvbhwOpS90tJwk48UFPEsqJLkeO"

// DemoUsers returns a new store holding the product document's demo
// accounts: user123/password123, alice/alice123 and bob/bob123 (bcrypt,
// cost 10, hashed ahead of time: no bcrypt work at startup).
func DemoUsers() *Users {
	u := NewUsers()
	for _, e := range [...]struct{ name, hash string }{
		{name: "user123", hash: demoHashUser123},
		{name: "alice", hash: demoHashAlice},
		{name: "bob", hash: demoHashBob},
	} {
		if err := u.Set(e.name, e.hash); err != nil {
			panic("auth: bad demo hash for " + e.name) // constants above are wrong
		}
	}
	return u
}
