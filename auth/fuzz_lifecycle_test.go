package auth

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// FuzzFamilyBinary feeds a stored family record, arriving in two pieces, to
// the decoder: it must fail with ErrStore or decode to a family that
// encodes back to something decoding to the same family.
func FuzzFamilyBinary(f *testing.F) {
	fam := Family{ID: "0Pxvv3sFkc2IbfmpPg7lzA", UserID: "alice", DeviceID: "web001", Created: testNow,
		Expires: testNow.Add(time.Hour), Gen: 7}
	enc, _ := fam.MarshalBinary()
	f.Add(enc[:10], enc[10:])
	fam.Revoked = testNow
	enc, _ = fam.MarshalBinary()
	f.Add(enc[:1], enc[1:])
	f.Add([]byte{1, 0x80}, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var got Family
		if err := got.UnmarshalBinary(append(append([]byte(nil), a...), b...)); err != nil {
			if !errors.Is(err, ErrStore) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		again, _ := got.MarshalBinary()
		var back Family
		if err := back.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded family does not decode: %v", err)
		}
		if back.ID != got.ID || back.UserID != got.UserID || back.DeviceID != got.DeviceID || back.Gen != got.Gen ||
			!back.Created.Equal(got.Created) || !back.Expires.Equal(got.Expires) || !back.Revoked.Equal(got.Revoked) ||
			back.Current != got.Current || back.Spent != got.Spent {
			t.Fatalf("round trip changed the family:\n%+v\n%+v", got, back)
		}
	})
}

// FuzzReadKeySet feeds the key-file reader a document that arrives in two
// pieces: it must fail with ErrKeys (naming no secret) or return a usable
// key set.
func FuzzReadKeySet(f *testing.F) {
	secret := strings.Repeat("s", 32)
	f.Add(`{"current":"a","keys":[{"kid":"a","alg":"HS256",`, `"secret":"`+secret+`"}]}`)
	f.Add(`{"keys":[{"kty":"OKP","kid":"o","crv":"Ed25519",`, `"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`)
	f.Add(`{"keys":[{"kty":"RSA","kid":"r","alg":"RS256","n":"AQAB",`, `"e":"AQAB"},{"kty":"EC","crv":"P-256"}]}`)
	f.Add(`{"keys":[{"kid":"p","alg":"ES256","pem":"-----BEGIN PUBLIC KEY-----\nAAAA\n`, `-----END PUBLIC KEY-----\n"}]}`)
	f.Add(`{"keys":[{"kid":"a","alg":"HS256","secret_file":"/dev/null"}]`, `}`)
	dir := f.TempDir() // empty: named files are not found
	f.Fuzz(func(t *testing.T, a, b string) {
		r := io.MultiReader(strings.NewReader(a), strings.NewReader(b))
		ks, err := ReadKeySet(r, dir)
		if err != nil {
			if !errors.Is(err, ErrKeys) {
				t.Fatalf("unexpected error class: %v", err)
			}
			if len(secret) > 0 && strings.Contains(err.Error(), secret) {
				t.Fatal("error contains a secret")
			}
			return
		}
		if _, err := newKeyring(nil, ks, nil); err != nil {
			t.Fatalf("a key set ReadKeySet accepted is unusable: %v", err)
		}
	})
}

// FuzzRefreshToken feeds Refresh a token in two pieces: anything but a
// token it issued must be refused as invalid, and nothing may be revoked.
func FuzzRefreshToken(f *testing.F) {
	m, err := New(Config{Secret: testSecret, Now: func() time.Time { return testNow }, Workers: 1, StoreWorkers: 1})
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()
	res, err := m.startFamily("alice", "")
	if err != nil {
		f.Fatal(err)
	}
	tok := res.RefreshToken
	f.Add(tok[:30], tok[30:])
	f.Add(tok[:69], "B")
	f.Add("", "")
	f.Add(strings.Repeat("A", 35), strings.Repeat("_", 35))
	f.Fuzz(func(t *testing.T, a, b string) {
		token := a + b
		if token == tok {
			return
		}
		_, err := m.Refresh(RefreshRequest{Token: token})
		if !errors.Is(err, ErrRefreshInvalid) {
			t.Fatalf("Refresh(%q) = %v, want ErrRefreshInvalid", token, err)
		}
		if m.IsRevoked(res.Family) {
			t.Fatal("a forged token revoked the family")
		}
	})
}
