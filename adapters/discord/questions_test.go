package discord

import (
	"strings"
	"testing"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/dialogs/ask"
)

// TestTeacherAnswersAQuestionWithOneForm: the questions dialog's message to a teacher (a
// form to answer, plus buttons) arrives as a DM; the teacher's one "Beantwoorden" opens
// the modal, and the submitted answer reaches the Engine with the question in the
// form's action and the answer in its field.
func TestTeacherAnswersAQuestionWithOneForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.h.mu.Lock()
	e.h.reply = nil
	e.h.mu.Unlock()
	action := ask.Name + ".answer:2b:3f2a1b09"
	note := chat.Message{ID: "q1", To: person("teacher"), Staff: true,
		Text: "Nieuwe vraag voor jou [3f2a1b09], vak: wiskunde.\n❓ Uil 3F2 (2B, anoniem): " + chat.Literal("Hoe deel je *breuken* @everyone?"),
		Form: &chat.Form{Action: action, Title: "Vraag beantwoorden", Open: "Beantwoorden", Submit: "Versturen",
			Fields: []chat.Field{{ID: ask.FormField, Label: "Je antwoord", Multiline: true, Required: true, MaxLen: ask.MaxAnswer}}},
		Choices: []chat.Choice{{Action: ask.Name + ".hand", Value: "2b:3f2a1b09", Label: "Aan een collega geven"}}}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: note, Address: chat.Address{Tenant: guildID, User: teacherID}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	dm := e.lastDM(teacherID)
	if content := dm["content"].(string); content == "" || !strings.Contains(content, `\*breuken\*`) {
		t.Errorf("the pupil's words are not escaped: %q", content)
	}
	if len(fakediscord.Buttons(dm)) != 2 {
		t.Fatalf("buttons = %v, want the form and the hand-over", fakediscord.Buttons(dm))
	}
	opened, err := e.fake.PressButton(fakediscord.Actor{User: teacherID}, dm["id"].(string), buttonID(t, dm, "Beantwoorden"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Wait(e.ctx, callbackFor(opened)); err != nil {
		t.Fatal(err)
	}
	m, ok := e.fake.Modal(opened.ID)
	if !ok || m["title"] != "Vraag beantwoorden" {
		t.Fatalf("modal = %v, %v", m, ok)
	}
	if _, err := e.fake.SubmitModal(fakediscord.Actor{User: teacherID}, opened, map[string]string{ask.FormField: "Omkeren en vermenigvuldigen."}); err != nil {
		t.Fatal(err)
	}
	ev := e.h.next(t, e.ctx)
	if ev.Kind != chat.KindForm || ev.Action != action || ev.Fields[ask.FormField] != "Omkeren en vermenigvuldigen." || ev.User != teacherID || !ev.DM {
		t.Fatalf("form event = %+v", ev)
	}
}
