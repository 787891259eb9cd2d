// Package language is the /language command (Dutch /taal): a person chooses the
// language Kring writes to them in, whatever their class or the school file says. The
// choice is kept in their profile (field "locale"); the Engine reads it first when it
// picks a person's language.
package language

import (
	"fmt"
	"slices"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

// Name is the dialog's id and its command's canonical name.
const Name = "language"

// ProfileField is the profile field that holds a person's own choice of language.
const ProfileField = "locale"

// Dialog answers /language. It holds only the catalog, to confirm in the new language.
type Dialog struct {
	cat *i18n.Catalog
}

// New returns the language dialog.
func New(cat *i18n.Catalog) *Dialog { return &Dialog{cat: cat} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog: /language nl|en, for everyone on the roster.
func (*Dialog) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: Name, Options: []dialog.OptionSpec{
		{Name: "lang", Kind: dialog.OptChoice, Required: true, Choices: slices.Clone(i18n.Languages)},
	}}}
}

// Step stores the chosen language and confirms it in that language.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	if in.Person == nil || in.L == nil {
		return dialog.Result{}, fmt.Errorf("language: input without person or localizer")
	}
	if in.Kind != dialog.Command {
		return dialog.Result{}, nil
	}
	lang := in.Args["lang"]
	if !slices.Contains(i18n.Languages, lang) {
		// The Engine checks choices; a bad value here is a bug, not a person's mistake.
		return dialog.Result{}, fmt.Errorf("language: unsupported language %q", lang)
	}
	L := d.cat.For(lang)
	key := "language.saved"
	var effects []dialog.Effect
	if in.Profile[ProfileField] == lang {
		key = "language.same"
	} else {
		effects = append(effects, dialog.SetProfile{Person: in.Person.ID, Fields: map[string]string{ProfileField: lang}})
	}
	return dialog.Result{
		Effects: effects,
		Messages: []chat.Message{{
			To:   chat.Target{Kind: chat.ToPerson, Person: in.Person.ID},
			Text: L.T(key, "Language", L.T("choice."+lang), "Help", L.T("cmd.help.name"), "Command", L.T("cmd.language.name")),
		}},
	}, nil
}
