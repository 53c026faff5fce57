package bench

import "unicode/utf8"

// Chat content fillers (Config.Text).
const (
	TextX       = "x"  // 'x' repeated: compresses to almost nothing
	TextEnglish = "en" // English chat prose
	TextChinese = "zh" // Chinese chat prose
)

// Running prose for the fillers: plain sentences with no character that
// JSON would escape. A message takes a slice starting at an offset that
// depends on its seq, so that consecutive messages differ.
const (
	proseEnglish = "Are you still at the office? I was thinking we could grab dinner near the station around seven. " +
		"The new ramen place opened last week and people say the broth is worth the queue. " +
		"If you are running late just send me a message and I will order for both of us. " +
		"Also, did you get a chance to look at the slides for Monday? Maria wants the budget numbers " +
		"moved to the front and the timeline shortened to three weeks, which sounds optimistic to me. " +
		"Let me know what you think before tomorrow morning so I can update the deck on the train. " +
		"By the way my brother lands on Friday at noon, so I will be offline for most of the afternoon. "
	proseChinese = "你还在公司吗？我想我们可以七点左右在车站附近吃晚饭。那家新开的拉面店上周开业了，" +
		"大家都说汤头值得排队。如果你会晚到，就给我发个消息，我先帮我们两个人点餐。" +
		"另外，你有没有时间看一下周一的幻灯片？玛丽亚希望把预算数字放到前面，" +
		"把时间表缩短到三周，我觉得有点乐观。明天早上之前告诉我你的想法，" +
		"这样我可以在火车上更新演示文稿。顺便说一下，我哥哥周五中午到，所以下午大部分时间我都不在线。"
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
