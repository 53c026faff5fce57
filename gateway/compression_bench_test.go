package gateway

import (
	"bytes"
	"compress/flate"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/imgate/gateway/engine/wsframe"
	"github.com/imgate/gateway/protocol"
)

// benchProse is the chat prose of bench -text en|zh (bench/prose).
func benchProse(b *testing.B, lang string) string {
	p, err := os.ReadFile("../bench/prose/" + lang + ".txt")
	if err != nil {
		b.Fatal(err)
	}
	return strings.TrimSpace(string(p))
}

// benchMessage is a 3001 MESSAGE frame whose content is {"text": …} with n
// bytes of prose (whole runes).
func benchMessage(prose string, n int) []byte {
	var text []byte
	for i := 0; len(text) < n; {
		r, size := utf8.DecodeRuneInString(prose[i:])
		text = utf8.AppendRune(text, r)
		i = (i + size) % len(prose)
	}
	content := append(append([]byte(`{"text":"`), text...), `"}`...)
	return messageFrame(&protocol.Message{MsgID: "m_5f3a9c0e1b2d4f6a_1842", FromUID: "user-48213", FromDevice: "ios-7f3e",
		ToUID: "user-91027", Content: content, ClientMsgID: "c-1733312345678-42", TS: time.Now().UnixMilli()})
}

// BenchmarkMessageDeflate: the bytes of a 3001 MESSAGE on the wire, plain
// and compressed (wsframe: klauspost/compress level 1, no context
// takeover), and the CPU of compressing it once; the "std-" rows compress
// with the standard library's compress/flate for comparison.
//
//	go test -run '^$' -bench MessageDeflate -benchtime 20000x ./gateway/
func BenchmarkMessageDeflate(b *testing.B) {
	for _, lang := range []struct{ name, prose string }{{"en", benchProse(b, "en")}, {"zh", benchProse(b, "zh")}} {
		for _, n := range []int{50, 300, 2000} {
			plain := wsframe.New(benchMessage(lang.prose, n))
			z := plain.Deflated()
			if z == nil {
				z = plain.Plain()
			}
			b.Run(fmt.Sprintf("%s/%dB/wsframe", lang.name, n), func(b *testing.B) {
				p := plain.Plain()[plain.PlainHeaderLen():]
				buf := make([]byte, 0, len(p)+64)
				for b.Loop() {
					buf = wsframe.Compress(buf[:0], p)
				}
				b.ReportMetric(float64(len(plain.Plain())), "plain-B")
				b.ReportMetric(float64(len(z)), "wire-B")
			})
			for _, lv := range []struct {
				name  string
				level int
			}{{"std-bestspeed", flate.BestSpeed}, {"std-default", flate.DefaultCompression}} {
				b.Run(fmt.Sprintf("%s/%dB/%s", lang.name, n, lv.name), func(b *testing.B) {
					p := plain.Plain()[plain.PlainHeaderLen():]
					var out bytes.Buffer
					w, _ := flate.NewWriter(&out, lv.level)
					for b.Loop() {
						out.Reset()
						w.Reset(&out)
						_, _ = w.Write(p)
						_ = w.Flush()
					}
					n := out.Len() - 4 // without the 00 00 ff ff tail
					b.ReportMetric(float64(len(plain.Plain())), "plain-B")
					b.ReportMetric(float64(n+2+2*btoi(n >= 126)), "wire-B")
				})
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
