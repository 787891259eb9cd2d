// Package inbox is where typed text goes that no open conversation expects: a pupil who
// writes "ik word gepest" after the check-in ended, or addresses Kring in the class
// channel. Nothing is thrown away: the text is checked for safeguarding phrases at once,
// and the pupil chooses what happens to it (send it to their mentor, ask it as a
// question, or keep it to themselves). Whoever gets it is named truthfully; when the
// mentor cannot be reached, the next person in line (care contact, then admin) does.
package inbox

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
)

// Name is the dialog's name; register it as the Engine's Inbox.
const Name = "inbox"

// MaxKept is the most text the inbox keeps for a pupil's choice; longer texts are cut
// with a note (the Engine already refused anything above its own limit).
const MaxKept = 4000

// Dialog is the inbox. Its only state is the school's compiled safeguarding phrases.
type Dialog struct {
	guard safeguard.Cache
	// Questions, if set, takes the text when the pupil says "it's a question": it becomes
	// a question to the right teacher. Without it the text goes to the mentor.
	Questions dialog.Asker
}

// New returns the inbox dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog: the inbox has none.
func (*Dialog) Commands() []dialog.CommandSpec { return nil }

type state struct {
	Texts []string `json:"texts"`
}

// Step implements dialog.Dialog.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	var st state
	if len(in.State) > 0 {
		if err := json.Unmarshal(in.State, &st); err != nil {
			st = state{}
		}
	}
	switch in.Kind {
	case dialog.Text:
		return d.text(in, st)
	case dialog.Choice:
		return d.choice(in, st)
	}
	return dialog.Result{}, nil
}

func me(in dialog.Input, key string, kv ...any) chat.Message {
	return chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: in.Person.ID}, Text: in.L.T(key, kv...)}
}

func (d *Dialog) text(in dialog.Input, st state) (dialog.Result, error) {
	text := strings.TrimSpace(in.Text)
	var res dialog.Result
	if text == "" {
		return res, nil
	}
	if !in.Person.Has(config.Pupil) {
		res.Messages = append(res.Messages, me(in, "inbox.staff"))
		return res, nil
	}
	matcher, err := d.guard.For(in.School)
	if err != nil {
		return res, fmt.Errorf("inbox: safeguarding phrases: %w", err)
	}
	msgs, effects, alerted := safeguard.Check(matcher, &in, text, safeguard.WhereStray)
	res.Messages = append(res.Messages, msgs...)
	res.Effects = append(res.Effects, effects...)
	if in.Channel {
		// Said in the class channel: answer only the pupil, and invite them to a DM.
		m := me(in, "inbox.channel")
		m.Ephemeral = true
		res.Messages = append(res.Messages, m)
		return res, nil
	}
	if alerted {
		// The words already went to the mentor and the care contacts, and the pupil was
		// told so: offering "keep it to myself" now would not be true.
		return res, nil
	}
	if len([]rune(text)) > MaxKept {
		text = string([]rune(text)[:MaxKept])
	}
	st.Texts = append(st.Texts, text)
	// Keep the last few: a pupil who types several lines before choosing loses none.
	if len(st.Texts) > 5 {
		st.Texts = st.Texts[len(st.Texts)-5:]
	}
	doc, err := json.Marshal(st)
	if err != nil {
		return res, fmt.Errorf("encode inbox state: %w", err)
	}
	res.State = doc
	m := me(in, "inbox.offer")
	m.Choices = []chat.Choice{
		{Action: Name + ".mentor", Value: "1", Label: in.L.T("inbox.choice.mentor"), Style: "primary"},
		{Action: Name + ".ask", Value: "1", Label: in.L.T("inbox.choice.ask")},
		{Action: Name + ".keep", Value: "1", Label: in.L.T("inbox.choice.keep")},
	}
	res.Messages = append(res.Messages, m)
	return res, nil
}

func (d *Dialog) choice(in dialog.Input, st state) (dialog.Result, error) {
	var res dialog.Result
	if len(st.Texts) == 0 {
		res.Messages = append(res.Messages, me(in, "inbox.gone"))
		return res, nil
	}
	text := strings.Join(st.Texts, "\n")
	res.Clear = true
	switch in.Action {
	case Name + ".keep":
		res.Messages = append(res.Messages, me(in, "inbox.kept"))
		return res, nil
	case Name + ".ask":
		if d.Questions != nil {
			q := d.Questions.TakeQuestion(in, text, "inbox")
			res.Messages = append(res.Messages, q.Messages...)
			res.Effects = append(res.Effects, q.Effects...)
			return res, nil
		}
		res.Effects = append(res.Effects, dialog.SaveHelp(record.HelpRequest{
			ID: in.Person.ID + "-" + in.Now.UTC().Format("20060102T150405"), Person: in.Person.ID,
			Class: in.Person.Class(), Text: text, Source: "inbox", Created: in.Now, State: "open",
		}))
	case Name + ".mentor":
	default:
		res.Clear = false
		res.Messages = append(res.Messages, me(in, "inbox.gone"))
		return res, nil
	}
	key := "inbox.relay"
	if in.Action == Name+".ask" {
		key = "inbox.relay_question"
	}
	to, skipped := NextInLine(in, in.Person)
	if to == nil {
		res.Messages = append(res.Messages, me(in, "inbox.nobody"))
		return res, nil
	}
	L := in.For(to.ID)
	body := L.T(key, "Name", chat.Literal(in.Person.Name), "Class", chat.Literal(in.Person.Class()), "Text", chat.Literal(text))
	if len(skipped) > 0 {
		body += "\n" + L.T("inbox.skipped", "Names", chat.Literal(strings.Join(skipped, ", ")))
	}
	res.Messages = append(res.Messages,
		chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: to.ID}, Text: body, Staff: true},
		me(in, "inbox.sent", "Name", chat.Literal(to.Name)))
	return res, nil
}

// NextInLine is who gets a pupil's words meant for their mentor: the mentor when Kring
// can reach them, else the school's care contacts, else its admins; with the names of
// those skipped because they cannot be reached. Nil when nobody can be reached.
func NextInLine(in dialog.Input, pupil *config.Person) (*config.Person, []string) {
	var line []*config.Person
	if m, ok := in.School.Person(pupil.Mentor); ok {
		line = append(line, m)
	}
	for _, r := range []config.Role{config.Care, config.Admin} {
		for _, p := range in.School.People {
			if p.Has(r) && p.ID != pupil.ID {
				line = append(line, p)
			}
		}
	}
	var skipped []string
	for _, p := range line {
		if in.CanReach(p.ID) {
			return p, skipped
		}
		skipped = append(skipped, p.Name)
	}
	return nil, skipped
}
