// Package i18ntest finds words of the wrong language in a rendered text, for tests that
// prove every word a person sees is in their language: a Dutch text must not hold
// "level", "choose" or "/help", an English one not "kies", "klas" or "/hulp".
package i18ntest

import (
	"strings"
	"unicode"
)

// foreign are words that give a text away as the other language. They are common enough
// to catch a forgotten string and absent from the reader's own language (no "is", "in",
// "of", "me", "type", "week" or "sorry", which both languages use).
var foreign = map[string][]string{
	// English words in a Dutch text.
	"nl": strings.Fields(`the and you your please choose choice level teacher shared self class pupil
		usage help with option command only what can today goal mood yes thanks from this that
		have has will answer question day mentee care coordinator admin administrator away
		plan's try again saved done hi hello here there who when where why which would should
		could not nothing something write`),
	// Dutch words in an English text.
	"en": strings.Fields(`de het een niet je jij jouw kies leerling docent gedeeld zelf klas gebruik
		hulp typ alsjeblieft niveau dagplan incheck afwezig vandaag doel ik wat voor van zijn bij
		naar heb hebt taal keuze nee ja welkom bijvoorbeeld mentorleerling zorgcoördinator beheerder
		antwoord vraag dank hoi geen alleen nog ook`),
}

// Foreign returns the words of text that belong to the other language than lang, and
// every "/command" that is not one of commands (the command names in lang, without the
// slash). Words inside a chat.Literal span (a person's own text) are not looked at;
// ":word" tokens (terminal commands), "--flag" names of the kring command (--class,
// --help: the same in both languages) and NAMES_IN_CAPS are not words.
func Foreign(lang, text string, commands map[string]bool) []string {
	bad := map[string]bool{}
	for _, w := range foreign[lang] {
		bad[w] = true
	}
	var out []string
	for _, tok := range tokens(dropLiterals(text)) {
		switch {
		case strings.HasPrefix(tok, "/"):
			name := strings.ToLower(strings.TrimPrefix(tok, "/"))
			if name != "" && !commands[name] {
				out = append(out, tok)
			}
		case strings.HasPrefix(tok, ":"), strings.HasPrefix(tok, "-"), strings.ContainsRune(tok, '_'), tok == strings.ToUpper(tok):
		case bad[strings.ToLower(tok)]:
			out = append(out, tok)
		}
	}
	return out
}

// dropLiterals removes chat.Literal spans (U+E000 … U+E001).
func dropLiterals(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '\uE000':
			in = true
		case r == '\uE001':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// tokens splits text into words: letters with inner hyphens and apostrophes ("check-in",
// "plan's") or underscores (a setting, policy.teachers_see_checkins, which Foreign
// skips), each with a leading "/", ":" or "-"/"--" (a flag) kept.
func tokens(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		w := cur.String()
		lead := len(w) - len(strings.TrimLeft(w, "-"))
		w = w[:lead] + strings.Trim(w[lead:], "-'")
		if strings.Trim(w, "-") != "" && w != "/" && w != ":" {
			out = append(out, w)
		}
		cur.Reset()
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' && cur.Len() > 0:
			cur.WriteRune(r)
		case (r == '-' || r == '\'') && cur.Len() > 0:
			cur.WriteRune(r)
		case (r == '/' || r == ':') && cur.Len() == 0:
			cur.WriteRune(r)
		case r == '-' && (cur.Len() == 0 || strings.Trim(cur.String(), "-") == ""):
			cur.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}
