package gateway

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/golang-jwt/jwt/v5"

	"github.com/imgate/gateway/auth"
	"github.com/imgate/gateway/internal/testutil"
	"github.com/imgate/gateway/internal/testutil/authtest"
	"github.com/imgate/gateway/protocol"
)

// The bad clients of TestHostile that attack authentication, and the one
// that stops reading.

// hostileTokens: forged, mis-signed, expired and misbound tokens get the
// first frame 401 (PROTOCOL.md §2) and the connection stays open for LOGIN;
// tokens too long for anything get 413 + 1009 or an HTTP 400.
func hostileTokens(t *testing.T, st *stack, keys *attackerKeys) {
	rsaKey, ecKey, rsaPub := keys.rsa, keys.ec, keys.rsaPub
	now := time.Now().Unix()
	alice := map[string]any{"sub": "alice", "exp": now + 3600, "iat": now}
	with := func(k string, v any) map[string]any {
		c := map[string]any{"sub": "alice", "exp": now + 3600, "iat": now}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	hs := func(alg string, h func() hash.Hash, key []byte, claims map[string]any) string {
		return signHMAC(t, map[string]any{"alg": alg, "typ": "JWT"}, claims, h, key)
	}
	withKey := func(m jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(m, jwt.MapClaims(alice)).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	unsigned := func(alg string) string { return encodeJWT(t, map[string]any{"alg": alg, "typ": "JWT"}, alice) + "." }
	refresh := loginRefreshToken(t, st, "alice", "alice123")
	const invalid, expired = protocol.MsgTokenInvalid, protocol.MsgTokenExpiredHello
	for _, tc := range []struct {
		name, token, query string
		want               string
	}{
		{name: "alg none", token: unsigned("none"), want: invalid},
		{name: "alg None", token: unsigned("None"), want: invalid},
		{name: "alg NONE", token: unsigned("NONE"), want: invalid},
		{name: "alg none with a valid HS256 signature", token: hs("none", sha256.New, testSecret, alice), want: invalid},
		{name: "RS256 with an attacker's key", token: withKey(jwt.SigningMethodRS256, rsaKey), want: invalid},
		{name: "ES256 with an attacker's key", token: withKey(jwt.SigningMethodES256, ecKey), want: invalid},
		{name: "RS256 header over an HS256 signature", token: hs("RS256", sha256.New, testSecret, alice), want: invalid},
		{name: "HS256 keyed with an RSA public key", token: hs("HS256", sha256.New, rsaPub, alice), want: invalid},
		{name: "HS512 with the right secret", token: hs("HS512", sha512.New, testSecret, alice), want: invalid},
		{name: "HS256 with another secret", token: hs("HS256", sha256.New, []byte(strings.Repeat("k", 40)), alice), want: invalid},
		{name: "exp passed", token: hs("HS256", sha256.New, testSecret, with("exp", now-60)), want: expired},
		{name: "nbf in the future", token: hs("HS256", sha256.New, testSecret, with("nbf", now+3600)), want: invalid},
		{name: "no exp", token: hs("HS256", sha256.New, testSecret, with("exp", nil)), want: invalid},
		{name: "no sub", token: hs("HS256", sha256.New, testSecret, with("sub", nil)), want: invalid},
		{name: "exp as a string", token: hs("HS256", sha256.New, testSecret, with("exp", "never")), want: invalid},
		{name: "wrong did", token: testutil.Token(t, st.auth, "alice", "phoneA"), query: "&device_id=phoneB", want: invalid},
		{name: "did without device_id", token: testutil.Token(t, st.auth, "alice", "phoneA"), want: invalid},
		{name: "refresh token as access token", token: refresh, want: invalid},
		{name: "7 KB of garbage", token: strings.Repeat("x.", 3500), want: invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, st.url+"?token="+url.QueryEscape(tc.token)+tc.query)
			r := c.Read()
			if r.Code != 401 || r.ErrMsg != tc.want || string(r.Body) != "null" {
				t.Fatalf("first frame %+v, want 401 %q", r, tc.want)
			}
			c.Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "bob", "content": "x"}})
			if r := c.Read(); r.Code != 401 || r.ErrMsg != protocol.ErrMsgNotAuthenticated {
				t.Fatalf("SEND with a refused token: %+v", r)
			}
		})
	}
	t.Run("LOGIN after a forged token", func(t *testing.T) {
		c := testutil.Dial(t, st.url, testutil.WithHeader(http.Header{"Authorization": {"Bearer " + unsigned("none")}}))
		if r := c.Read(); r.Code != 401 {
			t.Fatalf("first frame %+v", r)
		}
		if r := c.Login("bob", "bob123", 2); r.Code != 200 || r.BodyMap(t)["user_id"] != "bob" {
			t.Fatalf("login: %+v", r)
		}
	})
	hostileLongTokens(t, st)
}

// attackerKeys sign tokens with algorithms the gateway must refuse. They
// are made before the well-behaved client starts: RSA key generation
// under -race would take a core from it for a second.
type attackerKeys struct {
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
	rsaPub []byte // PEM, as an attacker would find it published
}

func newAttackerKeys(t *testing.T) *attackerKeys {
	t.Helper()
	rsaKey, rsaPub := authtest.RSAKey(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &attackerKeys{rsa: rsaKey, ec: ecKey, rsaPub: rsaPub}
}

// hostileLongTokens: a 100 KB refresh token over WebSocket passes
// -max-message-size (413, then 1009) and the HTTP API's body limit (400);
// a 20 KB one fits both but not the refresh_token field (400, "too long");
// a 2 KB one is just not a valid refresh token (401).
func hostileLongTokens(t *testing.T, st *stack) {
	huge, long := strings.Repeat("r", 100_000), strings.Repeat("r", 20_000)
	fits := strings.Repeat("r", protocol.MaxRefreshTokenLen)
	t.Run("100 KB refresh token over WebSocket", func(t *testing.T) {
		c := anonymous(t, st)
		c.Send(map[string]any{"cmd_id": 1004, "seq": 1, "body": map[string]any{"refresh_token": huge}})
		if r := c.Read(); r.Code != 413 || r.ErrMsg != protocol.ErrMsgMessageTooLarge {
			t.Fatalf("got %+v, want 413", r)
		}
		expectCloseOf(c, 1009)
	})
	t.Run("20 KB and 2 KB refresh tokens over WebSocket", func(t *testing.T) {
		c := anonymous(t, st)
		c.Send(map[string]any{"cmd_id": 1004, "seq": 1, "body": map[string]any{"refresh_token": long}})
		if r := c.Read(); r.Code != 400 || r.ErrMsg != protocol.ErrMsgBadRequestPrefix+"refresh_token too long" || r.Seq != 1 {
			t.Fatalf("got %+v, want 400 refresh_token too long", r)
		}
		c.Send(map[string]any{"cmd_id": 1004, "seq": 2, "body": map[string]any{"refresh_token": fits}})
		if r := c.Read(); r.Code != 401 || r.ErrMsg != protocol.ErrMsgInvalidRefreshToken || r.Seq != 2 {
			t.Fatalf("got %+v, want 401 invalid refresh token", r)
		}
	})
	t.Run("long tokens over HTTP", func(t *testing.T) {
		api := httptest.NewServer(NewAPI(st.gw, st.srv))
		defer api.Close()
		for _, tc := range []struct {
			path, body string
			status     int
			errMsg     string
		}{
			{"/api/refresh-token", `{"refresh_token":"` + huge + `"}`, 400, protocol.ErrMsgBadRequestPrefix},
			{"/api/refresh-token", `{"refresh_token":"` + long + `"}`, 400, protocol.ErrMsgBadRequestPrefix + "refresh_token too long"},
			{"/api/refresh-token", `{"refresh_token":"` + fits + `"}`, 401, protocol.ErrMsgInvalidRefreshToken},
			{"/api/login", `{"username":"alice","password":"` + huge + `"}`, 400, protocol.ErrMsgBadRequestPrefix},
			{"/api/login", `{"username":"alice","password":` + strings.Repeat("[", 10_000) + `}`, 400, protocol.ErrMsgBadRequestPrefix},
		} {
			status, errMsg := postJSON(t, api, tc.path, tc.body)
			if status != tc.status || !strings.HasPrefix(errMsg, tc.errMsg) {
				t.Errorf("POST %s (%d bytes): %d %q, want %d %q", tc.path, len(tc.body), status, errMsg, tc.status, tc.errMsg)
			}
		}
	})
}

// hostileSlowConsumer: bob has two sessions, one that stops reading; three
// users flood bob until the gateway gives up on that session. Only it is
// closed (4008): bob's other session gets every message, the senders and a
// bystander stay connected. Pushes are read as raw frames: decoding
// megabytes of JSON under -race would starve the well-behaved client of
// CPU on a small machine.
func hostileSlowConsumer(t *testing.T, st *stack) {
	slow := st.connectAs(t, "bob", "bob-slow")
	fast := st.connectAs(t, "bob", "bob-fast")
	bystander := st.connectAs(t, "carol", "c1")
	// Three users: a user's other sessions would get its messages too.
	senders := []*testutil.Client{st.connectAs(t, "alice", "a1"), st.connectAs(t, "user123", "u1"), st.connectAs(t, "dave", "d1")}

	got := make(chan int, 1)
	go func() { got <- drainPushes(fast, []byte(`"content":"end"`)) }()
	var wg sync.WaitGroup
	sent := make([]int, len(senders))
	errs := make([]error, len(senders))
	for i, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent[i], errs[i] = flood(s, "bob", 16<<10)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if code := rawClose(t, slow); code != 4008 {
		t.Fatalf("slow consumer closed with %d, want 4008", code)
	}
	senders[2].Send(map[string]any{"cmd_id": 2001, "seq": 1, "body": map[string]any{"to_uid": "bob", "content": "end"}})
	if r := senders[2].Read(); r.Code != 200 || r.BodyMap(t)["delivered"] != float64(1) {
		t.Fatalf("last send: %+v", r)
	}
	total := sent[0] + sent[1] + sent[2]
	if n := <-got; n != total+1 {
		t.Fatalf("bob's reading session got %d messages, want %d", n, total+1)
	}
	t.Logf("%d messages of 16 KiB before the slow consumer was closed", total)
	for _, c := range append(senders, bystander, fast) {
		c.Send(map[string]any{"cmd_id": 1003, "seq": 5, "body": map[string]any{}})
		if r := c.Read(); r.CmdID != 1003 || r.Code != 200 {
			t.Fatalf("heartbeat: %+v", r)
		}
	}
}

// flood sends messages of size bytes to user, each after the response to
// the one before, until a response shows one of the user's sessions is
// gone (delivered drops below 2). It returns how many it sent.
func flood(c *testutil.Client, user string, size int) (int, error) {
	head := fmt.Appendf(nil, `{"cmd_id":2001,"body":{"to_uid":%q,"content":"`, user)
	msg := append(append(head, strings.Repeat("z", size)...), `"}}`...)
	for n := 1; n <= 100_000; n++ {
		if err := wsutil.WriteClientMessage(c.Conn, ws.OpText, msg); err != nil {
			return n - 1, err
		}
		r, err := c.TryRead()
		if err != nil {
			return n, err
		}
		var b struct{ Delivered int }
		if r.CmdID != 2001 || r.Code != 200 || json.Unmarshal(r.Body, &b) != nil {
			return n, fmt.Errorf("send %d: %+v", n, r)
		}
		if b.Delivered < 2 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("the slow consumer was never closed")
}

// drainPushes reads frames until one that holds last, and returns how many
// text frames it read (-1 on an error).
func drainPushes(c *testutil.Client, last []byte) int {
	for n := 1; ; n++ {
		h, p, err := c.TryReadFrame()
		switch {
		case err != nil:
			return -1
		case h.OpCode != ws.OpText:
			n--
		case bytes.Contains(p, last):
			return n
		}
	}
}

// rawClose reads frames until the close frame and returns its code.
func rawClose(t *testing.T, c *testutil.Client) uint16 {
	t.Helper()
	for {
		h, p, err := c.TryReadFrame()
		if err != nil {
			t.Fatalf("want a close frame: %v", err)
		}
		if h.OpCode == ws.OpClose {
			return testutil.CloseCode(p)
		}
	}
}

// encodeJWT returns the first two segments of a JWT.
func encodeJWT(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
}

// signHMAC builds a JWT with any header, signed with an HMAC of h under key.
func signHMAC(t *testing.T, header, claims map[string]any, h func() hash.Hash, key []byte) string {
	t.Helper()
	input := encodeJWT(t, header, claims)
	mac := hmac.New(h, key)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// postJSON posts body to the API and returns the status and err_msg.
func postJSON(t *testing.T, api *httptest.Server, path, body string) (int, string) {
	t.Helper()
	resp, err := api.Client().Post(api.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("POST %s: %q: %v", path, raw, err)
	}
	return resp.StatusCode, r.ErrMsg
}

// loginRefreshToken logs user in through the auth manager and returns the
// (opaque) refresh token it issued.
func loginRefreshToken(t *testing.T, st *stack, user, pass string) string {
	t.Helper()
	type result struct {
		res auth.LoginResult
		err error
	}
	done := make(chan result, 1)
	if err := st.auth.Login(auth.LoginRequest{Username: user, Password: pass},
		func(res auth.LoginResult, err error) { done <- result{res, err} }); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.res.RefreshToken == "" {
		t.Fatalf("login %s: %v", user, r.err)
	}
	return r.res.RefreshToken
}
