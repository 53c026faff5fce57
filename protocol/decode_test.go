package protocol

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestDecodeEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Envelope
	}{
		{"minimal", `{"cmd_id":1003}`, Envelope{Ref: Ref{CmdID: 1003, HasCmdID: true}}},
		{"whitespace", " \t\r\n{ \"cmd_id\" : 1003 , \"seq\" : 0 } \n", Envelope{Ref: Ref{CmdID: 1003, HasCmdID: true, HasSeq: true}}},
		{"nulls are absent", `{"cmd_id":1003,"seq":null,"from_uid":null,"device_id":null,"platform":null,"body":null}`, Envelope{Ref: Ref{CmdID: 1003, HasCmdID: true}}},
		{"body", `{"cmd_id":2001,"body":{"to_uid":"u"}}`, Envelope{Ref: Ref{CmdID: 2001, HasCmdID: true}, Body: []byte(`{"to_uid":"u"}`)}},
		{"empty body", `{"cmd_id":1002,"body":{}}`, Envelope{Ref: Ref{CmdID: 1002, HasCmdID: true}, Body: []byte(`{}`)}},
		{"negative seq", `{"cmd_id":1,"seq":-9223372036854775808}`, Envelope{Ref: Ref{CmdID: 1, Seq: -9223372036854775808, HasCmdID: true, HasSeq: true}}},
		{"max seq", `{"cmd_id":1,"seq":9223372036854775807}`, Envelope{Ref: Ref{CmdID: 1, Seq: 9223372036854775807, HasCmdID: true, HasSeq: true}}},
		{"minus zero", `{"cmd_id":-0}`, Envelope{Ref: Ref{HasCmdID: true}}},
		{"max cmd_id", `{"cmd_id":2147483647}`, Envelope{Ref: Ref{CmdID: 2147483647, HasCmdID: true}}},
		{"min cmd_id", `{"cmd_id":-2147483648}`, Envelope{Ref: Ref{CmdID: -2147483648, HasCmdID: true}}},
		{"19-digit seq", `{"cmd_id":0,"seq":-1000000000000000000}`, Envelope{Ref: Ref{Seq: -1000000000000000000, HasCmdID: true, HasSeq: true}}},
		{"unknown keys ignored", `{"CMD_ID":5,"cmd_id":1,"x":[1,{"y":null}],"extra":"z"}`, Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}}},
		{"escaped strings", `{"cmd_id":1,"from_uid":"a\"b\\c\u00e9\ud83d\ude00","platform":"\/"}`, Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}, FromUID: "a\"b\\cé😀", Platform: "/"}},
		{"escaped key", `{"cmd\u005fid":1}`, Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}}},
		{"utf-8 strings", `{"cmd_id":1,"from_uid":"用户"}`, Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}, FromUID: "用户"}},
		{"empty strings", `{"cmd_id":1,"from_uid":"","device_id":""}`, Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}}},
		{"128-byte uid", `{"cmd_id":1,"from_uid":"` + strings.Repeat("u", 128) + `"}`, Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}, FromUID: strings.Repeat("u", 128)}},
		{"128 escaped bytes", `{"cmd_id":1,"from_uid":"` + strings.Repeat(`\u0041`, 128) + `"}`, Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}, FromUID: strings.Repeat("A", 128)}},
		{"lone surrogate in body kept", `{"cmd_id":1,"body":{"a":"\ud800"}}`, Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}, Body: []byte(`{"a":"\ud800"}`)}},
		{"deep but allowed body", `{"cmd_id":1,"body":{"a":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}}`,
			Envelope{Ref: Ref{CmdID: 1, HasCmdID: true}, Body: []byte(`{"a":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env Envelope
			if err := DecodeEnvelope([]byte(tc.in), &env); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(env, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", env, tc.want)
			}
		})
	}
}

func TestDecodeEnvelopeErrors(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	deepObj := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	for _, tc := range []struct {
		name string
		in   string
		msg  string
		ref  Ref // what must still be echoed
	}{
		{"empty", ``, "bad request: message is not a JSON object", Ref{}},
		{"spaces", `   `, "bad request: message is not a JSON object", Ref{}},
		{"array", `[{"cmd_id":1}]`, "bad request: message is not a JSON object", Ref{}},
		{"null", `null`, "bad request: message is not a JSON object", Ref{}},
		{"string", `"cmd_id"`, "bad request: message is not a JSON object", Ref{}},
		{"truncated", `{"cmd_id":1`, "bad request: invalid JSON at offset 11", Ref{}},
		{"trailing garbage", `{"cmd_id":1} x`, "bad request: invalid JSON at offset 13", Ref{}},
		{"two objects", `{"cmd_id":1}{"cmd_id":2}`, "bad request: invalid JSON at offset 12", Ref{}},
		{"trailing comma", `{"cmd_id":1,}`, "bad request: invalid JSON at offset 12", Ref{}},
		{"single quotes", `{'cmd_id':1}`, "bad request: invalid JSON at offset 1", Ref{}},
		{"bad literal in body", `{"cmd_id":1,"body":{"a":tru}}`, "bad request: invalid JSON at offset 27", Ref{}},
		{"NaN", `{"cmd_id":1,"x":NaN}`, "bad request: invalid JSON at offset 17", Ref{}},
		{"leading zero", `{"cmd_id":01}`, "bad request: invalid JSON at offset 11", Ref{}},
		{"control char in string", "{\"cmd_id\":1,\"from_uid\":\"a\x01\"}", "bad request: invalid JSON at offset 25", Ref{}},
		{"control char in body", "{\"cmd_id\":1,\"body\":{\"a\":\"\x1f\"}}", "bad request: invalid JSON at offset 25", Ref{}},
		{"bad escape", `{"cmd_id":1,"body":{"a":"\x"}}`, "bad request: invalid JSON at offset 25", Ref{}},
		{"short unicode escape", `{"cmd_id":1,"from_uid":"\u00"}`, "bad request: invalid JSON at offset 24", Ref{}},
		{"invalid UTF-8", "{\"cmd_id\":1,\"from_uid\":\"\xff\"}", "bad request: invalid UTF-8", Ref{}},
		{"overlong UTF-8", "{\"cmd_id\":1,\"body\":{\"a\":\"\xc0\xaf\"}}", "bad request: invalid UTF-8", Ref{}},
		{"surrogate UTF-8", "{\"cmd_id\":1,\"from_uid\":\"\xed\xa0\x80\"}", "bad request: invalid UTF-8", Ref{}},
		{"nested 10000 in body", `{"cmd_id":1,"body":{"a":` + deep + `}}`, "", Ref{}},
		{"nested 10000 unknown key", `{"cmd_id":1,"x":` + deep + `}`, "", Ref{}},
		{"nested 10000 objects", `{"cmd_id":1,"body":` + deepObj + `}`, "", Ref{}},
		{"nested 10000 unclosed", `{"cmd_id":1,"body":` + strings.Repeat("[", 10000), "", Ref{}},
		{"cmd_id missing", `{"seq":7}`, "bad request: cmd_id missing", Ref{Seq: 7, HasSeq: true}},
		{"cmd_id null", `{"cmd_id":null,"seq":7}`, "bad request: cmd_id missing", Ref{Seq: 7, HasSeq: true}},
		{"cmd_id string", `{"cmd_id":"1001","seq":7}`, "bad request: cmd_id is not an integer", Ref{Seq: 7, HasSeq: true}},
		{"cmd_id float", `{"cmd_id":1001.0}`, "bad request: cmd_id is not an integer", Ref{}},
		{"cmd_id exponent", `{"cmd_id":1e3}`, "bad request: cmd_id is not an integer", Ref{}},
		{"cmd_id huge exponent", `{"cmd_id":1e99999999999}`, "bad request: cmd_id is not an integer", Ref{}},
		{"cmd_id bool", `{"cmd_id":true}`, "bad request: cmd_id is not an integer", Ref{}},
		{"cmd_id object", `{"cmd_id":{}}`, "bad request: cmd_id is not an integer", Ref{}},
		{"cmd_id over int32", `{"cmd_id":2147483648}`, "bad request: cmd_id out of range", Ref{}},
		{"cmd_id huge", `{"cmd_id":123456789012345678901234567890123456789}`, "bad request: cmd_id out of range", Ref{}},
		{"seq float", `{"cmd_id":1001,"seq":1.5}`, "bad request: seq is not an integer", Ref{CmdID: 1001, HasCmdID: true}},
		{"seq string", `{"cmd_id":1001,"seq":"7"}`, "bad request: seq is not an integer", Ref{CmdID: 1001, HasCmdID: true}},
		{"cmd_id under int32", `{"cmd_id":-2147483649}`, "bad request: cmd_id out of range", Ref{}},
		{"seq under int64", `{"cmd_id":1001,"seq":-9223372036854775809}`, "bad request: seq out of range", Ref{CmdID: 1001, HasCmdID: true}},
		{"seq 20 digits", `{"cmd_id":1001,"seq":18446744073709551616}`, "bad request: seq out of range", Ref{CmdID: 1001, HasCmdID: true}},
		{"seq max uint64", `{"cmd_id":1001,"seq":18446744073709551615}`, "bad request: seq out of range", Ref{CmdID: 1001, HasCmdID: true}},
		{"seq over int64", `{"cmd_id":1001,"seq":9223372036854775808}`, "bad request: seq out of range", Ref{CmdID: 1001, HasCmdID: true}},
		{"duplicate cmd_id", `{"cmd_id":1,"cmd_id":2}`, "bad request: duplicate key cmd_id", Ref{}},
		{"duplicate body", `{"cmd_id":1,"body":{},"body":{"a":1}}`, "bad request: duplicate key body", Ref{}},
		{"duplicate from_uid", `{"cmd_id":1,"from_uid":"a","from_uid":"b"}`, "bad request: duplicate key from_uid", Ref{}},
		{"duplicate escaped key", `{"cmd_id":1,"cmd\u005fid":2}`, "bad request: duplicate key cmd_id", Ref{}},
		{"from_uid number", `{"cmd_id":1,"seq":2,"from_uid":5}`, "bad request: from_uid is not a string", Ref{CmdID: 1, Seq: 2, HasCmdID: true, HasSeq: true}},
		{"from_uid too long", `{"cmd_id":1,"from_uid":"` + strings.Repeat("u", 129) + `"}`, "bad request: from_uid too long", Ref{CmdID: 1, HasCmdID: true}},
		{"late error clears fields", `{"cmd_id":1,"from_uid":"a","platform":"p","device_id":5,"body":{}}`, "bad request: device_id is not a string", Ref{CmdID: 1, HasCmdID: true}},
		{"escaped too long", `{"cmd_id":1,"from_uid":"` + strings.Repeat(`\u0041`, 129) + `"}`, "bad request: from_uid too long", Ref{CmdID: 1, HasCmdID: true}},
		{"escaped too long by length", `{"cmd_id":1,"from_uid":"` + strings.Repeat(`\n`, 129) + `"}`, "bad request: from_uid too long", Ref{CmdID: 1, HasCmdID: true}},
		{"cmd_id many digits", `{"cmd_id":` + strings.Repeat("9", 10000) + `}`, "bad request: cmd_id out of range", Ref{}},
		{"device_id array", `{"cmd_id":1,"device_id":["a"]}`, "bad request: device_id is not a string", Ref{CmdID: 1, HasCmdID: true}},
		{"platform lone surrogate", `{"cmd_id":1,"platform":"\ud800"}`, "bad request: invalid escape in platform", Ref{CmdID: 1, HasCmdID: true}},
		{"from_uid lone low surrogate", `{"cmd_id":1,"from_uid":"a\udc00b"}`, "bad request: invalid escape in from_uid", Ref{CmdID: 1, HasCmdID: true}},
		{"body array", `{"cmd_id":1,"body":[]}`, "bad request: body is not an object", Ref{CmdID: 1, HasCmdID: true}},
		{"body string", `{"cmd_id":1,"body":"{}"}`, "bad request: body is not an object", Ref{CmdID: 1, HasCmdID: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env Envelope
			env.FromUID = "stale"
			err := DecodeEnvelope([]byte(tc.in), &env)
			if err == nil {
				t.Fatalf("no error, got %+v", env)
			}
			e, ok := err.(*Error)
			if !ok || e.Code != CodeBadRequest || !strings.HasPrefix(e.Msg, ErrMsgBadRequestPrefix) {
				t.Fatalf("error %#v", err)
			}
			if tc.msg != "" && e.Msg != tc.msg {
				t.Fatalf("got %q, want %q", e.Msg, tc.msg)
			}
			if env.Ref != tc.ref || env.FromUID != "" || env.Body != nil {
				t.Fatalf("env after error %+v, want ref %+v and nothing else", env, tc.ref)
			}
		})
	}
}

// TestDecodeEnvelopeErrorSecrets checks that no error text quotes the input:
// sonic's own messages do, and the input may carry a password.
func TestDecodeEnvelopeErrorSecrets(t *testing.T) {
	for _, in := range []string{
		`{"cmd_id":1001,"body":{"username":"u","password":"hunter2"`,
		`{"cmd_id":1001,"body":{"username":"u","password":"hunter2"}} hunter2`,
		`{"cmd_id":1001,"body":{"username":"u","password":"hunter2\x"}}`,
	} {
		err := DecodeEnvelope([]byte(in), new(Envelope))
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("error %v for %s", err, in)
		}
	}
	var l Login
	err := DecodeLogin([]byte(`{"username":"u","password":"hunter2\q"}`), &l)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}

// TestDecodeEnvelopeAliases pins the documented lifetime: on the fast path
// the fields alias the input, and Clone does not.
func TestDecodeEnvelopeAliases(t *testing.T) {
	buf := []byte(`{"cmd_id":2001,"seq":1,"from_uid":"alice","device_id":"d1","platform":"web","body":{"to_uid":"bob"}}`)
	var env Envelope
	if err := DecodeEnvelope(buf, &env); err != nil {
		t.Fatal(err)
	}
	c := env.Clone()
	if cap(env.Body) != len(env.Body) {
		t.Fatalf("Body capacity %d exceeds its length %d", cap(env.Body), len(env.Body))
	}
	for i := range buf {
		buf[i] = 'X'
	}
	if env.FromUID == "alice" {
		t.Fatal("fast path copied from_uid; expected an alias of the input")
	}
	want := Envelope{Ref: Ref{CmdID: 2001, Seq: 1, HasCmdID: true, HasSeq: true}, FromUID: "alice", DeviceID: "d1", Platform: "web", Body: []byte(`{"to_uid":"bob"}`)}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("clone %+v changed with its input", c)
	}
	if e := (&Envelope{Ref: Ref{CmdID: 1}}).Clone(); e.CmdID != 1 || e.Body != nil {
		t.Fatalf("empty clone %+v", e)
	}
}

// TestDecodeEnvelopeReuse decodes into one Envelope many times, as a
// connection loop does, and checks nothing leaks from one message to the next.
func TestDecodeEnvelopeReuse(t *testing.T) {
	var env Envelope
	if err := DecodeEnvelope([]byte(`{"cmd_id":1,"seq":5,"from_uid":"a","body":{}}`), &env); err != nil {
		t.Fatal(err)
	}
	if err := DecodeEnvelope([]byte(`{"cmd_id":2}`), &env); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(env, Envelope{Ref: Ref{CmdID: 2, HasCmdID: true}}) {
		t.Fatalf("stale fields: %+v", env)
	}
}

// TestHasControl compares the eight-bytes-at-a-time scan with a plain loop
// for every byte value at every position of short and long inputs.
func TestHasControl(t *testing.T) {
	naive := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 {
				return true
			}
		}
		return false
	}
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23} {
		base := []byte(strings.Repeat(`{"a":]`, 4)[:n])
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := append([]byte(nil), base...)
				b[pos] = byte(c)
				if got, want := hasControl(b), naive(b); got != want {
					t.Fatalf("len %d, byte %#x at %d: got %v, want %v", n, c, pos, got, want)
				}
			}
		}
	}
}

// TestBadEscapeLongStrings pins the gap in sonic v1.15.5 that badEscape
// fills: escapes in strings scanned by its SIMD loop are not validated.
func TestBadEscapeLongStrings(t *testing.T) {
	pad := strings.Repeat("x", 70)
	for _, tc := range []struct {
		in   string
		want int
	}{
		{`{"cmd_id":1,"body":{"a":"\0","b":"` + pad + `"}}`, 25},
		{`{"cmd_id":1,"x":"\x` + pad + `"}`, 17},
		{`{"cmd_id":1,"x":"` + pad + `\u12G4"}`, 87},
		{`{"cmd_id":1,"x\q":"` + pad + `"}`, 14},
		{`{"cmd_id":1,"x":"\\\\` + pad + `\"\/\b\f\n\r\t\u00aF"}`, -1},
		{`{"cmd_id":1,"x":"` + pad + `\\\"\\"}`, -1},
	} {
		if got := badEscape([]byte(tc.in), strings.IndexByte(tc.in, '\\')); got != tc.want {
			t.Errorf("badEscape(%s) = %d, want %d", tc.in, got, tc.want)
		}
		err := DecodeEnvelope([]byte(tc.in), new(Envelope))
		if (err == nil) != (tc.want < 0) {
			t.Errorf("DecodeEnvelope(%s) = %v", tc.in, err)
		}
	}
	var s Send
	err := DecodeSend([]byte(`{"to_uid":"b","content":"\0`+pad+`"}`), &s)
	asError(t, err, CodeBadRequest, "bad request: invalid JSON at offset 25")
}

// TestConcurrentDecode decodes and encodes from several goroutines at once;
// with -race it checks the pooled decoder state is not shared.
func TestConcurrentDecode(t *testing.T) {
	const workers, rounds = 4, 300
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			uid := strings.Repeat(string(rune('a'+w)), w+1)
			in := []byte(`{"cmd_id":2001,"seq":7,"from_uid":"` + uid + `","body":{"to_uid":"x","content":["` + uid + `"]}}`)
			var env Envelope
			var s Send
			buf := make([]byte, 0, 256)
			for i := 0; i < rounds; i++ {
				if err := DecodeEnvelope(in, &env); err != nil {
					errs <- err
					return
				}
				if err := DecodeSend(env.Body, &s); err != nil {
					errs <- err
					return
				}
				if env.FromUID != uid || string(s.Content) != `["`+uid+`"]` {
					errs <- BadRequest("worker " + uid + " read " + env.FromUID + " " + string(s.Content))
					return
				}
				buf = AppendMessagePush(buf[:0], &Message{FromUID: env.FromUID, Content: s.Content})
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestIntegerMatchesStrconv compares integer with strconv.ParseInt around
// every power of two and ten, for both bit sizes used.
func TestIntegerMatchesStrconv(t *testing.T) {
	var in []string
	for _, base := range []uint64{2, 10} {
		for p := uint64(1); p != 0 && p <= 1<<63; p *= base {
			for _, d := range []uint64{p - 1, p, p + 1} {
				s := strconv.FormatUint(d, 10)
				in = append(in, s, "-"+s)
			}
			if p > (1<<64-1)/base {
				break
			}
		}
	}
	in = append(in, "18446744073709551615", "99999999999999999999", "0", "-0")
	for _, s := range in {
		for _, bits := range []uint{32, 64} {
			r := rawValue{b: []byte(s), n: 1}
			got, ok, err := integer(&r, "n", bits)
			want, werr := strconv.ParseInt(s, 10, int(bits))
			if (err == nil) != (werr == nil) || ok != (werr == nil) || got != map[bool]int64{true: want, false: 0}[werr == nil] {
				t.Errorf("integer(%s, %d) = %d %v %v; strconv: %d %v", s, bits, got, ok, err, want, werr)
			}
		}
	}
}
