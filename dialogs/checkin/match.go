package checkin

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/kring-school/kring/bot/chat"
)

// normalize reduces typed text to lowercase letters and digits without accents, so
// "Niet zo goed!", "niet zo goed", "OKE" and the labels "🙁 Niet zo goed" and "Oké"
// compare equal.
func normalize(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// Split é into e and its accent, which is then dropped as not a letter.
			s = norm.NFD.String(s)
			break
		}
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// sameWord reports whether two words are equal but for case, accents and punctuation.
func sameWord(a, b string) bool {
	n := normalize(a)
	return n != "" && n == normalize(b)
}

// symbols keeps only the emoji and other symbols of s, without the invisible
// variation selectors and joiners that keyboards add or leave out ("✏️" and "✏").
func symbols(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSymbol(r) && !(r >= 0x1F3FB && r <= 0x1F3FF) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bareNumber reads text that is only a small number ("1", " 2. "), as typed to answer
// a numbered question.
func bareNumber(text string) (int, bool) {
	s := strings.TrimRight(strings.TrimSpace(text), ".)")
	if len(s) == 0 || len(s) > 2 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// matchChoice maps typed text to one of the offered choices: its label, or where the
// step has only buttons (byValue) also its value or its number in the list, as a
// platform without buttons shows them. A text step matches labels only, so a pupil
// who writes "away" about their mind is not marked absent.
func matchChoice(text string, choices []chat.Choice, byValue bool) (string, bool) {
	n := normalize(text)
	if n == "" {
		// Only symbols: the emoji of one button ("😄" for "😄 Super").
		sym := symbols(text)
		if sym == "" {
			return "", false
		}
		found := ""
		for _, c := range choices {
			if symbols(c.Label) == sym {
				if found != "" {
					return "", false // two buttons share it: ask rather than guess
				}
				found = c.Value
			}
		}
		return found, found != ""
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
