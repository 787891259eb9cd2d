package slack

import (
	"strings"
	"testing"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/dialogs/ask"
)

// TestTeacherAnswersAQuestionWithOneForm: the questions dialog's message to a teacher
// (an answer form plus a hand-over button) arrives in the DM; "Beantwoorden" opens the
// modal, and the submitted answer reaches the Engine with the question in the form's
// action and the answer in its field.
func TestTeacherAnswersAQuestionWithOneForm(t *testing.T) {
	r := newRig(t, ModeSocket)
	action := ask.Name + ".answer:2b:3f2a1b09"
	note := chat.Message{ID: "q1", Staff: true,
		Text: "Nieuwe vraag voor jou [3f2a1b09].\n❓ Uil 3F2 (2B, anoniem): " + chat.Literal("Hoe deel je breuken? <!channel>"),
		Form: &chat.Form{Action: action, Title: "Vraag beantwoorden", Open: "Beantwoorden", Submit: "Versturen",
			Fields: []chat.Field{{ID: ask.FormField, Label: "Je antwoord", Multiline: true, Required: true, MaxLen: ask.MaxAnswer}}},
		Choices: []chat.Choice{{Action: ask.Name + ".hand", Value: "2b:3f2a1b09", Label: "Aan een collega geven"}}}
	if err := r.a.Send(r.ctx, chat.Delivery{Message: note, Address: chat.Address{User: "U0ANNA"}}); err != nil {
		t.Fatal(err)
	}
	msg := r.lastMessage(r.fake.DM("U0ANNA"))
	if got := visible(msg); strings.Contains(got, "<!channel>") {
		t.Fatalf("the pupil's words can ping the channel: %q", got)
	}
	if b := fakeslack.Buttons(msg); len(b) != 2 {
		t.Fatalf("buttons = %q, want the form and the hand-over", b)
	}
	open, _ := r.fake.PressButton(msg, "U0ANNA", "Beantwoorden")
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: open})
	r.wait(func() bool { return len(r.fake.OpenedViews()) == 1 })
	sub, _ := r.fake.Submit(r.fake.OpenedViews()[0], "U0ANNA", map[string]string{ask.FormField: "Omkeren en vermenigvuldigen."})
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: sub})
	ev := r.h.next(t)
	if ev.Kind != chat.KindForm || ev.Action != action || ev.Fields[ask.FormField] != "Omkeren en vermenigvuldigen." {
		t.Fatalf("form event = %+v", ev)
	}
}
