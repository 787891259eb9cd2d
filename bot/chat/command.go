package chat

import (
	"strings"

	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
)

// OptionKind is the type of a command option.
type OptionKind string

// The option kinds.
const (
	// OptText is free text; the last text option of a command takes the rest of the line.
	OptText OptionKind = "text"
	// OptPerson names a roster person (roster id, name, or a platform mention).
	OptPerson OptionKind = "person"
	// OptChoice is one of Choices.
	OptChoice OptionKind = "choice"
	// OptClass names a class id.
	OptClass OptionKind = "class"
	// OptWord is one word given by name ("at:13:45"), checked by the dialog.
	OptWord OptionKind = "word"
)

// Command declares a command. Dialogs declare them (as dialog.CommandSpec), adapters
// register them on their platform; its texts come from the catalogs: "cmd.NAME.name"
// (localised name), "cmd.NAME.desc", "cmd.NAME.opt.OPTION" (option description).
type Command struct {
	// Name is the canonical lowercase English name, e.g. "checkin".
	Name string
	// Roles may use the command; empty means every enrolled person.
	Roles   []config.Role
	Options []CommandOption
}

// CommandOption declares one command option.
type CommandOption struct {
	Name     string
	Kind     OptionKind
	Required bool
	Choices  []string
}

// Allowed reports whether p may use the command.
func (c Command) Allowed(p *config.Person) bool {
	if len(c.Roles) == 0 {
		return true
	}
	for _, r := range c.Roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// Label is the command's name in the reader's language, without the slash ("dagplan").
func (c Command) Label(L *i18n.Localizer) string { return L.T("cmd." + c.Name + ".name") }

// OptionLabel is option o's name in the reader's language ("klas" for class), from
// "cmd.NAME.arg.OPTION"; the canonical name when the catalog has none.
func (c Command) OptionLabel(L *i18n.Localizer, o CommandOption) string {
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
func (c Command) Usage(L *i18n.Localizer) string {
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
