package checkin

import (
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

func runeCount(s string) int { return utf8.RuneCountInString(s) }

// clip shortens s to at most n runes, marking the cut with an ellipsis.
func clip(s string, n int) string {
	if runeCount(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
