package checkin

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/prompt"
)

// The check-in asks through bot/prompt, like every dialog: these keep its call sites short.

func sameWord(a, b string) bool { return prompt.SameWord(a, b) }

func bareNumber(text string) (int, bool) { return prompt.BareNumber(text) }

func inWords(s, list string) bool { return prompt.InList(s, list) }

// matchChoice maps typed text to one of the offered choices: its label or emoji, or
// where the step has only buttons (byValue) also its value or its number in the list,
// as a platform without buttons shows them. A text step matches labels only, so a
// pupil who writes "away" about their mind is not marked absent.
func matchChoice(text string, choices []chat.Choice, byValue bool) (string, bool) {
	c, ok := prompt.Match(text, choices, prompt.By{Number: byValue, Value: byValue})
	return c.Value, ok
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
