package auth

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The fast verifier against golang-jwt (verifySlow), token by token: the
// same claims, or the same error. Verify is fast path then slow path, so a
// difference means the fast path decided otherwise than jwt would have.

// sameVerdict fails t unless Verify and verifySlow agree on token.
func sameVerdict(t testing.TB, m *Manager, token string) {
	t.Helper()
	fc, ferr := m.Verify(token)
	sc, serr := Claims{}, error(errInvalidTooLong) // Verify's first check, before either path
	if len(token) <= MaxTokenLen {
		sc, serr = m.verifySlow(m.keys.Load(), token)
	}
	if (ferr == nil) != (serr == nil) {
		t.Fatalf("token %q: fast path says %v, golang-jwt says %v", token, ferr, serr)
	}
	if ferr != nil {
		if ferr.Error() != serr.Error() || errors.Is(ferr, ErrTokenExpired) != errors.Is(serr, ErrTokenExpired) ||
			errors.Is(ferr, ErrTokenInvalid) != errors.Is(serr, ErrTokenInvalid) {
			t.Fatalf("token %q: fast path error %q, golang-jwt error %q", token, ferr, serr)
		}
		return
	}
	if !reflect.DeepEqual(fc, sc) {
		t.Fatalf("token %q: fast path claims %+v, golang-jwt claims %+v", token, fc, sc)
	}
}

// diffHeaders and diffClaims are the corpus: every header with every claims
// text, signed several ways. Texts, not values, so that the odd spellings
// (case, escapes, duplicates, nulls, whitespace) are there.
var diffHeaders = []string{
	`{"alg":"HS256","typ":"JWT"}`, `{"typ":"JWT","alg":"HS256"}`, `{"alg":"HS256"}`, ` { "alg" : "HS256" } `,
	`{"alg":"HS256","kid":"k5"}`, `{"alg":"HS512","kid":"k5"}`, `{"alg":"HS512","kid":"K5"}`, `{"alg":"HS256","kid":""}`,
	`{"alg":"HS256","kid":null}`, `{"alg":"HS256","KID":"k5"}`, `{"alg":"HS512","Kid":"k5"}`, `{"alg":"HS256","kid":"nope"}`,
	`{"alg":"HS256","kid":7}`, `{"alg":"ES256","kid":"e1"}`, `{"alg":"RS256","kid":"e1"}`, `{"alg":"HS256","alg":"none"}`,
	`{"alg":"none","alg":"HS256"}`, `{"ALG":"HS256"}`, `{"Alg":"HS256","alg":"HS256"}`, `{"alg":"HS\u0032\u0035\u0036"}`,
	`{"alg":"HS256","x":{"a":[1,2,{"b":null}],"c":"\"\\\/\b\f\n\r\t\u00e9"}}`, `{"alg":"HS256","x":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}`,
	`{"alg":"none"}`, `{"alg":"None"}`, `{"typ":"JWT"}`, `{"alg":5}`, `{"alg":null}`, `null`, `[]`, `{}`, ``, `{`,
	`{"alg":"HS256",}`, `{"alg":"HS256"} x`, `{"alg":"HS256"}{}`, "{\"alg\":\"HS256\"}\x00", `{"alg":"HS256","x":01}`,
	`{"alg":"HS256","x":1.}`, `{"alg":"HS256","x":-}`, `{"alg":"HS256","x":tru}`, `{"alg":"HS256","x":"\u12"}`,
	"{\"alg\":\"HS256\",\"x\":\"\x01\"}", "{\"alg\":\"HS256\",\"\xff\":1}", `{"alg":"HS256","ſ":1}`,
}

var diffClaims = func() []string {
	exp := strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)
	past := strconv.FormatInt(testNow.Add(-time.Hour).Unix(), 10)
	now := strconv.FormatInt(testNow.Unix(), 10)
	future := strconv.FormatInt(testNow.Add(time.Minute).Unix(), 10)
	return []string{
		`{"sub":"u","exp":` + exp + `}`,
		`{"sub":"user123","exp":` + exp + `,"iat":` + now + `,"jti":"j1","did":"web001","fid":"f1"}`,
		`{"sub":"u","exp":` + exp + `.5,"iat":` + now + `.25,"nbf":` + now + `}`,
		`{"sub":"u","exp":` + exp + `e0,"iat":1.8e9}`, `{"sub":"u","exp":` + exp + `,"nbf":` + future + `}`,
		`{"sub":"u","exp":` + exp + `,"iat":` + future + `}`,
		`{"sub":"u","exp":` + past + `}`, `{"sub":"u","exp":` + now + `}`, `{"sub":"u","exp":0}`, `{"sub":"u","exp":-0}`,
		`{"sub":"u","exp":1e300}`, `{"sub":"u","exp":1e400}`, `{"sub":"u","exp":-1e400}`, `{"sub":"u","exp":1e-400}`,
		`{"sub":"u","exp":"` + exp + `"}`, `{"sub":"u","exp":null}`, `{"sub":"u"}`, `{"sub":"u","exp":true}`,
		`{"sub":"u","exp":` + exp + `,"exp":` + past + `}`, `{"sub":"u","exp":` + past + `,"exp":` + exp + `}`,
		`{"sub":"u","EXP":` + exp + `}`, `{"sub":"u","Exp":` + exp + `,"exp":` + exp + `}`,
		`{"SUB":"v","sub":"u","exp":` + exp + `}`, `{"sub":"u","sub":"v","exp":` + exp + `}`,
		`{"sub":"\u0075","exp":` + exp + `}`, `{"sub":"u\/v","exp":` + exp + `}`, `{"sub":"é","exp":` + exp + `}`,
		"{\"sub\":\"\xff\",\"exp\":" + exp + "}", "{\"sub\":\"\xed\xa0\x80\",\"exp\":" + exp + "}",
		"{\"sub\":\"a\x7fb\",\"exp\":" + exp + "}", "{\"sub\":\"a\tb\",\"exp\":" + exp + "}",
		`{"sub":"","exp":` + exp + `}`, `{"sub":null,"exp":` + exp + `}`, `{"sub":7,"exp":` + exp + `}`,
		`{"sub":"` + strings.Repeat("x", 129) + `","exp":` + exp + `}`,
		`{"sub":"u","exp":` + exp + `,"did":"` + strings.Repeat("d", 65) + `"}`,
		`{"sub":"u","exp":` + exp + `,"typ":"refresh"}`, `{"sub":"u","exp":` + past + `,"typ":"refresh"}`,
		`{"sub":"u","exp":` + exp + `,"typ":"access"}`, `{"sub":"u","exp":` + exp + `,"TYP":"refresh"}`,
		`{"sub":"u","exp":` + exp + `,"rooms":["r1","team:a"]}`, `{"sub":"u","exp":` + exp + `,"rooms":[]}`,
		`{"sub":"u","exp":` + exp + `,"rooms":null}`, `{"sub":"u","exp":` + exp + `,"rooms":[null]}`,
		`{"sub":"u","exp":` + exp + `,"rooms":["bad room"]}`, `{"sub":"u","exp":` + exp + `,"rooms":"r1"}`,
		`{"sub":"u","exp":` + exp + `,"rooms":[1]}`, `{"sub":"u","exp":` + exp + `,"rooms":["r1",]}`,
		`{"sub":"u","exp":` + exp + `,"aud":"chat"}`, `{"sub":"u","exp":` + exp + `,"aud":["x","chat"]}`,
		`{"sub":"u","exp":` + exp + `,"aud":[]}`, `{"sub":"u","exp":` + exp + `,"aud":null}`,
		`{"sub":"u","exp":` + exp + `,"aud":[1]}`, `{"sub":"u","exp":` + exp + `,"aud":5}`, `{"sub":"u","exp":` + exp + `,"aud":"x"}`,
		`{"sub":"u","exp":` + exp + `,"iss":"gw"}`, `{"sub":"u","exp":` + exp + `,"iss":"other"}`, `{"sub":"u","exp":` + exp + `,"iss":5}`,
		`{"sub":"u","exp":` + exp + `,"fid":"revoked-family"}`,
		`{"sub":"u","exp":` + exp + `,"extra":{"a":[1,"b",{"c":null}],"d":"\n"},"n":-1.5e-3,"t":true,"f":false}`,
		` {"sub":"u","exp":` + exp + `} `, `{"sub":"u","exp":` + exp + `} x`, `{"sub":"u","exp":` + exp + `,}`,
		`{"sub":"u" "exp":` + exp + `}`, `{"sub":"u","exp":0` + exp + `}`, `{"sub":"u","exp":+` + exp + `}`,
		`null`, `[1]`, `{}`, `"x"`, ``, `{"sub":"u","exp":` + exp + `,"x":1e}`,
	}
}()

// diffManager verifies with the HS256 secret, an HS512 key "k5" and an
// ES256 key "e1"; with the issuer "gw" and the audience "chat" when asked;
// family "revoked-family" revoked.
func diffManager(t testing.TB, issAud bool) *Manager {
	t.Helper()
	testKeys(t)
	hs512, err := HMACKey("k5", "HS512", []byte(strings.Repeat("5", 64)))
	if err != nil {
		t.Fatal(err)
	}
	es, err := KeyFromPEM("e1", "ES256", []byte(pubPEM(t, &ecKey.PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, func(c *Config) {
		c.Keys = &KeySet{Keys: []Key{hs512, es}}
		if issAud {
			c.Issuer, c.Audience = "gw", "chat"
		}
	})
	m.revoked.add("revoked-family", testNow.Add(24*time.Hour))
	return m
}

// diffSigners sign a header.claims text with each key diffManager knows,
// and with none.
var diffSigners = map[string]func(string) []byte{
	"hs256": hs256,
	"hs512": hmacWith([]byte(strings.Repeat("5", 64)), sha512.New),
	"es256": func(in string) []byte {
		s, err := jwt.SigningMethodES256.Sign(in, ecKey)
		if err != nil {
			panic(err)
		}
		return s
	},
	"bad":   flipped(hs256),
	"other": hmacWith(otherSecret, sha256.New),
}

func TestVerifyFastMatchesJWT(t *testing.T) {
	for _, issAud := range []bool{false, true} {
		m := diffManager(t, issAud)
		enc := base64.RawURLEncoding
		for _, h := range diffHeaders {
			for _, c := range diffClaims {
				in := enc.EncodeToString([]byte(h)) + "." + enc.EncodeToString([]byte(c))
				for _, sign := range diffSigners {
					sameVerdict(t, m, in+"."+enc.EncodeToString(sign(in)))
				}
				sameVerdict(t, m, in+".")
				sameVerdict(t, m, in+"."+enc.EncodeToString(hs256(in))+"=")
				sameVerdict(t, m, in+"."+enc.EncodeToString(hs256(in))+".x")
			}
		}
	}
}

// TestVerifyFastDecides pins that the fast path, not golang-jwt, answers
// the tokens the gateway sees every day: those it issues, and the common
// refusals (expired, bad signature, bad claims). Without it the
// differential test would pass with a fast path that always gives up.
func TestVerifyFastDecides(t *testing.T) {
	m := diffManager(t, true)
	exp := testNow.Add(time.Hour).Unix()
	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{name: "hs256", ok: true, token: craft(t, header("HS256"),
			map[string]any{"sub": "u", "exp": exp, "iat": testNow.Unix(), "jti": "j", "did": "d", "fid": "f", "iss": "gw", "aud": "chat", "rooms": []string{"r"}}, hs256)},
		{name: "hs512 kid", ok: true, token: craft(t, map[string]any{"alg": "HS512", "kid": "k5"},
			map[string]any{"sub": "u", "exp": exp, "iss": "gw", "aud": []string{"chat"}}, diffSigners["hs512"])},
		{name: "es256 kid", ok: true, token: craft(t, map[string]any{"alg": "ES256", "kid": "e1"},
			map[string]any{"sub": "u", "exp": exp, "iss": "gw", "aud": "chat"}, diffSigners["es256"])},
		{name: "expired", token: craft(t, header("HS256"), map[string]any{"sub": "u", "exp": testNow.Unix() - 1, "iss": "gw", "aud": "chat"}, hs256)},
		{name: "bad signature", token: craft(t, header("HS256"), map[string]any{"sub": "u", "exp": exp}, flipped(hs256))},
		{name: "es256 bad signature", token: craft(t, map[string]any{"alg": "ES256", "kid": "e1"}, map[string]any{"sub": "u", "exp": exp}, hs256)},
		{name: "wrong audience", token: craft(t, header("HS256"), map[string]any{"sub": "u", "exp": exp, "iss": "gw", "aud": "x"}, hs256)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := m.verifyFast(m.keys.Load(), tc.token)
			if !v.done || (v.err == nil) != tc.ok {
				t.Fatalf("fast path: done %v, err %v; want it to decide, ok=%v", v.done, v.err, tc.ok)
			}
			sameVerdict(t, m, tc.token)
		})
	}
}

// FuzzVerifyFast signs whatever header and claims text it is given with
// the HS256 secret (or, when the header names kid k5, the HS512 key) and
// holds the fast path to golang-jwt's verdict.
func FuzzVerifyFast(f *testing.F) {
	m := diffManager(f, true)
	for i, h := range diffHeaders {
		f.Add(h, diffClaims[i%len(diffClaims)])
	}
	for _, c := range diffClaims {
		f.Add(diffHeaders[0], c)
	}
	enc := base64.RawURLEncoding
	f.Fuzz(func(t *testing.T, hdr, claims string) {
		in := enc.EncodeToString([]byte(hdr)) + "." + enc.EncodeToString([]byte(claims))
		sign := hs256
		if strings.Contains(hdr, "k5") {
			sign = diffSigners["hs512"]
		}
		sameVerdict(t, m, in+"."+enc.EncodeToString(sign(in)))
	})
}
