package inbox

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

func setup(t *testing.T) (*config.School, *i18n.Catalog) {
	t.Helper()
	s := &config.School{ID: "t", Locale: "nl", Classes: []*config.Class{{ID: "2B"}}, People: []*config.Person{
		{ID: "anna", Name: "Anna", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
		{ID: "devries", Name: "Dhr. de Vries", Roles: []config.Role{config.Mentor}, Locale: "en"},
		{ID: "mulder", Name: "Mw. Mulder", Roles: []config.Role{config.Care}},
		{ID: "admin", Name: "Beheer", Roles: []config.Role{config.Admin}},
	}}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s, cat
}

func input(s *config.School, cat *i18n.Catalog, id string, kind dialog.InputKind, reach map[string]bool) dialog.Input {
	p, _ := s.Person(id)
	return dialog.Input{Kind: kind, Now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), School: s, Person: p,
		L: cat.For(s.LocaleFor(p)), LocalizerFor: func(q *config.Person) *i18n.Localizer { return cat.For(s.LocaleFor(q)) },
		Reachable: func(id string) bool { return reach[id] },
		Alerts: func(text string) []string {
			if strings.Contains(text, "gepest") {
				return []string{"gepest"}
			}
			return nil
		}}
}

func TestUnexpectedTextIsOfferedAndReachesTheNextInLine(t *testing.T) {
	s, cat := setup(t)
	d := New()
	for _, tc := range []struct {
		name  string
		reach map[string]bool
		to    string
	}{
		{"mentor", map[string]bool{"devries": true, "mulder": true}, "devries"},
		{"care when the mentor is unreachable", map[string]bool{"mulder": true}, "mulder"},
		{"admin when nobody else is", map[string]bool{"admin": true}, "admin"},
		{"nobody", map[string]bool{}, ""},
	} {
		in := input(s, cat, "anna", dialog.Text, tc.reach)
		in.Text = "Ik heb een vraag over mijn rooster"
		res, err := d.Step(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) != 1 || len(res.Messages[0].Choices) != 3 || res.State == nil || res.Listen {
			t.Fatalf("%s: offer = %+v", tc.name, res)
		}
		in = input(s, cat, "anna", dialog.Choice, tc.reach)
		in.Action, in.State = Name+".mentor", res.State
		res, _ = d.Step(in)
		if !res.Clear {
			t.Errorf("%s: state kept after the choice", tc.name)
		}
		if tc.to == "" {
			if len(res.Messages) != 1 || res.Messages[0].Text != cat.For("nl").T("inbox.nobody") {
				t.Errorf("%s: pupil must be told nothing was passed on: %+v", tc.name, res.Messages)
			}
			continue
		}
		var relay, told chat.Message
		for _, m := range res.Messages {
			if m.To.Person == tc.to {
				relay = m
			}
			if m.To.Person == "anna" {
				told = m
			}
		}
		if !relay.Staff || !strings.Contains(relay.Text, "rooster") {
			t.Errorf("%s: relay = %+v", tc.name, relay)
		}
		p, _ := s.Person(tc.to)
		if !strings.Contains(told.Text, p.Name) {
			t.Errorf("%s: pupil told %q, want the name of %s", tc.name, told.Text, tc.to)
		}
		if tc.to != "devries" && !strings.Contains(relay.Text, "de Vries") {
			t.Errorf("%s: the relay should say the mentor could not be reached: %q", tc.name, relay.Text)
		}
	}
}

func TestInboxAlertsKeepsAndAsks(t *testing.T) {
	s, cat := setup(t)
	d := New()
	all := map[string]bool{"devries": true, "mulder": true, "admin": true}
	in := input(s, cat, "anna", dialog.Text, all)
	in.Text = "ik word gepest"
	res, _ := d.Step(in)
	var staff []string
	for _, m := range res.Messages {
		if m.Staff {
			staff = append(staff, m.To.Person)
			if m.To.Person == "devries" && !strings.Contains(m.Text, "Safeguarding alert") {
				t.Errorf("mentor alert not in the mentor's language: %q", m.Text)
			}
		}
	}
	if strings.Join(staff, ",") != "devries,mulder" {
		t.Errorf("alerted %v, want mentor and care", staff)
	}
	// The pupil is told who hears about it and where to find help now, and is not offered
	// to keep it to themselves: it already went to mentor and care.
	if own := res.Messages[0]; own.Staff || !strings.Contains(own.Text, "0800-0432") || len(own.Choices) != 0 || res.State != nil || len(res.Messages) != 3 {
		t.Errorf("after an alert the pupil got %+v (state %s)", res.Messages, res.State)
	}
	// A second line is kept with the first; "keep it" sends nothing.
	in = input(s, cat, "anna", dialog.Text, all)
	in.Text = "ik heb een vraag"
	res, _ = d.Step(in)
	in = input(s, cat, "anna", dialog.Text, all)
	in.Text, in.State = "en ook in de les", res.State
	res, _ = d.Step(in)
	in = input(s, cat, "anna", dialog.Choice, all)
	in.Action, in.State = Name+".ask", res.State
	res, _ = d.Step(in)
	var saved *record.HelpRequest
	for _, ef := range res.Effects {
		if p, ok := ef.(dialog.Put); ok {
			h := p.Doc.(record.HelpRequest)
			saved = &h
		}
	}
	if saved == nil || !strings.Contains(saved.Text, "ik heb een vraag\nen ook in de les") || saved.Source != "inbox" {
		t.Errorf("question saved = %+v", saved)
	}
	in = input(s, cat, "anna", dialog.Choice, all)
	in.Action = Name + ".keep"
	res, _ = d.Step(in)
	if len(res.Messages) != 1 || res.Messages[0].Text != cat.For("nl").T("inbox.gone") {
		t.Errorf("a choice without kept text = %+v", res.Messages)
	}
	// In the class channel: only the pupil sees the answer.
	in = input(s, cat, "anna", dialog.Text, all)
	in.Text, in.Channel = "hallo kring", true
	res, _ = d.Step(in)
	if len(res.Messages) != 1 || !res.Messages[0].Ephemeral || res.State != nil {
		t.Errorf("channel mention = %+v", res)
	}
	// Worrying words in the class channel alert just the same; only the pupil is answered.
	in = input(s, cat, "anna", dialog.Text, all)
	in.Text, in.Channel = "@kring ik word gepest", true
	res, _ = d.Step(in)
	staff = nil
	for _, m := range res.Messages {
		if m.Staff {
			staff = append(staff, m.To.Person)
		} else if m.To.Person != "anna" {
			t.Errorf("channel alert answered %s", m.To.Person)
		}
	}
	if strings.Join(staff, ",") != "devries,mulder" || res.State != nil {
		t.Errorf("channel alert: staff %v, state %s", staff, res.State)
	}
}

// asker records what the inbox hands over as a question.
type asker struct{ text, source string }

func (a *asker) TakeQuestion(in dialog.Input, text, source string) dialog.Result {
	a.text, a.source = text, source
	return dialog.Result{Messages: []chat.Message{{To: chat.Target{Kind: chat.ToPerson, Person: in.Person.ID}, Text: "which subject?"}}}
}

func TestItsAQuestionStartsTheQuestionsDialog(t *testing.T) {
	s, cat := setup(t)
	a := &asker{}
	d := New()
	d.Questions = a
	reach := map[string]bool{"devries": true}
	in := input(s, cat, "anna", dialog.Text, reach)
	in.Text = "Hoe werkt de stelling van Pythagoras?"
	res, err := d.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	in = input(s, cat, "anna", dialog.Choice, reach)
	in.State, in.Action, in.Value = res.State, Name+".ask", "1"
	res, err = d.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	if a.text != "Hoe werkt de stelling van Pythagoras?" || a.source != "inbox" {
		t.Fatalf("handed over %q from %q", a.text, a.source)
	}
	if !res.Clear || len(res.Messages) != 1 || res.Messages[0].Text != "which subject?" {
		t.Fatalf("result = %+v, want the questions dialog's message and the kept text cleared", res)
	}
	for _, m := range res.Messages {
		if m.To.Person == "devries" {
			t.Fatal("the question also went to the mentor")
		}
	}
}
