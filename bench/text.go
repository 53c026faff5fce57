package bench

import (
	_ "embed"
	"strings"
	"unicode/utf8"
)

// Chat content fillers (Config.Text).
const (
	TextX       = "x"  // 'x' repeated: compresses to almost nothing
	TextEnglish = "en" // English chat prose
	TextChinese = "zh" // Chinese chat prose
)

// Running prose for the fillers (prose/*.txt, chat-like sentences with no
// character JSON would escape, about 2.5 KB each so that a 2 KB message does
// not repeat itself). A message takes a slice starting at an offset that
// depends on its seq, so that consecutive messages differ.
var (
	//go:embed prose/en.txt
	proseEnglishFile string
	//go:embed prose/zh.txt
	proseChineseFile string

	proseEnglish = strings.TrimSpace(proseEnglishFile)
	proseChinese = strings.TrimSpace(proseChineseFile)
)

// appendFiller appends at least n bytes of filler of kind text (whole
// runes) to b; seq varies the starting point.
func appendFiller(b []byte, text string, n int, seq int64) []byte {
	var prose string
	switch text {
	case TextEnglish:
		prose = proseEnglish
	case TextChinese:
		prose = proseChinese
	default:
		for range n {
			b = append(b, 'x')
		}
		return b
	}
	i := int(seq*97) % len(prose)
	for i > 0 && !utf8.RuneStart(prose[i]) {
		i--
	}
	for end := len(b) + n; len(b) < end; {
		r, size := utf8.DecodeRuneInString(prose[i:])
		b = utf8.AppendRune(b, r)
		if i += size; i == len(prose) {
			i = 0
		}
	}
	return b
}
