package roster

import (
	"fmt"

	"github.com/kring-school/kring/bot/i18n"
)

// Text is a sentence of an import for the operator: its catalog message (roster.*),
// the values it names, and its English, which String, Error and a report without a
// translator use. The English stays in the code as a format so tests and logs read it
// as before; the catalog says it in the operator's language.
type Text struct {
	Key string
	// Args is the template data of Key, name/value pairs (.V1, .V2 ..., see
	// i18n.Positional); a Text among them is rendered in the same language.
	Args    []any
	English string
}

func say(key, format string, args ...any) Text {
	return Text{Key: key, Args: i18n.Positional(format, args), English: fmt.Sprintf(format, args...)}
}

// String is the English sentence.
func (t Text) String() string { return t.English }

// In renders t with tr (an i18n Localizer's T), or in English when tr is nil.
func (t Text) In(tr func(key string, kv ...any) string) string {
	if tr == nil || t.Key == "" {
		return t.English
	}
	kv := make([]any, len(t.Args))
	for i, a := range t.Args {
		if s, ok := a.(Text); ok {
			a = s.In(tr)
		}
		kv[i] = a
	}
	return tr(t.Key, kv...)
}

// Error is a problem with a whole export (not one row): Text says it, Err is the
// lower layer's cause, if any.
type Error struct {
	Text Text
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Text.English + ": " + e.Err.Error()
	}
	return e.Text.English
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// In renders the error in the reader's language (see Text.In); the cause, technical
// and English, follows.
func (e *Error) In(tr func(key string, kv ...any) string) string {
	if e.Err != nil {
		return e.Text.In(tr) + ": " + e.Err.Error()
	}
	return e.Text.In(tr)
}
