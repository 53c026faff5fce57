package hub

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestUserIndexAgainstMap runs random inserts and removals over a few
// thousand users (long probe runs, wrap-around, growth) and checks the
// index against a Go map after every operation and in full now and then.
func TestUserIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := newUserIndex()
	model := map[string]*Member{}
	users := make([]string, 3000)
	for i := range users {
		users[i] = fmt.Sprintf("user-%d", i)
	}
	check := func(user string) {
		t.Helper()
		if got, want := x.get(user), model[user]; got != want {
			t.Fatalf("get(%q) = %p, want %p", user, got, want)
		}
	}
	for op := range 40000 {
		user := users[rng.IntN(len(users))]
		if m := model[user]; m == nil {
			m = &Member{UserID: user}
			x.insert(m)
			model[user] = m
		} else {
			i := x.find(user)
			if i < 0 {
				t.Fatalf("op %d: %q not found before removal", op, user)
			}
			x.removeAt(i)
			delete(model, user)
		}
		check(user)
		if x.n != len(model) {
			t.Fatalf("op %d: %d users, want %d", op, x.n, len(model))
		}
		if op%997 == 0 {
			for _, u := range users {
				check(u)
			}
			if free := len(x.slots) - x.n; free*8 < len(x.slots) {
				t.Fatalf("op %d: %d of %d slots free, want at least 1/8", op, free, len(x.slots))
			}
		}
	}
}
