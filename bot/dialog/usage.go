package dialog

import (
	"strings"

	"github.com/kring-school/kring/bot/i18n"
)

// Label is the command's name in the reader's language, without the slash ("dagplan").
func (c CommandSpec) Label(L *i18n.Localizer) string { return L.T("cmd." + c.Name + ".name") }

// OptionLabel is option o's name in the reader's language ("klas" for class), from
// "cmd.NAME.arg.OPTION"; the canonical name when the catalog has none.
func (c CommandSpec) OptionLabel(L *i18n.Localizer, o OptionSpec) string {
	if s := L.T("cmd." + c.Name + ".arg." + o.Name); !strings.HasPrefix(s, "[") {
		return s
	}
	return o.Name
}

// ChoiceLabel is a choice value in the reader's language ("gedeeld" for shared), from
// "choice.VALUE"; the value itself when the catalog has none.
func ChoiceLabel(L *i18n.Localizer, value string) string {
	if s := L.T("choice." + value); !strings.HasPrefix(s, "[") {
		return s
	}
	return value
}

// Usage renders "/name <option> [option]" in the reader's language: the localised
// command name, option names and choice words ("/niveau <leerling> <docent|gedeeld|zelf>").
func (c CommandSpec) Usage(L *i18n.Localizer) string {
	var b strings.Builder
	b.WriteString("/" + c.Label(L))
	for _, o := range c.Options {
		name := c.OptionLabel(L, o)
		if o.Kind == OptChoice {
			words := make([]string, len(o.Choices))
			for i, v := range o.Choices {
				words[i] = ChoiceLabel(L, v)
			}
			name = strings.Join(words, "|")
		}
		if o.Required {
			b.WriteString(" <" + name + ">")
		} else {
			b.WriteString(" [" + name + "]")
		}
	}
	return b.String()
}
