package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/imgate/gateway/internal/testutil"
)

// drainClient is one of the drain test's clients: a reader goroutine
// records what the server sends until the close.
type drainClient struct {
	c    *testutil.Client
	user string
	done chan struct{}

	mu        sync.Mutex
	to        map[int64]string // seq → to_uid of what it sent
	acks      map[string]ack   // msg_id → its ack
	got       map[string]bool  // msg_ids of the MESSAGE pushes received
	reconnect []time.Time      // when each RECONNECT arrived
	retryMs   int64
	code      uint16
	afterAck  bool   // a frame other than the close came after RECONNECT
	doubled   string // a msg_id received twice
}

type ack struct {
	to        string
	delivered int
}

func (d *drainClient) read() {
	defer close(d.done)
	for {
		r, err := d.c.TryRead()
		if err != nil {
			var ce testutil.CloseError
			if errors.As(err, &ce) {
				d.mu.Lock()
				d.code = ce.Code
				d.mu.Unlock()
			}
			return
		}
		d.record(r)
	}
}

func (d *drainClient) record(r reply) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.reconnect) > 0 {
		d.afterAck = true
	}
	var b struct {
		MsgID     string `json:"msg_id"`
		Delivered int    `json:"delivered"`
		RetryMs   int64  `json:"retry_after_ms"`
	}
	_ = json.Unmarshal(r.Body, &b)
	switch {
	case r.CmdID == 3001:
		if d.got[b.MsgID] {
			d.doubled = b.MsgID
		}
		d.got[b.MsgID] = true
	case r.CmdID == 2001 && r.Code == 200:
		d.acks[b.MsgID] = ack{to: d.to[r.Seq], delivered: b.Delivered}
	case r.CmdID == 3005:
		d.reconnect = append(d.reconnect, time.Now())
		d.retryMs = b.RetryMs
	}
}

// send sends a SEND to user to; false once the connection is gone.
func (d *drainClient) send(seq int64, to string) bool {
	d.mu.Lock()
	d.to[seq] = to
	d.mu.Unlock()
	b := fmt.Appendf(nil, `{"cmd_id":2001,"seq":%d,"body":{"to_uid":%q,"content":"m%d"}}`, seq, to, seq)
	_ = d.c.Conn.SetWriteDeadline(time.Now().Add(testWait))
	return wsutil.WriteClientMessage(d.c.Conn, ws.OpText, b) == nil
}

func (d *drainClient) ackCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.acks)
}

// The drain sequence with 1,000 connected clients: new upgrades get 503
// and /readyz 503; every session gets one RECONNECT with a jittered
// retry_after_ms, then close 1001, no faster than the drain rate; every
// message acknowledged to its sender with delivered=1 (before or during the
// drain) reached its recipient before the recipient's close, and none
// reached it twice.
func TestDrain1000(t *testing.T) {
	const (
		n     = 1000
		rate  = 400.0 // closes per second: the drain takes at least 2.5s
		retry = 2 * time.Second
	)
	o := defaultStackOptions()
	o.engine.CloseTimeout = 2 * time.Second
	st := startStack(t, o)
	base := st.serveAPI(t)
	clients := make([]*drainClient, n)
	for i := range clients {
		user := fmt.Sprintf("u%04d", i)
		clients[i] = &drainClient{c: st.connectAs(t, user, "d"), user: user, done: make(chan struct{}),
			to: map[int64]string{}, acks: map[string]ack{}, got: map[string]bool{}}
		go clients[i].read()
	}
	// Acknowledged before the drain: two messages from each client to the
	// next one, all acked before the drain begins.
	for i, d := range clients {
		for seq := int64(1); seq <= 2; seq++ {
			if !d.send(seq, clients[(i+1)%n].user) {
				t.Fatalf("client %d: send failed", i)
			}
		}
	}
	testutil.Eventually(t, 4*testWait, func() error {
		for i, d := range clients {
			if k := d.ackCount(); k != 2 {
				return fmt.Errorf("client %d has %d acks", i, k)
			}
		}
		return nil
	})
	// During the drain, every tenth client keeps sending.
	var senders sync.WaitGroup
	for i := 0; i < n; i += 10 {
		senders.Add(1)
		go func(i int) {
			defer senders.Done()
			d := clients[i]
			for seq := int64(3); ; seq++ {
				select {
				case <-d.done:
					return
				case <-time.After(5 * time.Millisecond):
				}
				if !d.send(seq, clients[(i+int(seq)*7)%n].user) {
					return
				}
			}
		}(i)
	}

	start := time.Now()
	result := make(chan DrainResult, 1)
	go func() {
		result <- st.gw.Drain(context.Background(), st.srv, DrainConfig{Rate: rate, Timeout: 4 * testWait, RetryAfter: retry})
	}()
	testutil.Eventually(t, testWait, func() error {
		if !st.srv.Draining() {
			return errors.New("not draining yet")
		}
		return nil
	})
	if status, _ := testutil.Get(t, base+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d while draining, want 503", status)
	}
	if status := upgradeStatus(t, st.srv.Addr().String()); status != http.StatusServiceUnavailable {
		t.Errorf("upgrade while draining: %d, want 503", status)
	}
	var res DrainResult
	select {
	case res = <-result:
	case <-time.After(5 * testWait):
		t.Fatal("Drain did not return")
	}
	senders.Wait()
	if res.Sessions != n || res.Told != n || res.Remaining != 0 {
		t.Fatalf("drain result %+v", res)
	}
	checkDrained(t, clients, start, rate, retry)
}

// checkDrained checks what every client saw.
func checkDrained(t *testing.T, clients []*drainClient, start time.Time, rate float64, retry time.Duration) {
	t.Helper()
	byUser := map[string]*drainClient{}
	var times []time.Time
	retries := map[int64]bool{}
	for _, d := range clients {
		select {
		case <-d.done:
		case <-time.After(testWait):
			t.Fatalf("%s: no close", d.user)
		}
		byUser[d.user] = d
		switch {
		case len(d.reconnect) != 1:
			t.Fatalf("%s: %d RECONNECT pushes, want 1", d.user, len(d.reconnect))
		case d.code != 1001:
			t.Fatalf("%s: close %d, want 1001", d.user, d.code)
		case d.afterAck:
			t.Fatalf("%s: a message came after RECONNECT", d.user)
		case d.doubled != "":
			t.Fatalf("%s: message %s received twice", d.user, d.doubled)
		case d.retryMs < int64(retry/time.Millisecond)/2 || d.retryMs >= int64(retry/time.Millisecond)*3/2:
			t.Fatalf("%s: retry_after_ms %d outside [%v/2, 3·%v/2)", d.user, d.retryMs, retry, retry)
		}
		times = append(times, d.reconnect[0])
		retries[d.retryMs] = true
	}
	if len(retries) < len(clients)/10 {
		t.Errorf("only %d distinct retry_after_ms values among %d sessions: not jittered", len(retries), len(clients))
	}
	// Pacing: the k-th RECONNECT to arrive cannot precede the server's
	// schedule for the (k-1)-th, start + (k-1)/rate.
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	for k, at := range times {
		if earliest := start.Add(time.Duration(float64(k-1) / rate * float64(time.Second))); at.Before(earliest) {
			t.Fatalf("RECONNECT #%d arrived %v after the drain began, before its pace allows (%v)",
				k, at.Sub(start), earliest.Sub(start))
		}
	}
	acked, during := 0, 0
	for _, d := range clients {
		for id, a := range d.acks {
			if a.delivered == 0 {
				continue
			}
			acked++
			if !byUser[a.to].got[id] {
				t.Fatalf("message %s from %s acknowledged as delivered never reached %s before its close", id, d.user, a.to)
			}
		}
		during += len(d.acks) - 2
	}
	t.Logf("%d sessions drained in %v; %d acknowledged deliveries checked, %d sent during the drain",
		len(clients), times[len(times)-1].Sub(start).Round(time.Millisecond), acked, during)
}

// upgradeStatus sends an upgrade request and returns the HTTP status.
func upgradeStatus(t *testing.T, addr string) int {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(testWait))
	_, err = fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	return resp.StatusCode
}
