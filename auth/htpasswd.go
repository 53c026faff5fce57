package auth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxHtpasswdLine bounds one line of an htpasswd file.
const maxHtpasswdLine = 4 << 10

// LoadHtpasswd reads an htpasswd file: one "user:hash" per line, bcrypt
// hashes only ($2a$, $2b$, $2y$; Apache's "htpasswd -B" writes $2y$).
// Blank lines and lines starting with '#' are skipped; surrounding spaces
// and CR are ignored. Any other scheme (MD5 $apr1$, SHA {SHA}, crypt,
// plain), a malformed line or a repeated user is an error wrapping
// ErrHtpasswd that names the file and line number, never the hash.
func LoadHtpasswd(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHtpasswd, err)
	}
	defer f.Close()
	return parseHtpasswd(f, path)
}

// parseHtpasswd reads r; name is used in error messages.
func parseHtpasswd(r io.Reader, name string) (*Users, error) {
	u := NewUsers()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxHtpasswdLine)
	for n := 1; sc.Scan(); n++ {
		if err := u.addLine(sc.Text()); err != nil {
			return nil, fmt.Errorf("%w: %s line %d: %w", ErrHtpasswd, name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes", maxHtpasswdLine)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrHtpasswd, name, err)
	}
	return u, nil
}

var (
	errNoColon   = errors.New(`want "user:hash"`)
	errDuplicate = errors.New("user listed twice")
)

func (u *Users) addLine(line string) error {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return nil
	}
	name, hash, ok := strings.Cut(line, ":")
	if !ok {
		return errNoColon
	}
	if h, _ := u.lookup(name); h != nil {
		return errDuplicate
	}
	return u.Set(name, strings.TrimSpace(hash))
}

// HtpasswdLine returns "user:HASH" (no newline) for an htpasswd file, HASH
// being HashPassword's $2a$ bcrypt at cost DefaultCost. LoadHtpasswd and
// Apache httpd read it.
func HtpasswdLine(user, password string) (string, error) {
	if !validUsername(user) {
		return "", ErrInvalidUsername
	}
	h, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	return user + ":" + h, nil
}
