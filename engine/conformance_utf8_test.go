package engine

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// Autobahn family 6: UTF-8 in text messages. 6.1–6.4 are fragmentation
// cases; 6.5–6.23 are the sequences of Markus Kuhn's UTF-8 decoder test,
// grouped as Autobahn groups them. Every sequence is sent whole (the case
// Autobahn has) and, beyond Autobahn, one byte per fragment and split into
// two fragments at every byte. An invalid sequence must fail the
// connection with 1007 at the first fragment that makes it invalid: the
// rest is never sent, so a server that waits for it times out the case.
// Where a sequence is invalid is found by brute force (completable), not
// by the engine's validator.

// kosme is "κόσμε", Kuhn's sample word.
const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

func utf8Cases() []ccase {
	hello := "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!"
	bad := kosme + "\xed\xa0\x80edited"
	f64 := kosme + "\xf4\x90\x80\x80edited"
	wf := frameOf(OpText, f64) // 6 header bytes: 2 + mask
	h := 6 + len(kosme)
	cs := []ccase{
		{id: "6.1.1", name: "empty text", send: [][]byte{textMsg("")}, want: []wsFrame{echoText("")}},
		{id: "6.1.2", name: "3 empty fragments", send: [][]byte{frag(false, OpText, nil), frag(false, OpContinuation, nil),
			frag(true, OpContinuation, nil)}, want: []wsFrame{echoText("")}},
		{id: "6.1.3", name: "3 fragments, first and last empty", send: [][]byte{frag(false, OpText, nil),
			frag(false, OpContinuation, []byte("middle frame payload")), frag(true, OpContinuation, nil)},
			want: []wsFrame{echoText("middle frame payload")}},
		{id: "6.2.1", name: "valid UTF-8 in one fragment", send: [][]byte{textMsg(hello)}, want: []wsFrame{echoText(hello)}},
		{id: "6.2.2", name: "valid UTF-8 in 2 fragments split at a code point", send: [][]byte{frag(false, OpText, []byte(hello[:8])),
			frag(true, OpContinuation, []byte(hello[8:]))}, want: []wsFrame{echoText(hello)}},
		{id: "6.2.3", name: "valid UTF-8, one byte per fragment", send: byteFragments([]byte(hello), len(hello)), want: []wsFrame{echoText(hello)}},
		{id: "6.2.4", name: "κόσμε, one byte per fragment", send: byteFragments([]byte(kosme), len(kosme)), want: []wsFrame{echoText(kosme)}},
		{id: "6.3.1", name: "invalid UTF-8 in one frame", send: [][]byte{textMsg(bad)}, close: CloseInvalidData},
		{id: "6.3.2", name: "invalid UTF-8, one byte per fragment, fail fast", send: byteFragments([]byte(bad), failAt([]byte(bad))),
			close: CloseInvalidData},
		{id: "6.4.1", name: "invalid code point in the 2nd of 3 fragments, fail fast", send: [][]byte{
			frag(false, OpText, []byte(kosme)), frag(false, OpContinuation, []byte("\xf4\x90\x80\x80"))}, close: CloseInvalidData},
		{id: "6.4.2", name: "invalid byte alone in the 2nd of 3 fragments, fail fast", send: [][]byte{
			frag(false, OpText, []byte(kosme+"\xf4")), frag(false, OpContinuation, []byte("\x90"))}, close: CloseInvalidData},
		// One frame in three TCP chops: the engine validates a frame once
		// it is complete, so these fail at the 3rd chop (Autobahn's
		// "non-strict"); a frame is at most -max-message-size.
		{id: "6.4.3", name: "invalid code point, one frame in 3 chops", send: [][]byte{wf[:h], wf[h : h+4], wf[h+4:]},
			chop: chopFrame, close: CloseInvalidData},
		{id: "6.4.4", name: "invalid byte alone, one frame in 3 chops", send: [][]byte{wf[:h+1], wf[h+1 : h+2], wf[h+2:]},
			chop: chopFrame, close: CloseInvalidData},
	}
	for i, g := range utf8Groups() {
		for j, s := range g.seqs {
			id := fmt.Sprintf("6.%d.%d", i+5, j+1)
			cs = append(cs, sequenceCases(id, g.name, s.valid, []byte(s.s))...)
		}
	}
	return cs
}

// sequenceCases are the cases of one sequence of 6.5–6.23.
func sequenceCases(id, group string, valid bool, p []byte) []ccase {
	name := fmt.Sprintf("%s: % x", group, p[:min(len(p), 12)])
	if len(p) > 12 {
		name += fmt.Sprintf(" … (%d bytes)", len(p))
	}
	if utf8.Valid(p) != valid {
		panic(fmt.Sprintf("6.x table: %q labelled valid=%v", p, valid)) // a bad table, not a server fault
	}
	if valid {
		// Whole, one byte per fragment, split at every byte: all echoed
		// on one connection.
		send := append([][]byte{msg(OpText, p)}, byteFragments(p, len(p))...)
		want := []wsFrame{echo(OpText, p), echo(OpText, p)}
		for k := 1; k < len(p); k++ {
			send = append(send, frag(false, OpText, p[:k]), frag(true, OpContinuation, p[k:]))
			want = append(want, echo(OpText, p))
		}
		return []ccase{{id: id, name: name + " (valid; whole, bytewise, every split)", send: send, want: want}}
	}
	return []ccase{
		{id: id, name: name + " (invalid)", send: [][]byte{msg(OpText, p)}, close: CloseInvalidData},
		{id: id, name: name + " (invalid; bytewise and every split, fail fast)", close: CloseInvalidData,
			script: func(t *testing.T, c *wsClient) {
				c.trySend(cat(byteFragments(p, failAt(p))...))
				for k := 1; k < len(p); k++ {
					s := dialWS(t, c.nc.RemoteAddr(), "/")
					first := frag(false, OpText, p[:k])
					if completable(p[:k]) {
						first = cat(first, frag(true, OpContinuation, p[k:]))
					}
					s.trySend(first)
					if reason := s.closeHandshake(CloseInvalidData); reason == "" {
						t.Fatalf("split at %d: close without a reason", k)
					}
					_ = s.nc.Close()
				}
			}},
	}
}

// byteFragments returns the first n bytes of p as one-byte text fragments,
// the last one final only when n is all of p.
func byteFragments(p []byte, n int) [][]byte {
	out := make([][]byte, 0, n)
	for i := range n {
		op := OpContinuation
		if i == 0 {
			op = OpText
		}
		out = append(out, frag(i == len(p)-1, op, p[i:i+1]))
	}
	return out
}

// failAt returns how many bytes of p a server must see before it knows p
// is not valid UTF-8: the shortest prefix nothing can complete, or all of p.
func failAt(p []byte) int {
	for k := 1; k <= len(p); k++ {
		if !completable(p[:k]) {
			return k
		}
	}
	return len(p)
}

// frameOf is a masked FIN frame of op carrying s.
func frameOf(op OpCode, s string) []byte { return msg(op, []byte(s)) }

// utf8Group is one of Autobahn's groups 6.5–6.23.
type utf8Group struct {
	name string
	seqs []utf8Seq
}

// utf8Seq is a sequence and whether Kuhn's file calls it valid.
type utf8Seq struct {
	s     string
	valid bool
}

func okSeqs(ss ...string) []utf8Seq  { return labelled(true, ss) }
func badSeqs(ss ...string) []utf8Seq { return labelled(false, ss) }

func labelled(ok bool, ss []string) []utf8Seq {
	out := make([]utf8Seq, len(ss))
	for i, s := range ss {
		out[i] = utf8Seq{s: s, valid: ok}
	}
	return out
}

// utf8Groups are the sequences of Kuhn's UTF-8-test.txt, in Autobahn's
// order.
func utf8Groups() []utf8Group {
	// κόσμε's prefixes are valid where they end on a code point.
	var prefixes []utf8Seq
	for i := 1; i <= len(kosme); i++ {
		prefixes = append(prefixes, utf8Seq{s: kosme[:i], valid: i == 2 || i == 5 || i == 7 || i == 9 || i == 11})
	}
	var conts []byte
	for b := byte(0x80); b < 0xBF; b++ {
		conts = append(conts, b)
	}
	lonely := func(lo, hi byte) string {
		var s []byte
		for b := lo; b < hi; b++ {
			s = append(s, b, ' ')
		}
		return string(s)
	}
	missing := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	var paired []string
	for _, hi := range []string{"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf"} {
		for _, lo := range []string{"\xed\xb0\x80", "\xed\xbf\xbf"} {
			paired = append(paired, hi+lo)
		}
	}
	nonchars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, z1 := range []byte{0xF0, 0xF1, 0xF2, 0xF3, 0xF4} {
		for _, z2 := range []byte{0x8F, 0x9F, 0xAF, 0xBF} {
			if z1 == 0xF0 && z2 == 0x8F || z1 == 0xF4 && z2 != 0x8F {
				continue // overlong, or above U+10FFFF
			}
			for _, z3 := range []byte{0xBE, 0xBF} {
				nonchars = append(nonchars, string([]byte{z1, z2, 0xBF, z3}))
			}
		}
	}
	return []utf8Group{
		{"valid sequences", okSeqs("hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", kosme)},
		{"prefixes of κόσμε", prefixes},
		{"first sequence of each length", okSeqs("\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80")},
		{"first 5 and 6-byte sequences", badSeqs("\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80")},
		{"last sequence of each length", okSeqs("\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf")},
		{"last 4, 5 and 6-byte sequences", badSeqs("\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf")},
		{"other boundaries", append(okSeqs("\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"), badSeqs("\xf4\x90\x80\x80")...)},
		{"unexpected continuation bytes", badSeqs("\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf",
			"\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", string(conts))},
		{"lonely start bytes", badSeqs(lonely(0xC0, 0xDF), lonely(0xE0, 0xEF), lonely(0xF0, 0xF7), lonely(0xF8, 0xFB), lonely(0xFC, 0xFD))},
		{"last continuation byte missing", badSeqs(missing...)},
		{"concatenated incomplete sequences", badSeqs(strings.Join(missing, ""))},
		{"impossible bytes", badSeqs("\xfe", "\xff", "\xfe\xfe\xff\xff")},
		{"overlong ASCII", badSeqs("\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf")},
		{"maximum overlong sequences", badSeqs("\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf")},
		{"overlong NUL", badSeqs("\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80")},
		{"single UTF-16 surrogates", badSeqs("\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80",
			"\xed\xbe\x80", "\xed\xbf\xbf")},
		{"paired UTF-16 surrogates", badSeqs(paired...)},
		{"non-characters", okSeqs(nonchars...)},
		{"specials", okSeqs("\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf")},
	}
}
