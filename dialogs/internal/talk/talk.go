// Package talk holds what the class conversations (discussion prompts, debates, the word
// list) share: building one step's result, the class's own language for class posts,
// passing a pupil's worrying words to their mentor and the care contacts, and ids
// derived from the event so a retried step writes the same records.
package talk

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

// Turn collects one step's messages and effects.
type Turn struct {
	In  dialog.Input
	Res dialog.Result
}

// To sends text to person privately and returns the message for adding choices.
func (t *Turn) To(person, text string) *chat.Message {
	t.Res.Messages = append(t.Res.Messages, chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: person}, Text: text})
	return &t.Res.Messages[len(t.Res.Messages)-1]
}

// Say sends the acting person a catalog text in their language.
func (t *Turn) Say(key string, kv ...any) *chat.Message {
	return t.To(t.In.Person.ID, t.In.L.T(key, kv...))
}

// Send appends a finished message.
func (t *Turn) Send(m chat.Message) { t.Res.Messages = append(t.Res.Messages, m) }

// Effect appends an effect.
func (t *Turn) Effect(e ...dialog.Effect) { t.Res.Effects = append(t.Res.Effects, e...) }

// Post sends text to the class thread key (created with title on first use).
func (t *Turn) Post(class, key, title, text string, choices ...chat.Choice) {
	t.Res.Messages = append(t.Res.Messages, chat.Message{
		To:   chat.Target{Kind: chat.ToThread, Class: class, Thread: key, ThreadTitle: Shorten(title, 90)},
		Text: text, Choices: choices,
	})
}

// CheckAlerts checks a pupil's text for safeguarding phrases and, when one is found,
// tells the mentor and every care contact privately, in their language, with key
// (which gets Name, Class and Text). Staff texts are not checked.
func (t *Turn) CheckAlerts(text, key string) bool {
	if !t.In.Person.Has(config.Pupil) || len(t.In.AlertsIn(text)) == 0 {
		return false
	}
	seen := map[string]bool{}
	var to []string
	if m := t.In.Person.Mentor; m != "" {
		to, seen[m] = append(to, m), true
	}
	for _, p := range t.In.School.People {
		if p.Has(config.Care) && !seen[p.ID] {
			to, seen[p.ID] = append(to, p.ID), true
		}
	}
	for _, id := range to {
		L := t.In.For(id)
		m := t.To(id, L.T(key, "Name", chat.Literal(t.In.Person.Name), "Class", chat.Literal(t.In.Person.Class()), "Text", chat.Literal(text)))
		m.Staff = true
	}
	return true
}

// ClassL is the language of class c's own posts.
func ClassL(in dialog.Input, c *config.Class) *i18n.Localizer {
	if in.LocalizerFor == nil {
		return in.L
	}
	return in.LocalizerFor(config.ClassActor(c))
}

// ID derives a short record id from the event id: a retried step makes the same one.
func ID(event string) string {
	h := sha256.Sum256([]byte(event))
	return hex.EncodeToString(h[:5])
}

// Shorten cuts s to n runes with an ellipsis.
func Shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ClassFor picks the class a teacher's command is about: the named one, else their
// first class. ok is false when there is none.
func ClassFor(in dialog.Input, named string) (*config.Class, bool) {
	id := named
	if id == "" {
		id = in.Person.Class()
	}
	if id == "" {
		return nil, false
	}
	return in.School.Class(id)
}

// Words reports whether w is one of the words (compared case-insensitively).
func Words(w string, words ...string) bool {
	for _, x := range words {
		if x != "" && strings.EqualFold(w, x) {
			return true
		}
	}
	return false
}

// Chunks joins lines into texts of at most max runes each (a longer single line is a
// text of its own), so long lists fit the platforms' message limits.
func Chunks(lines []string, max int) []string {
	var out []string
	var b strings.Builder
	n := 0
	for _, l := range lines {
		ln := len([]rune(l))
		if n > 0 && n+1+ln > max {
			out = append(out, b.String())
			b.Reset()
			n = 0
		}
		if n > 0 {
			b.WriteByte('\n')
			n++
		}
		b.WriteString(l)
		n += ln
	}
	if n > 0 {
		out = append(out, b.String())
	}
	return out
}

// RecordID is the id of the record an event names, by the class dialogs' conventions:
// a button's value up to its first ':', a form action's third part ("NAME.form.ID",
// up to a ':'), a timer's payload after its kind ("close:ID"), or a thread key after
// "NAME:". It is "" when the event names none.
func RecordID(in dialog.Input, name string) string {
	switch in.Kind {
	case dialog.Choice:
		id, _, _ := strings.Cut(in.Value, ":")
		return id
	case dialog.Form:
		if parts := strings.SplitN(in.Action, ".", 3); len(parts) == 3 {
			id, _, _ := strings.Cut(parts[2], ":")
			return id
		}
	case dialog.Wake:
		_, id, _ := strings.Cut(in.Payload, ":")
		return id
	case dialog.Text:
		if in.Thread != "" {
			return strings.TrimPrefix(in.Thread, name+":")
		}
	}
	return ""
}
