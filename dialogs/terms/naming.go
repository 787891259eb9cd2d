package terms

import (
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/prompt"
	"github.com/kring-school/kring/dialogs/internal/talk"
)

// Naming is a term a teacher is saving from a pupil's words (an answer, an argument, a
// question) with one press: the words become the explanation, and the teacher is asked
// only for the word it explains. The calling dialog keeps it in its own state while
// it waits, and finishes with Finish.
type Naming struct {
	Class  string `json:"class"`
	Source string `json:"source"`
	From   string `json:"from"`
	Text   string `json:"text"`
	// Proposer is the pupil whose words they were.
	Proposer string `json:"proposer,omitempty"`
}

// Field ids of the naming form.
const (
	FieldWord = "word"
	FieldText = "text"
)

// AskWord asks the teacher which word the text explains: a form (word, and the
// explanation to change if they like) where the platform has forms, else a question
// answered by typing the word.
func AskWord(in dialog.Input, n Naming, formAction string) chat.Message {
	L := in.L
	f := chat.Form{Action: formAction, Title: L.T("terms.name_title"), Open: L.T("terms.name_open"), Submit: L.T("terms.name_submit"),
		Fields: []chat.Field{
			{ID: FieldWord, Label: L.T("terms.name_word"), Required: true, MaxLen: MaxWord},
			{ID: FieldText, Label: L.T("terms.name_text"), Multiline: true, MaxLen: MaxText},
		}}
	return prompt.Form(in.Person.ID, L.T("terms.name_ask", "Text", chat.Literal(n.Text)), f, in.Caps)
}

// Finish saves n under word (with text as the explanation when the teacher gave one).
// It returns the effect, or the catalog key and arguments of the problem to tell.
func Finish(in dialog.Input, n Naming, word, text string) (dialog.Effect, string, []any) {
	if text == "" {
		text = n.Text
	}
	if len([]rune(text)) > MaxText {
		text = string([]rune(text)[:MaxText])
	}
	if key, kv := Check(word, text); key != "" {
		return nil, key, kv
	}
	t := Term{Word: word, Text: text, Source: n.Source, From: n.From, Date: in.Today.String(), By: in.Person.ID, Proposer: n.Proposer}
	return Save(n.Class, t), "terms.saved", []any{"Word", chat.Literal(word)}
}

// Begin asks the teacher in t for the word of n (see AskWord) and labels the waiting
// conversation; the caller keeps the returned naming in its state until Complete.
func Begin(t *talk.Turn, n Naming, formAction string) *Naming {
	t.Send(AskWord(t.In, n, formAction))
	t.Res.Topic = t.In.L.T("terms.topic_naming")
	return &n
}

// Complete finishes naming n with the teacher's word (and explanation, if given) in t:
// the term is saved and the teacher told, or told what is wrong and asked again. It
// reports whether the naming is over.
func Complete(t *talk.Turn, n *Naming, word, text string) bool {
	if n == nil {
		t.Say("terms.naming_gone")
		return true
	}
	ef, key, kv := Finish(t.In, *n, strings.TrimSpace(word), strings.TrimSpace(text))
	t.Say(key, kv...)
	if ef == nil {
		return false
	}
	t.Effect(ef)
	return true
}
