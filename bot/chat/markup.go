package chat

import "strings"

// Kring markup is deliberately tiny so every adapter can render it safely:
//
//   - catalog text may use *bold* and line breaks, nothing else;
//   - anything a person wrote is wrapped with Literal, so the adapter escapes it for its
//     platform and it can never become a mention, a channel link or markup.
//
// The wrapping uses two Unicode private-use characters that Literal strips from the
// person's text first, so a pupil cannot forge or close a literal span.
const (
	litOpen  = '\uE000'
	litClose = '\uE001'
)

// Literal marks person-written text for escaping by the adapter that renders it.
func Literal(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == litOpen || r == litClose {
			return -1
		}
		return r
	}, s)
	return string(litOpen) + s + string(litClose)
}

// Segment is one piece of a message text: trusted markup or a person's literal text.
type Segment struct {
	Text    string
	Literal bool
}

// Segments splits Kring markup into trusted and literal pieces, in order.
func Segments(text string) []Segment {
	var out []Segment
	for text != "" {
		i := strings.IndexRune(text, litOpen)
		if i < 0 {
			out = append(out, Segment{Text: text})
			break
		}
		if i > 0 {
			out = append(out, Segment{Text: text[:i]})
		}
		text = text[i+len(string(litOpen)):]
		j := strings.IndexRune(text, litClose)
		if j < 0 {
			out = append(out, Segment{Text: text, Literal: true})
			break
		}
		out = append(out, Segment{Text: text[:j], Literal: true})
		text = text[j+len(string(litClose)):]
	}
	return out
}

// Render turns Kring markup into a platform's text: bold renders trusted *bold* spans
// (given the inner text), escape neutralises a person's literal text.
func Render(text string, bold func(string) string, escape func(string) string) string {
	var b strings.Builder
	for _, s := range Segments(text) {
		if s.Literal {
			b.WriteString(escape(s.Text))
			continue
		}
		b.WriteString(renderBold(s.Text, bold))
	}
	return b.String()
}

func renderBold(s string, bold func(string) string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '*')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i+1:], '*')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(bold(s[i+1 : i+1+j]))
		s = s[i+2+j:]
	}
}

// Plain renders Kring markup as plain text: bold markers dropped, literals verbatim.
// The terminal adapter and logs use it.
func Plain(text string) string {
	return Render(text, func(s string) string { return s }, func(s string) string { return s })
}
