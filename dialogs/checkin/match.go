package checkin

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kring-school/kring/bot/chat"
)

// normalize reduces typed text to lowercase letters and digits, so "Niet zo goed!",
// "niet zo goed" and the label "🙁 Niet zo goed" compare equal.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// matchChoice maps typed text to one of the offered choices: its label, or where the
// step has only buttons (byValue) also its value or its number in the list, as a
// platform without buttons shows them. A text step matches labels only, so a pupil
// who writes "away" about their mind is not marked absent.
func matchChoice(text string, choices []chat.Choice, byValue bool) (string, bool) {
	n := normalize(text)
	if n == "" {
		return "", false
	}
	if byValue {
		if k, err := strconv.Atoi(strings.TrimSpace(text)); err == nil && k >= 1 && k <= len(choices) {
			return choices[k-1].Value, true
		}
	}
	for _, c := range choices {
		if normalize(c.Label) == n || (byValue && normalize(c.Value) == n) {
			return c.Value, true
		}
	}
	return "", false
}

// inWords reports whether s is one of the comma-separated words or phrases of list.
func inWords(s, list string) bool {
	n := normalize(s)
	if n == "" {
		return false
	}
	for _, w := range strings.Split(list, ",") {
		if normalize(w) == n {
			return true
		}
	}
	return false
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }

// clip shortens s to at most n runes, marking the cut with an ellipsis.
func clip(s string, n int) string {
	if runeCount(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
