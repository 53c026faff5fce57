package auth

import "testing"

func TestUsersMerge(t *testing.T) {
	u := NewUsers()
	if err := u.Merge(DemoUsers()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"user123", "alice", "bob"} {
		if h, _ := u.lookup(name); h == nil {
			t.Errorf("%s missing after Merge", name)
		}
	}
	if u.Len() != DemoUsers().Len() {
		t.Errorf("Len = %d, want %d", u.Len(), DemoUsers().Len())
	}
}
