package cluster

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/imgate/gateway/internal/testutil/natstest"
)

// A publish reaches the nodes interested in the user, and only them; the
// publishing node never gets its own message back.
func TestPushFollowsInterest(t *testing.T) {
	ns := natstest.Start(t)
	a, recA := startBus(t, ns.URL(), nil)
	b, recB := startBus(t, ns.URL(), nil)
	c, recC := startBus(t, ns.URL(), nil)
	waitReady(t, a, true)
	b.Interest("bob", true)
	c.Interest("bob", true)
	a.Interest("bob", true) // the publisher's own interest must not echo
	ns.WaitInterest(t, UserSubject("bob"), 3)

	if err := a.Publish("bob", []byte(`{"m":1}`)); err != nil {
		t.Fatal(err)
	}
	for _, rec := range []*recorder{recB, recC} {
		if got := rec.waitFor(t, 1); !slices.Equal(got, []string{`bob {"m":1}`}) {
			t.Fatalf("got %q", got)
		}
	}
	c.Interest("bob", false)
	ns.WaitInterest(t, UserSubject("bob"), 2)
	if err := a.Publish("bob", []byte(`{"m":2}`)); err != nil {
		t.Fatal(err)
	}
	recB.waitFor(t, 2)
	// A marker through C's own subject proves C had the chance to get m:2.
	c.Interest("carol", true)
	ns.WaitInterest(t, UserSubject("carol"), 1)
	if err := b.Publish("carol", []byte(`{"m":3}`)); err != nil {
		t.Fatal(err)
	}
	if got := recC.waitFor(t, 2); !slices.Equal(got, []string{`bob {"m":1}`, `carol {"m":3}`}) {
		t.Fatalf("C got %q after losing interest", got)
	}
	if got := recA.all(); len(got) != 0 {
		t.Fatalf("the publisher got %q", got)
	}
	if a.Stats().Published.Load() != 2 || b.Stats().Subscriptions.Load() != 1 {
		t.Fatalf("stats: published %d, subscriptions %d", a.Stats().Published.Load(), b.Stats().Subscriptions.Load())
	}
}

// Interest toggled many times ends in the last state asked for.
func TestInterestCoalesces(t *testing.T) {
	ns := natstest.Start(t)
	b, _ := startBus(t, ns.URL(), nil)
	for i := range 100 {
		b.Interest("u.1", i%2 == 0)
		b.Interest("u 2", i%2 == 1)
	}
	ns.WaitInterest(t, UserSubject("u.1"), 0)
	ns.WaitInterest(t, UserSubject("u 2"), 1)
	b.Interest("u 2", false)
	ns.WaitInterest(t, UserSubject("u 2"), 0)
}

func TestControl(t *testing.T) {
	ns := natstest.Start(t)
	a, _ := startBus(t, ns.URL(), func(c *Config) { c.NodeID = "node-a" })
	b, recB := startBus(t, ns.URL(), nil)
	waitReady(t, a, true)
	b.Interest("bob", true)
	ns.WaitInterest(t, UserSubject("bob"), 1)
	if err := a.PublishControl("bob", "kick", []byte(`{"except":"s1"}`)); err != nil {
		t.Fatal(err)
	}
	if got := recB.waitFor(t, 1); got[0] != `ctl bob kick node-a {"except":"s1"}` {
		t.Fatalf("got %q", got)
	}
}

// requestResult is what a Request's done got.
type requestResult struct {
	data []byte
	err  error
}

func request(t *testing.T, b *Bus, cmd int, data string) requestResult {
	t.Helper()
	ch := make(chan requestResult, 1)
	if err := b.Request(cmd, []byte(data), func(d []byte, err error) { ch <- requestResult{d, err} }); err != nil {
		t.Fatalf("Request: %v", err)
	}
	select {
	case r := <-ch:
		return r
	case <-time.After(testWait):
		t.Fatal("no answer to the request")
	}
	return requestResult{}
}

func TestRequest(t *testing.T) {
	ns := natstest.Start(t)
	backend(t, ns.URL(), UpSubject(10001), func(m *nats.Msg) { _ = m.Respond(append([]byte("echo "), m.Data...)) })
	backend(t, ns.URL(), UpSubject(10002), func(*nats.Msg) {}) // never answers
	b, _ := startBus(t, ns.URL(), func(c *Config) { c.RequestTimeout = 100 * time.Millisecond })
	waitReady(t, b, true)
	for _, tc := range []struct {
		name string
		cmd  int
		data string
		err  error
	}{
		{name: "answered", cmd: 10001, data: "echo hi"},
		{name: "no backend", cmd: 10003, err: ErrNoResponders},
		{name: "backend silent", cmd: 10002, err: ErrTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, b, tc.cmd, "hi")
			if !errors.Is(r.err, tc.err) || (tc.err == nil && string(r.data) != tc.data) {
				t.Fatalf("got %q, %v; want %q, %v", r.data, r.err, tc.data, tc.err)
			}
		})
	}
	if b.Stats().Timeouts.Load() != 1 || b.Stats().NoResponders.Load() != 1 || b.Stats().Requests.Load() != 3 {
		t.Fatalf("stats %d timeouts, %d no responders, %d requests", b.Stats().Timeouts.Load(),
			b.Stats().NoResponders.Load(), b.Stats().Requests.Load())
	}
}

// Past MaxPending requests in flight, Request refuses at once.
func TestRequestTableFull(t *testing.T) {
	ns := natstest.Start(t)
	backend(t, ns.URL(), UpSubject(10002), func(*nats.Msg) {})
	b, _ := startBus(t, ns.URL(), func(c *Config) { c.MaxPending = 2 })
	waitReady(t, b, true)
	for i := range 3 {
		err := b.Request(10002, nil, func([]byte, error) {})
		if want := i == 2; errors.Is(err, ErrBusy) != want {
			t.Fatalf("request %d: %v", i, err)
		}
	}
}

// The publish queue is bounded: when the publisher does not keep up,
// Publish refuses instead of waiting.
func TestPublishQueueBounded(t *testing.T) {
	b, err := New(Config{URLs: []string{"nats://127.0.0.1:1"}, PublishQueue: 2, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	b.ready.Store(true) // not started: nothing drains the queue
	for i, want := range []error{nil, nil, ErrBusy, ErrBusy} {
		if err := b.Publish("u", []byte("{}")); !errors.Is(err, want) {
			t.Fatalf("publish %d: %v, want %v", i, err, want)
		}
	}
	if err := b.Publish("", nil); !errors.Is(err, ErrBadUserID) {
		t.Fatalf("empty user: %v", err)
	}
}

// Without a reachable NATS the bus starts anyway and refuses at once.
func TestUnreachable(t *testing.T) {
	ns := natstest.Start(t)
	url := ns.URL()
	ns.Stop()
	b, _ := startBus(t, url, nil)
	if b.Ready() {
		t.Fatal("ready without a server")
	}
	if err := b.Publish("u", []byte("{}")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Publish: %v", err)
	}
	if err := b.Request(10001, nil, func([]byte, error) { t.Error("done called") }); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Request: %v", err)
	}
	b.Interest("u", true) // recorded while down, sent once connected
	ns.Start()
	waitReady(t, b, true)
	ns.WaitInterest(t, UserSubject("u"), 1)
}

// NATS stops and comes back on the same port: the bus reports it, refuses
// meanwhile, and on reconnect its subscriptions work again.
func TestReconnectRestoresSubscriptions(t *testing.T) {
	ns := natstest.Start(t)
	a, _ := startBus(t, ns.URL(), nil)
	b, recB := startBus(t, ns.URL(), nil)
	b.Interest("bob", true)
	ns.WaitInterest(t, UserSubject("bob"), 1)
	waitReady(t, a, true)

	ns.Stop()
	waitReady(t, a, false)
	waitReady(t, b, false)
	if err := a.Publish("bob", []byte("{}")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Publish while down: %v", err)
	}
	b.Interest("carol", true) // a change while down

	ns.Start()
	waitReady(t, a, true)
	waitReady(t, b, true)
	ns.WaitInterest(t, UserSubject("bob"), 1)
	ns.WaitInterest(t, UserSubject("carol"), 1)
	if err := a.Publish("bob", []byte(`{"after":1}`)); err != nil {
		t.Fatal(err)
	}
	if got := recB.waitFor(t, 1); got[0] != `bob {"after":1}` {
		t.Fatalf("got %q", got)
	}
	if b.Stats().Reconnects.Load() < 1 {
		t.Fatal("no reconnect counted")
	}
}

func TestCloseFailsRequestsInFlight(t *testing.T) {
	ns := natstest.Start(t)
	backend(t, ns.URL(), UpSubject(10002), func(*nats.Msg) {})
	b, _ := startBus(t, ns.URL(), nil)
	waitReady(t, b, true)
	ch := make(chan error, 1)
	if err := b.Request(10002, nil, func(_ []byte, err error) { ch <- err }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if err := <-ch; !errors.Is(err, ErrUnavailable) {
		t.Fatalf("done got %v", err)
	}
	if b.Ready() || !errors.Is(b.Publish("u", nil), ErrUnavailable) {
		t.Fatal("closed bus still ready")
	}
	b.Interest("u", true) // ignored, no panic
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{name: "no url", cfg: Config{}},
		{name: "negative queue", cfg: Config{URLs: []string{"nats://x"}, PublishQueue: -1}},
		{name: "bad node id", cfg: Config{URLs: []string{"nats://x"}, NodeID: "a b"}},
		{name: "defaults", cfg: Config{URLs: []string{"nats://x"}}, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("New: %v", err)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
			if b != nil && (len(b.NodeID()) != 15 || b.cfg.RequestTimeout != DefaultRequestTimeout) {
				t.Fatalf("defaults not applied: %+v", b.cfg)
			}
		})
	}
	if got := ParseURLs(" nats://a:4222, ,tls://b:4222 "); !slices.Equal(got, []string{"nats://a:4222", "tls://b:4222"}) {
		t.Fatalf("ParseURLs: %q", got)
	}
}
