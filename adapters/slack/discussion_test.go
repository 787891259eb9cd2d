package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/dialogs/debate"
	"github.com/kring-school/kring/dialogs/discussion"
	"github.com/kring-school/kring/dialogs/terms"
)

func (k *kring) command(user, channel, text string) {
	k.t.Helper()
	p := k.fake.SlashCommand(user, channel, "/kring", text)
	k.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: p})
	k.handled("cmd:" + p["trigger_id"].(string))
}

func (k *kring) pressOn(m fakeslack.Message, user, label string) {
	k.t.Helper()
	p, err := k.fake.PressButton(m, user, label)
	if err != nil {
		k.t.Fatal(err)
	}
	k.envelope(fakeslack.Envelope{Type: "interactive", Payload: p})
	k.handled("act:" + p["trigger_id"].(string))
}

// lastFor finds the newest message user sees with a button labelled label: in their
// DM, or an ephemeral answer to them anywhere.
func (k *kring) lastFor(user, label string) fakeslack.Message {
	k.t.Helper()
	var found *fakeslack.Message
	consider := func(m fakeslack.Message) {
		for _, b := range fakeslack.Buttons(m) {
			if b == label {
				found = &m
			}
		}
	}
	for _, m := range k.fake.Messages(k.fake.DM(user)) {
		consider(m)
	}
	for _, m := range k.fake.Responses() {
		if m.User == user || m.User == "" {
			consider(m)
		}
	}
	if found == nil {
		k.t.Fatalf("%s has no message with %q", user, label)
	}
	return *found
}

// threadOf returns the public replies in the class channel's thread whose parent
// (the thread's title, posted by the adapter) contains title.
func (k *kring) threadOf(title string) []fakeslack.Message {
	k.t.Helper()
	var parent string
	var out []fakeslack.Message
	for _, m := range k.fake.Messages("C02B") {
		if m.Ephemeral {
			continue
		}
		if parent == "" && m.ThreadTS == "" && strings.Contains(visible(m), title) {
			parent = m.TS
		}
		if parent != "" && m.ThreadTS == parent {
			out = append(out, m)
		}
	}
	if parent == "" {
		k.t.Fatalf("no post %q in the class channel", title)
	}
	return out
}

// A discussion prompt and a debate in Slack, through the real Engine and outbox: the
// prompt is a class-channel post whose replies form its thread; a pupil answers in a
// modal; the teacher reveals; the answer shows in the thread without pinging or
// linking; a debate vote pressed twice counts once.
func TestDiscussionAndDebateOnSlack(t *testing.T) {
	k := newKring(t, discussion.New(), debate.New(), terms.New())
	k.h.Clock.Set(bottest.Monday0750.Add(3 * time.Hour))
	k.command("UBAKKER", "C02B", "discussie Waarom willen mensen ergens bij horen? anonymous:ja")
	post := k.threadOf("Waarom willen mensen")
	if len(post) != 1 || len(fakeslack.Buttons(post[0])) != 2 {
		t.Fatalf("post = %+v", post)
	}

	k.pressOn(post[0], "UANNA", "Antwoorden")
	ask := k.lastFor("UANNA", "Antwoorden")
	open, err := k.fake.PressButton(ask, "UANNA", "Antwoorden")
	if err != nil {
		t.Fatal(err)
	}
	k.envelope(fakeslack.Envelope{Type: "interactive", Payload: open})
	k.wait(func() bool { return len(k.fake.OpenedViews()) == 1 })
	sub, _ := k.fake.Submit(k.fake.OpenedViews()[0], "UANNA", map[string]string{"answer": "Veilig voelen <!channel> @here <@UDEVRIES> <https://evil.example|klik>"})
	k.envelope(fakeslack.Envelope{Type: "interactive", Payload: sub})
	k.handled("form:" + sub["trigger_id"].(string))
	if n := len(k.threadOf("Waarom willen mensen")); n != 1 {
		t.Fatalf("think first: %d public messages in the thread before reveal", n)
	}

	k.pressOn(k.lastFor("UBAKKER", "Antwoorden tonen in de draad"), "UBAKKER", "Antwoorden tonen in de draad")
	var shown *fakeslack.Message
	for _, m := range k.threadOf("Waarom willen mensen") {
		if strings.Contains(m.Text, "Veilig voelen") {
			shown = &m
		}
	}
	if shown == nil || shown.ThreadTS == "" {
		t.Fatalf("the answer is not a reply in the thread: %+v", k.threadOf("Waarom willen mensen"))
	}
	if seen := mrkdwnTexts(*shown); pings.MatchString(seen) {
		t.Errorf("the revealed answer would ping or link: %q", seen)
	}
	if len(fakeslack.Buttons(*shown)) != 3 {
		t.Errorf("no reaction buttons under the answer: %v", fakeslack.Buttons(*shown))
	}

	k.command("UBAKKER", "C02B", "debat Huiswerk moet worden afgeschaft")
	motion := k.threadOf("Huiswerk moet worden afgeschaft")[0]
	k.pressOn(motion, "UANNA", "Eens")
	k.pressOn(motion, "UANNA", "Eens")
	var replies []string
	for _, m := range k.fake.Responses() {
		if strings.Contains(m.Text, "Je stem") && m.Ephemeral {
			replies = append(replies, m.Text)
		}
	}
	if len(replies) != 2 || !strings.Contains(replies[0], "genoteerd") || !strings.Contains(replies[1], "telt één keer") {
		t.Errorf("vote replies = %q", replies)
	}
	if m, _ := k.fake.Message(motion.Channel, motion.TS); len(fakeslack.Buttons(m)) != len(fakeslack.Buttons(motion)) || m.Updates != 0 {
		t.Errorf("a vote changed the class's motion post (buttons %v, %d updates)", fakeslack.Buttons(m), m.Updates)
	}
	if m, _ := k.fake.Message(post[0].Channel, post[0].TS); len(fakeslack.Buttons(m)) != 2 {
		t.Errorf("anna's press took the answer buttons away from the class: %v", fakeslack.Buttons(m))
	}
}
