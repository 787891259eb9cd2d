package dialog

import (
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/i18n"
)

// ChoiceLabel is a choice value in the reader's language ("gedeeld" for shared), from
// "choice.VALUE"; the value itself when the catalog has none. (The command's own
// labels and usage line are methods of chat.Command, which CommandSpec is.)
func ChoiceLabel(L *i18n.Localizer, value string) string { return chat.ChoiceLabel(L, value) }
