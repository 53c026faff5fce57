package engine

import (
	"bytes"
	"testing"
)

// FuzzOriginHead upgrades heads with Origin headers, arriving in three
// pieces, against an allow-list: an upgrade succeeds only if every Origin
// it carried is allowed, and a 403 names one that is not.
func FuzzOriginHead(f *testing.F) {
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	for _, h := range [][]byte{
		upgradeHead("/", key, "Origin: https://chat.example.com"),
		upgradeHead("/", key, "Origin: https://a.b.example.org"),
		upgradeHead("/", key, "Origin: https://evil.example.org.com"),
		upgradeHead("/", key, "origin: HTTPS://CHAT.EXAMPLE.COM/"),
		upgradeHead("/", key, "Origin: https://chat.example.com", "Origin: https://evil.com"),
		upgradeHead("/", key),
	} {
		f.Add(h, uint16(len(h)/3), uint16(len(h)/3))
	}
	up := newUpgrader()
	up.origins = newOriginList([]string{"https://chat.example.com", "https://*.example.org"})
	f.Fuzz(func(t *testing.T, in []byte, cut1, cut2 uint16) {
		var buf []byte
		for _, p := range pieces(in, cut1, cut2) {
			buf = append(buf, p...)
			end := headEnd(buf, 0)
			if end < 0 || end > 8<<10 {
				continue
			}
			head := buf[:end]
			resp, ok := up.upgrade(head)
			allowed, seen := originsOf(up.origins, head)
			switch {
			case ok && !allowed:
				t.Fatalf("upgraded with a forbidden Origin: %q", head)
			case bytes.HasPrefix(resp, []byte("HTTP/1.1 403")) && (allowed || !seen):
				t.Fatalf("403 without a forbidden Origin: %q", head)
			}
			return
		}
	})
}

// originsOf reports whether every Origin line of head is allowed, and
// whether there is one.
func originsOf(l *originList, head []byte) (allowed, seen bool) {
	allowed = true
	for line := range bytes.SplitSeq(head, []byte("\n")) {
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || !bytes.EqualFold(bytes.TrimSpace(name), []byte("Origin")) {
			continue
		}
		seen = true
		if !l.allow(bytes.TrimSpace(value)) {
			allowed = false
		}
	}
	return allowed, seen
}
