package bench

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestEachField(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []string // key=value pairs
		wantErr bool
	}{
		{name: "empty object", in: ` {} `, want: nil},
		{name: "push", in: `{"cmd_id":3001,"code":200,"body":{"content":"a}\"b","n":[1,{"x":"]"}]},"err_msg":""}`,
			want: []string{`cmd_id=3001`, `code=200`, `body={"content":"a}\"b","n":[1,{"x":"]"}]}`, `err_msg=""`}},
		{name: "spaces", in: "{ \"a\" : true ,\n\"b\":null }", want: []string{`a=true`, `b=null`}},
		{name: "escaped key", in: `{"a\"b":1}`, want: []string{`a\"b=1`}},
		{name: "not an object", in: `[1]`, wantErr: true},
		{name: "missing colon", in: `{"a" 1}`, wantErr: true},
		{name: "unterminated string", in: `{"a":"b}`, wantErr: true},
		{name: "unterminated object", in: `{"a":{"b":1}`, wantErr: true},
		{name: "trailing garbage", in: `{"a":1 x}`, wantErr: true},
		{name: "missing value", in: `{"a":}`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := eachField([]byte(tc.in), func(k, v []byte) bool {
				got = append(got, string(k)+"="+string(v))
				return true
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && !equalStrings(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestJSONInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{in: "0", want: 0, ok: true},
		{in: "-12", want: -12, ok: true},
		{in: "1764196545123456789", want: 1764196545123456789, ok: true},
		{in: "9223372036854775807", want: 1<<63 - 1, ok: true},
		{in: "9223372036854775808", ok: false},
		{in: "-9223372036854775808", want: -1 << 63, ok: true},
		{in: "12345678901234567890", ok: false},
		{in: "1.5", ok: false},
		{in: "", ok: false},
		{in: "-", ok: false},
		{in: `"1"`, ok: false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := jsonInt([]byte(tc.in))
			if ok != tc.ok || got != tc.want {
				t.Fatalf("jsonInt(%q) = %d, %v", tc.in, got, ok)
			}
		})
	}
}

func TestJSONPlainString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{in: `"bench:1:2:3:"`, want: "bench:1:2:3:", ok: true},
		{in: `""`, want: "", ok: true},
		{in: `"a\"b"`, ok: false},
		{in: `1`, ok: false},
		{in: `"`, ok: false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := jsonPlainString([]byte(tc.in))
			if ok != tc.ok || string(got) != tc.want {
				t.Fatalf("got %q, %v", got, ok)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzEachField checks the walker against encoding/json on valid objects
// (valid UTF-8, since encoding/json rewrites bad bytes) whose keys have no
// escapes and are unique, and that it never panics on
// anything. The document is also fed with a prefix cut off and glued back,
// the closest a whole-buffer parser gets to a partial read.
func FuzzEachField(f *testing.F) {
	f.Add([]byte(`{"cmd_id":2001,"seq":7,"code":200,"body":{"msg_id":"m","delivered":1},"err_msg":""}`), uint8(10))
	f.Add([]byte(`{"a":[1,"]",{"b":"}"}],"c":"\\\""}`), uint8(3))
	f.Add([]byte(`{}`), uint8(0))
	f.Fuzz(func(t *testing.T, doc []byte, cut uint8) {
		c := min(int(cut), len(doc))
		glued := append(bytes.Clone(doc[:c]), doc[c:]...)
		got := map[string]string{}
		dup := false
		err := eachField(glued, func(k, v []byte) bool {
			if _, ok := got[string(k)]; ok {
				dup = true
			}
			got[string(k)] = string(v)
			return true
		})
		var want map[string]json.RawMessage
		if !utf8.Valid(doc) || json.Unmarshal(doc, &want) != nil || want == nil || dup || bytes.IndexByte(doc, '\\') >= 0 {
			return
		}
		if err != nil {
			t.Fatalf("valid object %q: %v", doc, err)
		}
		if len(got) != len(want) {
			t.Fatalf("keys %v, want %v", got, want)
		}
		for k, v := range want {
			var a, b bytes.Buffer
			if json.Compact(&a, v) != nil || json.Compact(&b, []byte(got[k])) != nil || a.String() != b.String() {
				t.Fatalf("key %q: got %q, want %q", k, got[k], v)
			}
		}
	})
}
