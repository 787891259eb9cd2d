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

// tokens splits text into lowercase words.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// containsAlert reports whether text holds one of the alert words or phrases of any
// language, as whole words: "dood" matches "ik wil dood" but not "doodmoe".
func containsAlert(text string, words map[string][]string) bool {
	if len(words) == 0 {
		return false
	}
	toks := tokens(text)
	for _, list := range words {
		for _, phrase := range list {
			if p := tokens(phrase); len(p) > 0 && hasRun(toks, p) {
				return true
			}
		}
	}
	return false
}

// hasRun reports whether p occurs in toks as consecutive words.
func hasRun(toks, p []string) bool {
	for i := 0; i+len(p) <= len(toks); i++ {
		ok := true
		for j := range p {
			if toks[i+j] != p[j] {
				ok = false
				break
			}
		}
		if ok {
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
