package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/guard"
)

// Choices whose action id or value Slack would refuse (action_id over 255, option
// value over 150) go out hashed, the fake (which rejects such Block Kit as Slack does)
// accepts the message, and choosing one brings back the original action and value.
func TestLongChoicesFitSlacksLimits(t *testing.T) {
	r := newRig(t, ModeSocket)
	longAction := "checkin." + strings.Repeat("a", 260)
	var choices []chat.Choice
	for i := range 7 { // more than five: a static select, whose values allow 150 characters
		choices = append(choices, chat.Choice{Action: "checkin.plan", Value: fmt.Sprintf("%d-%s", i, strings.Repeat("lang plan-item ", 15)), Label: fmt.Sprintf("Item %d", i)})
	}
	msgs := []chat.Message{
		{ID: "long-b", Text: "Kies", Choices: []chat.Choice{{Action: longAction, Value: "1", Label: "Ja"}}},
		{ID: "long-s", Text: "Kies een item", Choices: choices},
	}
	for _, m := range msgs {
		if err := r.a.Send(r.ctx, chat.Delivery{Message: m, Address: chat.Address{User: "U0ANNA"}}); err != nil {
			t.Fatalf("send %s: %v", m.ID, err)
		}
	}
	posted := r.fake.Messages(r.fake.DM("U0ANNA"))
	if len(posted) != 2 {
		t.Fatalf("%d messages posted, want 2", len(posted))
	}
	press, err := r.fake.PressButton(posted[0], "U0ANNA", "Ja")
	if err != nil {
		t.Fatal(err)
	}
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: press})
	if ev := r.h.next(t); ev.Action != longAction || ev.Value != "1" {
		t.Errorf("long action came back as %q=%q", ev.Action, ev.Value)
	}
	pick, err := r.fake.ChooseOption(posted[1], "U0ANNA", "Item 3")
	if err != nil {
		t.Fatal(err)
	}
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: pick})
	if ev := r.h.next(t); ev.Action != "checkin.plan" || ev.Value != choices[3].Value {
		t.Errorf("long option came back as %q=%q", ev.Action, ev.Value)
	}
}

// A pupil's URL reaches the reader as plain text: no unfurl, and no auto-link (the
// text objects are verbatim, so Slack does not turn the URL into a link).
func TestPupilURLIsNotUnfurledOrLinked(t *testing.T) {
	r := newRig(t, ModeSocket)
	m := chat.Message{ID: "url1", Text: "Anna schreef: " + chat.Literal("kijk op https://example.com/x en <https://evil.example|hier>"), Staff: true}
	if err := r.a.Send(r.ctx, chat.Delivery{Message: m, Address: chat.Address{User: "U0EMMA"}}); err != nil {
		t.Fatal(err)
	}
	calls := r.fake.Calls("chat.postMessage")
	c := calls[len(calls)-1]
	if c.Form.Get("unfurl_links") != "false" || c.Form.Get("unfurl_media") != "false" {
		t.Errorf("unfurl_links=%q unfurl_media=%q, want false", c.Form.Get("unfurl_links"), c.Form.Get("unfurl_media"))
	}
	blocks := c.Form.Get("blocks")
	if !strings.Contains(blocks, `"verbatim":true`) {
		t.Errorf("text objects not verbatim (Slack would auto-link the URL): %s", blocks)
	}
	if strings.Contains(blocks, "<https://") {
		t.Errorf("the pupil's link markup survived: %s", blocks)
	}
}

// A revoked token (invalid_auth) pauses sending instead of failing each message: the
// outbox keeps them (chat.PausedError), and the guard has told the admins once.
func TestRevokedTokenPausesSending(t *testing.T) {
	paused := 0
	r := newRig(t, ModeSocket, func(o *Options, _ *fakeslack.Options) {
		o.Guard = guard.New(guard.Options{Platform: chat.Slack, OnPause: func(context.Context, string, time.Time) { paused++ }})
	})
	r.fake.FailWith("chat.postMessage", 1, "invalid_auth")
	err := r.a.Send(r.ctx, chat.Delivery{Message: chat.Message{ID: "t1", Text: "Hallo"}, Address: chat.Address{User: "U0ANNA"}})
	var pe *chat.PausedError
	if !errors.As(err, &pe) || pe.Reason != guard.ReasonUnauthorized {
		t.Fatalf("Send with a revoked token = %v, want a PausedError (unauthorized)", err)
	}
	before := len(r.fake.Calls("chat.postMessage"))
	if err := r.a.Send(r.ctx, chat.Delivery{Message: chat.Message{ID: "t2", Text: "Nog een"}, Address: chat.Address{User: "U0ANNA"}}); !errors.As(err, &pe) {
		t.Errorf("second Send while paused = %v, want a PausedError", err)
	}
	if n := len(r.fake.Calls("chat.postMessage")) - before; n != 0 {
		t.Errorf("%d calls while the token is refused", n)
	}
	if reason, _ := r.a.Paused(); reason != guard.ReasonUnauthorized || paused != 1 {
		t.Errorf("Paused() = %q, admin hook called %d times; want unauthorized and 1", reason, paused)
	}
}
