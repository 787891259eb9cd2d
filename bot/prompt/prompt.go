// Package prompt holds the ways a dialog asks a person something, shared by every
// dialog so none copies another's matching: a free-text answer with a length limit and
// a re-ask, a choice matched by its number, its words (case, accents and punctuation
// ignored), its value or its button's emoji, and a form with a text fallback where the
// platform has no forms.
package prompt

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kring-school/kring/bot/chat"
	"golang.org/x/text/unicode/norm"
)

// Normalize reduces text to lowercase letters and digits without accents, so
// "Niet zo goed!", "niet zo goed" and the label "🙁 Niet zo goed" compare equal, and
// "é" matches "e".
func Normalize(s string) string {
	s = FoldAccents(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// FoldAccents drops accents ("é" becomes "e", "ï" "i"): the text decomposed (NFD)
// without its combining marks. Typed answers are matched many times a step, so plain
// ASCII, the common case, is returned as is, and no transform chain (which allocates
// kilobytes of buffers per call) is built.
func FoldAccents(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SameWord reports whether two words are equal but for case, accents and punctuation.
func SameWord(a, b string) bool {
	n := Normalize(a)
	return n != "" && n == Normalize(b)
}

// InList reports whether s is one of the comma-separated words or phrases of list
// (a catalog text such as "overslaan, niks, skip"), compared as by Normalize.
func InList(s, list string) bool {
	n := Normalize(s)
	if n == "" {
		return false
	}
	for _, w := range strings.Split(list, ",") {
		if Normalize(w) == n {
			return true
		}
	}
	return false
}

// BareNumber reads text that is only a small number ("1", " 2. "), as typed to answer
// a numbered question.
func BareNumber(text string) (int, bool) {
	s := strings.TrimRight(strings.TrimSpace(text), ".)")
	if len(s) == 0 || len(s) > 2 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// symbols keeps only the emoji and other symbols of s, without the invisible variation
// selectors and joiners keyboards add or leave out ("✏️" and "✏") and without skin
// tones, so "😄" typed matches the label "😄 Goed".
func symbols(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSymbol(r) && !(r >= 0x1F3FB && r <= 0x1F3FF) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// By says what a typed text may match besides a choice's words.
type By struct {
	// Number accepts "2" for the second choice (platforms without buttons show
	// choices numbered). Off for a question whose free answer may be a number.
	Number bool
	// Value accepts the choice's value ("5" for the mood button "😄 Great").
	Value bool
}

// Match maps typed text to one of choices: its number, its words, its value or its
// emoji, as by allows. Words and emoji always count.
func Match(text string, choices []chat.Choice, by By) (chat.Choice, bool) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return chat.Choice{}, false
	}
	if by.Number {
		if k, err := strconv.Atoi(trimmed); err == nil && k >= 1 && k <= len(choices) {
			return choices[k-1], true
		}
	}
	n := Normalize(trimmed)
	for _, c := range choices {
		if n != "" && (Normalize(c.Label) == n || (by.Value && Normalize(c.Value) == n)) {
			return c, true
		}
	}
	if n == "" {
		// Only symbols: the emoji of one button ("😄" for "😄 Super").
		sym := symbols(trimmed)
		if sym == "" {
			return chat.Choice{}, false
		}
		found := -1
		for i, c := range choices {
			if symbols(c.Label) == sym {
				if found >= 0 {
					return chat.Choice{}, false // two buttons share it: ask rather than guess
				}
				found = i
			}
		}
		if found >= 0 {
			return choices[found], true
		}
	}
	return chat.Choice{}, false
}

// LooksLikeNumber reports whether a free-text answer is just a number that could
// mean a choice of the question before (a pupil who typed "1" for "the first one").
func LooksLikeNumber(text string, choices []chat.Choice) (int, bool) {
	k, err := strconv.Atoi(strings.TrimSpace(text))
	return k, err == nil && k >= 1 && k <= len(choices)
}

// Problem says what is wrong with a free-text answer ("" for nothing).
type Problem string

// The free-text problems.
const (
	OK      Problem = ""
	Empty   Problem = "empty"
	TooLong Problem = "too_long"
)

// Text checks a free-text answer: trimmed, not empty, at most max characters (runes).
// It returns the trimmed text, the problem and the length.
func Text(s string, max int) (string, Problem, int) {
	t := strings.TrimSpace(s)
	n := len([]rune(t))
	switch {
	case n == 0:
		return "", Empty, 0
	case max > 0 && n > max:
		return t, TooLong, n
	}
	return t, OK, n
}

// Numbered renders choices as "1. label" lines, for a message where the platform has
// no buttons (or more choices than it can show).
func Numbered(choices []chat.Choice) string {
	var b strings.Builder
	for i, c := range choices {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i+1) + ". " + c.Label)
	}
	return b.String()
}

// Ask builds a question with choices for person: buttons where the platform has
// them, with the choices also listed by number where it does not (or where there are
// more than it can show), so typing the number or the words works everywhere.
func Ask(person, text string, choices []chat.Choice, caps chat.Capabilities) chat.Message {
	m := chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: person}, Text: text, Choices: choices}
	if !caps.Buttons || (caps.MaxButtons > 0 && len(choices) > caps.MaxButtons) {
		m.Text += "\n" + Numbered(choices)
	}
	return m
}

// Form builds a message that opens form f for person where the platform has forms;
// elsewhere it asks fallback as a plain question, and the answer comes back as text.
func Form(person, fallback string, f chat.Form, caps chat.Capabilities) chat.Message {
	m := chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: person}, Text: fallback}
	if caps.Forms {
		m.Form = &f
	}
	return m
}
