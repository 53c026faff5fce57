package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/chromium"
)

// The demo page in headless Chromium: two tabs log in as alice and bob
// and chat; bob's tab is reloaded mid-conversation while alice goes on
// sending, and shows every message once; they talk in a room; bob's tab
// is closed, alice sends, and a new tab shows the whole conversation.
func TestDemoInChromium(t *testing.T) {
	p := startGateway(t, 0, "-demo", "-inbox-store", "bolt")
	b := chromium.Start(t)
	url := p.http + "/demo/"
	ready := func(tab string) {
		t.Helper()
		testutil.Eventually(t, 3*testWait, func() error {
			var ok bool
			if err := b.Eval(tab, "!!(window.demo && window.demo.ready)", &ok); err != nil || !ok {
				return fmt.Errorf("page not ready: %v", err)
			}
			return b.Eval(tab, "window.demo.ready", nil)
		})
	}
	login := func(tab, user, pw string) {
		t.Helper()
		ready(tab)
		var got string
		b.Must(tab, fmt.Sprintf("demo.login(%q, %q).then((s) => s.userId)", user, pw), &got)
		if got != user {
			t.Fatalf("logged in as %q, want %q", got, user)
		}
	}
	say := func(tab, conv, text string) {
		t.Helper()
		b.Must(tab, fmt.Sprintf("(demo.conv = %q, demo.send(%q).then(() => true))", conv, text), nil)
	}
	texts := func(tab, conv string) []string {
		var out []string
		if err := b.Eval(tab, fmt.Sprintf("demo.texts(%q)", conv), &out); err != nil {
			return nil
		}
		return out
	}
	shows := func(tab, conv string, want []string) {
		t.Helper()
		testutil.Eventually(t, 3*testWait, func() error {
			if got := texts(tab, conv); !slices.Equal(got, want) {
				return fmt.Errorf("%s shows %q, want %q", conv, got, want)
			}
			return nil
		})
	}
	_, alice := b.Open(url)
	bobTarget, bob := b.Open(url)
	login(alice, "alice", "alice123")
	login(bob, "bob", "bob123")
	var want []string
	for i := 1; i <= 3; i++ {
		a, z := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
		say(alice, "dm:bob", a)
		want = append(want, a)
		shows(bob, "dm:alice", want)
		say(bob, "dm:alice", z)
		want = append(want, z)
		shows(alice, "dm:bob", want)
	}
	// The messages are on the page, not only in its state.
	var rendered int
	b.Must(bob, "(demo.conv = 'dm:alice', document.querySelector('[data-conv=\"dm:alice\"]').click(), document.querySelectorAll('#messages .msg').length)", &rendered)
	if rendered != len(want) {
		t.Errorf("bob's page renders %d messages, want %d", rendered, len(want))
	}
	// Reload bob's tab mid-conversation.
	if _, err := b.Call(bob, "Page.reload", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	for i := 4; i <= 6; i++ {
		a := fmt.Sprintf("a%d", i)
		say(alice, "dm:bob", a)
		want = append(want, a)
	}
	ready(bob)
	shows(bob, "dm:alice", want)
	say(bob, "dm:alice", "b4")
	want = append(want, "b4")
	shows(alice, "dm:bob", want)
	for _, tab := range []string{alice, bob} {
		b.Must(tab, "demo.join('lobby').then(() => true)", nil)
	}
	say(alice, "room:lobby", "hello room")
	shows(bob, "room:lobby", []string{"hello room"})
	// Close bob's tab, send, open a new one (a fresh sessionStorage): it
	// logs in again and shows the whole conversation, each once.
	if _, err := b.Call("", "Target.closeTarget", map[string]any{"targetId": bobTarget}); err != nil {
		t.Fatal(err)
	}
	say(alice, "dm:bob", "while you were away")
	want = append(want, "while you were away")
	_, bob2 := b.Open(url)
	login(bob2, "bob", "bob123")
	shows(bob2, "dm:alice", want)
	if path := os.Getenv("IMGATE_DEMO_PNG"); path != "" {
		screenshot(t, b, alice, path)
	}
	var foreign []string
	b.Must(alice, "performance.getEntriesByType('resource').map((e) => e.name).filter((u) => !u.startsWith(location.origin + '/'))", &foreign)
	if len(foreign) > 0 {
		t.Errorf("the page loaded resources from elsewhere: %v", foreign)
	}
}

// screenshot writes a PNG of the tab to path (IMGATE_DEMO_PNG: to look at
// the page).
func screenshot(t *testing.T, b *chromium.Browser, tab, path string) {
	t.Helper()
	res, err := b.Call(tab, "Page.captureScreenshot", map[string]any{"format": "png"})
	var shot struct{ Data string }
	if err == nil {
		err = json.Unmarshal(res, &shot)
	}
	png, derr := base64.StdEncoding.DecodeString(shot.Data)
	if err = errors.Join(err, derr); err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		t.Errorf("screenshot: %v", err)
	}
}
