package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// phpHash is the bcrypt example of PHP's password_verify documentation,
// password "rasmuslerdorf": a $2y$ hash made by another implementation, as
// Apache's htpasswd -B writes them.
const phpHash = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"

func TestParseHtpasswd(t *testing.T) {
	b := strings.Replace(demoHashBob, "$2a$", "$2b$", 1)
	for _, tc := range []struct {
		name    string
		file    string
		users   []string // present after a successful parse
		errLine string   // "line N" expected in the error; "" = no error
	}{
		{name: "empty", file: ""},
		{name: "comments and blanks", file: "# users\n\n   \n#alice:x\n", users: nil},
		{name: "2a 2b 2y", file: "user123:" + demoHashUser123 + "\nbob:" + b + "\nrasmus:" + phpHash + "\n", users: []string{"user123", "bob", "rasmus"}},
		{name: "CRLF and spaces", file: "  alice:" + demoHashAlice + "  \r\nbob:" + demoHashBob + "\r\n", users: []string{"alice", "bob"}},
		{name: "no final newline", file: "alice:" + demoHashAlice, users: []string{"alice"}},
		{name: "apr1 md5", file: "alice:" + demoHashAlice + "\nbob:$apr1$x2vf6dQb$Xt0sB6SmVXpu2EnP0y5rT.\n", errLine: "line 2"},
		{name: "sha1", file: "# c\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", errLine: "line 2"},
		{name: "crypt", file: "bob:rqXexS6ZhobKA\n", errLine: "line 1"},
		{name: "plain", file: "bob:bob123\n", errLine: "line 1"},
		{name: "truncated bcrypt", file: "bob:" + demoHashBob[:59] + "\n", errLine: "line 1"},
		{name: "bcrypt cost 99", file: "bob:$2a$99$" + demoHashBob[7:] + "\n", errLine: "line 1"},
		{name: "no colon", file: "\n\nbob\n", errLine: "line 3"},
		{name: "empty user", file: ":" + demoHashBob + "\n", errLine: "line 1"},
		{name: "duplicate", file: "bob:" + demoHashBob + "\nbob:" + demoHashAlice + "\n", errLine: "line 2"},
		{name: "long line", file: "bob:" + strings.Repeat("x", 5000) + "\n", errLine: "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := parseHtpasswd(strings.NewReader(tc.file), "test.htpasswd")
			if tc.errLine != "" {
				checkHtpasswdErr(t, err, tc.errLine, tc.file)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Len() != len(tc.users) {
				t.Fatalf("Len = %d, want %d", u.Len(), len(tc.users))
			}
			for _, name := range tc.users {
				if h, _ := u.lookup(name); h == nil {
					t.Fatalf("user %q missing", name)
				}
			}
		})
	}
}

func checkHtpasswdErr(t *testing.T, err error, want, file string) {
	t.Helper()
	if !errors.Is(err, ErrHtpasswd) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want ErrHtpasswd naming %q", err, want)
	}
	if !strings.Contains(err.Error(), "test.htpasswd") {
		t.Fatalf("err = %v does not name the file", err)
	}
	for _, line := range strings.Split(file, "\n") {
		if _, hash, ok := strings.Cut(line, ":"); ok && len(hash) >= 8 && strings.Contains(err.Error(), hash) {
			t.Fatalf("err = %v contains a hash", err)
		}
	}
}

// apacheOutput is what Apache's "htpasswd -nbB apacheuser apache-pw"
// (apache2-utils 2.4, Debian 12) printed: a $2y$ line at its default cost 5
// and a blank line. (The reverse was checked by hand the same day:
// "htpasswd -vb FILE user pw" accepts HtpasswdLine's $2a$ output.)
const apacheOutput = "apacheuser:$2y$05$Qp.dtUqF4L8rpSwZad7vrOk3AtLSwpsVkQxNT08o/OqrxJRyFHGpu\n\n"

func TestApacheHtpasswd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte(apacheOutput), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := LoadHtpasswd(path)
	if err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, func(c *Config) { c.Users = u })
	if got := loginSync(t, m, LoginRequest{Username: "apacheuser", Password: "apache-pw"}); got.err != nil {
		t.Fatalf("login with Apache's entry: %v", got.err)
	}
	if got := loginSync(t, m, LoginRequest{Username: "apacheuser", Password: "apache-pwx"}); !errors.Is(got.err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", got.err)
	}
}

func TestForeignBcrypt(t *testing.T) {
	if err := bcrypt.CompareHashAndPassword([]byte(phpHash), []byte("rasmuslerdorf")); err != nil {
		t.Fatalf("$2y$ hash from PHP does not verify: %v", err)
	}
}

func TestHtpasswdLineRoundTrip(t *testing.T) {
	line, err := HtpasswdLine("carol", "carol-secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "carol:$2a$10$") || len(line) != len("carol:")+60 {
		t.Fatalf("line = %q", line)
	}
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte("# made by HtpasswdLine\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := LoadHtpasswd(path)
	if err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, func(c *Config) { c.Users = u })
	if got := loginSync(t, m, LoginRequest{Username: "carol", Password: "carol-secret"}); got.err != nil {
		t.Fatalf("login with HtpasswdLine's entry: %v", got.err)
	}
}

func TestHtpasswdLineRejects(t *testing.T) {
	for _, tc := range []struct {
		name, user, pw string
		want           error
	}{
		{name: "colon in user", user: "a:b", pw: "pw", want: ErrInvalidUsername},
		{name: "newline in user", user: "a\nb", pw: "pw", want: ErrInvalidUsername},
		{name: "empty user", pw: "pw", want: ErrInvalidUsername},
		{name: "empty password", user: "a", want: ErrInvalidPassword},
		{name: "73-byte password", user: "a", pw: strings.Repeat("p", 73), want: ErrInvalidPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := HtpasswdLine(tc.user, tc.pw); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestLoadHtpasswdMissing(t *testing.T) {
	if _, err := LoadHtpasswd(filepath.Join(t.TempDir(), "absent")); !errors.Is(err, ErrHtpasswd) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

func TestUsersSet(t *testing.T) {
	u := NewUsers()
	for _, tc := range []struct {
		name, user, hash string
		want             error
	}{
		{name: "ok", user: "alice", hash: demoHashAlice},
		{name: "2y", user: "rasmus", hash: phpHash},
		{name: "md5", user: "bob", hash: "$1$abc$0123456789012345678901", want: ErrBadHash},
		{name: "2x", user: "bob", hash: strings.Replace(demoHashBob, "$2a$", "$2x$", 1), want: ErrBadHash},
		{name: "long hash", user: "bob", hash: demoHashBob + "x", want: ErrBadHash},
		{name: "bad user", user: "", hash: demoHashBob, want: ErrInvalidUsername},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := u.Set(tc.user, tc.hash); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDemoUsers(t *testing.T) {
	u := DemoUsers()
	for _, p := range [][2]string{{"user123", "password123"}, {"alice", "alice123"}, {"bob", "bob123"}} {
		h, _ := u.lookup(p[0])
		if err := bcrypt.CompareHashAndPassword(h, []byte(p[1])); err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		if cost, _ := bcrypt.Cost(h); cost != DefaultCost {
			t.Fatalf("%s: cost %d", p[0], cost)
		}
	}
	if err := bcrypt.CompareHashAndPassword([]byte(dummyHash10), []byte("")); err == nil {
		t.Fatal("dummy hash matches the empty password")
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcryptCost(h); err != nil || cost != DefaultCost {
		t.Fatalf("cost = %d, %v", cost, err)
	}
	if _, err := HashPassword(strings.Repeat("p", 73)); !errors.Is(err, ErrInvalidPassword) {
		t.Fatalf("73 bytes: %v", err)
	}
}
