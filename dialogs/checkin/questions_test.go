package checkin

import (
	"testing"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
)

// fakeAsker stands in for the questions dialog.
type fakeAsker struct{ text, source string }

func (a *fakeAsker) TakeQuestion(in dialog.Input, text, source string) dialog.Result {
	a.text, a.source = text, source
	return dialog.Result{Messages: []chat.Message{{To: chat.Target{Kind: chat.ToPerson, Person: in.Person.ID}, Text: "which subject?"}}}
}

// TestHelpQuestionBecomesAQuestion: with the questions dialog wired, the help answer is
// handed to it (no help request to the mentor), after the closing line.
func TestHelpQuestionBecomesAQuestion(t *testing.T) {
	s := newSim(t, false)
	a := &fakeAsker{}
	s.d.Questions = a
	s.start("cas")
	s.press("cas", "checkin.open", "skip")
	s.press("cas", "checkin.mood", "3")
	s.text("cas", "Wiskunde")
	res := s.text("cas", "Ik snap breuken niet")
	if a.text != "Ik snap breuken niet" || a.source != "checkin" {
		t.Fatalf("handed over %q from %q", a.text, a.source)
	}
	if s.stepOf("cas") != stepDone || len(s.helps) != 0 {
		t.Fatalf("step %s, help requests %v", s.stepOf("cas"), s.helps)
	}
	if s.checkins["cas/2026-03-10"].Help != "Ik snap breuken niet" {
		t.Error("the check-in record lost the help answer")
	}
	if len(res.Messages) != 2 || !hasText(res.Messages[0], s.T("cas", "checkin.done.help_question")) || res.Messages[1].Text != "which subject?" {
		t.Fatalf("messages = %+v, want the closing line, then the subject question", res.Messages)
	}
	for _, m := range res.Messages {
		if m.Staff {
			t.Fatalf("the help answer also went to staff: %+v", m)
		}
	}
}
