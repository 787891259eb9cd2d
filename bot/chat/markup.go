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

// Render turns Kring markup into a platform's text: bold renders a trusted *bold* span
// (given its already rendered inside, which may hold escaped literals), escape
// neutralises a person's literal text. An unpaired '*' stays as it is.
func Render(text string, bold func(string) string, escape func(string) string) string {
	segs := Segments(text)
	// Count the markers in trusted text so a lone last '*' is not taken as an opening.
	stars := 0
	for _, s := range segs {
		if !s.Literal {
			stars += strings.Count(s.Text, "*")
		}
	}
	var out, inner strings.Builder
	open := false
	cur := &out
	for _, s := range segs {
		if s.Literal {
			cur.WriteString(escape(s.Text))
			continue
		}
		for _, r := range s.Text {
			if r != '*' {
				cur.WriteRune(r)
				continue
			}
			stars--
			switch {
			case open:
				out.WriteString(bold(inner.String()))
				inner.Reset()
				open, cur = false, &out
			case stars > 0:
				open, cur = true, &inner
			default:
				out.WriteRune('*')
			}
		}
	}
	if open {
		out.WriteString("*" + inner.String())
	}
	return out.String()
}

// Plain renders Kring markup as plain text: bold markers dropped, literals verbatim.
// The terminal adapter and logs use it.
func Plain(text string) string {
	return Render(text, func(s string) string { return s }, func(s string) string { return s })
}
