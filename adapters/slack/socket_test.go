package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
)

func TestSlashCommandsBecomeKringCommands(t *testing.T) {
	r := newRig(t, ModeSocket)
	cases := []struct {
		text, command, args string
	}{
		{"", "help", ""},
		{"help", "help", ""},
		{"hulp", "help", ""},                                     // Dutch name of help
		{"incheck", "checkin", ""},                               // Dutch name of checkin
		{"CheckIn", "checkin", ""},                               // canonical, any case
		{"afwezig ziek vandaag", "away", "ziek vandaag"},         // the rest is the argument text
		{"level <@U0ANNA|anna> self", "level", "<@U0ANNA> self"}, // escaped mention: the Engine resolves <@id>
		{"level a &lt;b&gt; &amp; c", "level", "a <b> & c"},      // Slack's escapes undone
		{"frobnicate now", "frobnicate", "now"},                  // unknown: the Engine answers
	}
	for _, c := range cases {
		p := r.fake.SlashCommand("U0ANNA", "C02B", "/kring", c.text)
		ack := r.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: p})
		if string(ack) != "null" {
			t.Errorf("/kring %s: ack payload %s, want none (replies go through response_url)", c.text, ack)
		}
		ev := r.h.next(t)
		if ev.Kind != chat.KindCommand || ev.Command != c.command || ev.ArgText != c.args {
			t.Errorf("/kring %q -> command %q args %q, want %q %q", c.text, ev.Command, ev.ArgText, c.command, c.args)
		}
		if ev.User != "U0ANNA" || ev.Channel != "C02B" || ev.DM || ev.Tenant != testTeam || ev.Platform != chat.Slack {
			t.Errorf("event context = %+v", ev)
		}
		if ev.ID != "cmd:"+p["trigger_id"].(string) {
			t.Errorf("event id %q, want cmd:<trigger_id>", ev.ID)
		}
		if ch, url := parseRef(ev.ReplyRef); ch != "C02B" || url != p["response_url"] {
			t.Errorf("reply ref %q does not lead back to the command's response_url", ev.ReplyRef)
		}
	}
	// Envelopes arrived, so the socket's "connected" event was handled before them.
	if !r.a.Connected() {
		t.Error("with the socket up, /healthz would report Slack as down")
	}
}

func TestImmediateReplyIsEphemeralThroughResponseURL(t *testing.T) {
	r := newRig(t, ModeSocket)
	r.h.replies = func(ev chat.Event) []chat.Message {
		return []chat.Message{{To: chat.Target{Kind: chat.ToPerson}, Text: "Only a *mentor* can use " + chat.Literal(ev.ArgText), Ephemeral: true, ReplyRef: ev.ReplyRef}}
	}
	p := r.fake.SlashCommand("U0ANNA", "C02B", "/kring", "level <!channel>")
	r.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: p})
	r.wait(func() bool { return len(r.fake.Responses()) == 1 })
	m := r.fake.Responses()[0]
	if !m.Ephemeral || m.Channel != "C02B" || m.User != "U0ANNA" {
		t.Fatalf("reply = %+v, want ephemeral to anna in the channel", m)
	}
	if !strings.Contains(visible(m), "*mentor*") || strings.Contains(visible(m), "<!channel>") {
		t.Fatalf("reply text %q", visible(m))
	}
	if len(r.fake.Calls("chat.postMessage")) != 0 {
		t.Fatal("an ephemeral reply was posted to the class channel")
	}
}

// A scripted dialog: /kring checkin asks the mood with five buttons, a mood asks for
// today's goal in a modal, the goal is thanked for. The test drives it the way a pupil
// would, through Slack's own payloads, and checks what Slack was asked to show.
func TestCheckInThroughButtonsAndModal(t *testing.T) {
	r := newRig(t, ModeSocket)
	ctx := r.ctx
	form := &chat.Form{Action: "checkin.goal", Title: "Your goal today", Open: "Write my goal", Submit: "Save",
		Fields: []chat.Field{{ID: "goal", Label: "What do you want to finish today?", Required: true, MaxLen: 200}, {ID: "help", Label: "Need help with anything?", Multiline: true}}}
	r.h.replies = func(ev chat.Event) []chat.Message {
		var m chat.Message
		switch {
		case ev.Kind == chat.KindCommand && ev.Command == "checkin":
			m = chat.Message{ID: "m1", Text: "How are you feeling today, " + chat.Literal("Emma") + "?"}
			for i, l := range []string{"😞 Bad", "🙁 Not so good", "😐 Okay", "🙂 Good", "😄 Great"} {
				m.Choices = append(m.Choices, chat.Choice{Action: "checkin.mood", Value: string(rune('1' + i)), Label: l})
			}
		case ev.Kind == chat.KindButton && ev.Action == "checkin.mood":
			m = chat.Message{ID: "m2", Text: "Thanks! Now your *goal*.", Form: form}
		case ev.Kind == chat.KindForm:
			m = chat.Message{ID: "m3", Text: "Saved: " + chat.Literal(ev.Fields["goal"])}
		default:
			return nil
		}
		// The outbox would deliver this; the test delivers it the same way.
		m.To = chat.Target{Kind: chat.ToPerson, Person: "emma"}
		if err := r.a.Send(ctx, chat.Delivery{Message: m, Address: chat.Address{User: ev.User}}); err != nil {
			t.Errorf("send %s: %v", m.ID, err)
		}
		return nil
	}
	dm := r.fake.DM("U0EMMA")

	r.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: r.fake.SlashCommand("U0EMMA", dm, "/kring", "checkin")})
	r.h.next(t)
	r.wait(func() bool { return len(r.fake.Messages(dm)) == 1 })
	q := r.lastMessage(dm)
	if got := fakeslack.Buttons(q); len(got) != 5 || got[3] != "🙂 Good" {
		t.Fatalf("mood buttons = %q, want the five moods", got)
	}

	press, err := r.fake.PressButton(q, "U0EMMA", "🙂 Good")
	if err != nil {
		t.Fatal(err)
	}
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: press})
	ev := r.h.next(t)
	if ev.Kind != chat.KindButton || ev.Action != "checkin.mood" || ev.Value != "4" || !ev.DM || ev.User != "U0EMMA" {
		t.Fatalf("button event = %+v", ev)
	}
	if ev.ID != "act:"+press["trigger_id"].(string) {
		t.Fatalf("button event id %q, want act:<trigger_id>", ev.ID)
	}
	// The pressed message lost its buttons and shows the choice, so it can't be answered twice.
	r.wait(func() bool { m, _ := r.fake.Message(dm, q.TS); return m.Updates == 1 })
	answered, _ := r.fake.Message(dm, q.TS)
	if len(fakeslack.Buttons(answered)) != 0 || !strings.Contains(visible(answered), "✓ 🙂 Good") || !strings.Contains(visible(answered), "How are you feeling") {
		t.Fatalf("answered message = %s", visible(answered))
	}

	r.wait(func() bool { return len(r.fake.Messages(dm)) == 2 })
	goalMsg := r.lastMessage(dm)
	if got := fakeslack.Buttons(goalMsg); len(got) != 1 || got[0] != "Write my goal" {
		t.Fatalf("form message buttons = %q", got)
	}
	open, err := r.fake.PressButton(goalMsg, "U0EMMA", "Write my goal")
	if err != nil {
		t.Fatal(err)
	}
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: open})
	r.wait(func() bool { return len(r.fake.OpenedViews()) == 1 })
	view := r.fake.OpenedViews()[0]
	if view.Trigger != open["trigger_id"] {
		t.Fatalf("modal opened with trigger %q, want the press's %q", view.Trigger, open["trigger_id"])
	}
	if !strings.Contains(string(view.Raw), "Your goal today") || !strings.Contains(string(view.Raw), `"max_length":200`) {
		t.Fatalf("modal = %s", view.Raw)
	}
	if r.h.count() != 2 {
		t.Fatalf("opening the form reached the Engine (%d events); it is the adapter's business", r.h.count())
	}

	// A submission without the required goal stays open with the error under the field.
	sub, _ := r.fake.Submit(view, "U0EMMA", map[string]string{"help": "maths"})
	ack := r.envelope(fakeslack.Envelope{Type: "interactive", Payload: sub})
	var resp struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack, &resp); err != nil || resp.Action != "errors" || resp.Errors["goal"] != "Please fill this in." {
		t.Fatalf("ack of an incomplete form = %s, want an error under goal", ack)
	}
	if r.h.count() != 2 {
		t.Fatal("an invalid form reached the Engine")
	}

	sub, _ = r.fake.Submit(view, "U0EMMA", map[string]string{"goal": "Finish <!here> essay", "help": "maths"})
	ack = r.envelope(fakeslack.Envelope{Type: "interactive", Payload: sub})
	if string(ack) != "null" {
		t.Fatalf("ack of a good form = %s, want none (the modal closes)", ack)
	}
	ev = r.h.next(t)
	if ev.Kind != chat.KindForm || ev.Action != "checkin.goal" || ev.Fields["goal"] != "Finish <!here> essay" || ev.Fields["help"] != "maths" {
		t.Fatalf("form event = %+v", ev)
	}
	r.wait(func() bool { m, _ := r.fake.Message(dm, goalMsg.TS); return m.Updates == 1 })
	sent, _ := r.fake.Message(dm, goalMsg.TS)
	if len(fakeslack.Buttons(sent)) != 0 || !strings.Contains(visible(sent), "✓ Sent") || !strings.Contains(visible(sent), "*goal*") {
		t.Fatalf("form message after submit = %s", visible(sent))
	}
	r.wait(func() bool { return len(r.fake.Messages(dm)) == 3 })
	if got := visible(r.lastMessage(dm)); !strings.Contains(got, "Finish &lt;!here&gt; essay") {
		t.Fatalf("thanks message = %q, want the goal escaped", got)
	}
}

func TestEngineRefusalShownInsideModal(t *testing.T) {
	r := newRig(t, ModeSocket)
	r.h.replies = func(ev chat.Event) []chat.Message {
		if ev.Kind == chat.KindForm {
			return []chat.Message{{Text: "I'm not expecting an answer from you right now.", Ephemeral: true}}
		}
		return nil
	}
	form := &chat.Form{Action: "checkin.goal", Title: "Goal", Fields: []chat.Field{{ID: "goal", Label: "Goal"}}}
	if err := r.a.Send(r.ctx, chat.Delivery{Message: chat.Message{ID: "f1", Text: "Your goal?", Form: form}, Address: chat.Address{User: "U0ANNA"}}); err != nil {
		t.Fatal(err)
	}
	msg := r.lastMessage(r.fake.DM("U0ANNA"))
	open, _ := r.fake.PressButton(msg, "U0ANNA", "Antwoorden") // anna reads Dutch; the default label
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: open})
	r.wait(func() bool { return len(r.fake.OpenedViews()) == 1 })
	sub, _ := r.fake.Submit(r.fake.OpenedViews()[0], "U0ANNA", map[string]string{"goal": "x"})
	ack := r.envelope(fakeslack.Envelope{Type: "interactive", Payload: sub})
	if !strings.Contains(string(ack), `"errors"`) || !strings.Contains(string(ack), "not expecting") {
		t.Fatalf("ack = %s, want the Engine's refusal under the field", ack)
	}
}

func TestFormOfAnExpiredMessageSaysSo(t *testing.T) {
	r := newRig(t, ModeSocket)
	form := &chat.Form{Action: "checkin.goal", Fields: []chat.Field{{ID: "goal", Label: "Goal"}}}
	if err := r.a.Send(r.ctx, chat.Delivery{Message: chat.Message{ID: "f2", Text: "Goal?", Form: form}, Address: chat.Address{User: "U0EMMA"}}); err != nil {
		t.Fatal(err)
	}
	// The form's record is gone (expired from the cache).
	_ = r.a.store().Set(r.ctx, kvForm+"f2", "", 0)
	open, _ := r.fake.PressButton(r.lastMessage(r.fake.DM("U0EMMA")), "U0EMMA", "Answer")
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: open})
	r.wait(func() bool { return len(r.fake.Responses()) == 1 })
	if got := visible(r.fake.Responses()[0]); !strings.Contains(got, "no longer available") || len(r.fake.OpenedViews()) != 0 {
		t.Fatalf("note = %q, views opened %d", got, len(r.fake.OpenedViews()))
	}
}

func TestManyChoicesBecomeASelect(t *testing.T) {
	r := newRig(t, ModeSocket)
	m := chat.Message{ID: "sel", Text: "Which goal?"}
	for i := 0; i < 8; i++ {
		m.Choices = append(m.Choices, chat.Choice{Action: "checkin.goal", Value: string(rune('a' + i)), Label: "Goal " + string(rune('A'+i))})
	}
	if err := r.a.Send(r.ctx, chat.Delivery{Message: m, Address: chat.Address{User: "U0EMMA"}}); err != nil {
		t.Fatal(err)
	}
	msg := r.lastMessage(r.fake.DM("U0EMMA"))
	if opts := fakeslack.SelectOptions(msg); len(opts) != 8 || len(fakeslack.Buttons(msg)) != 0 {
		t.Fatalf("options %q buttons %q, want one select with 8 options", opts, fakeslack.Buttons(msg))
	}
	if !strings.Contains(string(msg.Blocks), "Choose…") {
		t.Fatalf("select has no English placeholder: %s", msg.Blocks)
	}
	choose, err := r.fake.ChooseOption(msg, "U0EMMA", "Goal F")
	if err != nil {
		t.Fatal(err)
	}
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: choose})
	ev := r.h.next(t)
	if ev.Kind != chat.KindButton || ev.Action != "checkin.goal" || ev.Value != "f" {
		t.Fatalf("select event = %+v", ev)
	}
	r.wait(func() bool { m, _ := r.fake.Message(msg.Channel, msg.TS); return m.Updates == 1 })
	after, _ := r.fake.Message(msg.Channel, msg.TS)
	if len(fakeslack.SelectOptions(after)) != 0 || !strings.Contains(visible(after), "✓ Goal F") {
		t.Fatalf("after choosing: %s", visible(after))
	}
}

// Slack re-sends an envelope it thinks was not acknowledged (retry_attempt). The
// redelivery carries the same event_id / trigger_id, so the event id is the same and
// the Engine drops it; the adapter's own effect (opening a modal) happens once.
func TestRedeliveredEnvelopesKeepTheirID(t *testing.T) {
	r := newRig(t, ModeSocket)
	msg := r.fake.EventCallback("Ev0PUPIL1", r.fake.MessageIM("U0ANNA", "ik ben moe"))
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: msg})
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: msg, RetryAttempt: 1, RetryReason: "timeout"})
	a, b := r.h.next(t), r.h.next(t)
	if a.ID != "ev:Ev0PUPIL1" || b.ID != a.ID {
		t.Fatalf("ids %q and %q, want both ev:Ev0PUPIL1", a.ID, b.ID)
	}
	if a.Kind != chat.KindMessage || a.Text != "ik ben moe" || !a.DM {
		t.Fatalf("message event = %+v", a)
	}

	form := &chat.Form{Action: "x.y", Fields: []chat.Field{{ID: "f", Label: "F"}}}
	if err := r.a.Send(r.ctx, chat.Delivery{Message: chat.Message{ID: "rf", Text: "Form", Form: form}, Address: chat.Address{User: "U0EMMA"}}); err != nil {
		t.Fatal(err)
	}
	open, _ := r.fake.PressButton(r.lastMessage(r.fake.DM("U0EMMA")), "U0EMMA", "Answer")
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: open})
	r.envelope(fakeslack.Envelope{Type: "interactive", Payload: open, RetryAttempt: 1, RetryReason: "timeout"})
	r.settle()
	if n := len(r.fake.Calls("views.open")); n != 1 {
		t.Fatalf("views.open called %d times for one press delivered twice", n)
	}
}

func TestOwnAndBotMessagesAreIgnored(t *testing.T) {
	r := newRig(t, ModeSocket)
	own := r.fake.MessageIM("U0ANNA", "echo")
	own["user"] = r.fake.BotUser()
	edited := r.fake.MessageIM("U0ANNA", "edited")
	edited["subtype"] = "message_changed"
	other := r.fake.EventCallback("Ev0OTHER", r.fake.MessageIM("U0ANNA", "other team"))
	other["team_id"] = "T0ELSEWHERE"
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: r.fake.EventCallback("Ev0OWN", own)})
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: r.fake.EventCallback("Ev0EDIT", edited)})
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: other})
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: r.fake.EventCallback("Ev0REAL", r.fake.MessageIM("U0ANNA", "real"))})
	r.settle()
	if ev := r.h.next(t); ev.ID != "ev:Ev0REAL" || r.h.count() != 1 {
		t.Fatalf("first event to reach the Engine is %+v (of %d), want the real message only", ev, r.h.count())
	}
}

func TestUnknownEnvelopeIsAcknowledged(t *testing.T) {
	r := newRig(t, ModeSocket)
	odd := r.fake.EventCallback("Ev0ODD", map[string]any{"type": "some_future_event", "user": "U0ANNA"})
	id, err := r.fake.Send(r.ctx, fakeslack.Envelope{Type: "events_api", Payload: odd})
	if err != nil {
		t.Fatal(err)
	}
	r.wait(func() bool { return r.fake.Acked(id) })
}

func TestReconnectsWhenSlackAsks(t *testing.T) {
	r := newRig(t, ModeSocket)
	if err := r.fake.Disconnect(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.wait(func() bool { return r.fake.Connections() == 2 })
	r.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: r.fake.SlashCommand("U0ANNA", "C02B", "/kring", "help")})
	if ev := r.h.next(t); ev.Command != "help" {
		t.Fatalf("after reconnect got %+v", ev)
	}
	if n := len(r.fake.Calls("apps.connections.open")); n != 2 {
		t.Fatalf("apps.connections.open called %d times, want 2", n)
	}
}

func TestHomeTabPublishedOnOpen(t *testing.T) {
	home := homeFunc(func(_ context.Context, id string) (chat.Home, error) {
		return chat.Home{Person: id, Name: "Anna de Vries", Lang: "nl", Goal: "Hoofdstuk 3 *af* <!everyone>", GoalDate: "2026-11-23",
			Recent: []chat.HomeCheckIn{{Date: "2026-11-23", Status: "done", Mood: 4, Goal: "Hoofdstuk 3"}}}, nil
	})
	r := newRig(t, ModeSocket, func(o *Options, _ *fakeslack.Options) { o.Home = home })
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: r.fake.EventCallback("Ev0HOME", r.fake.AppHomeOpened("U0ANNA"))})
	r.wait(func() bool { _, ok := r.fake.Home("U0ANNA"); return ok })
	v, _ := r.fake.Home("U0ANNA")
	page := visible(fakeslack.Message{Blocks: v.Blocks})
	for _, want := range []string{"Kring · Anna de Vries", "*Je doel*", "Hoofdstuk 3 \u2217af\u2217 &lt;!everyone&gt;", "2026-11-23   🙂   gedaan · Hoofdstuk 3", "/kring hulp"} {
		if !strings.Contains(page, want) {
			t.Errorf("home page lacks %q:\n%s", want, page)
		}
	}
	// Someone not on the roster gets the polite not-enrolled page.
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: r.fake.EventCallback("Ev0HOME2", r.fake.AppHomeOpened("U0STRANGER"))})
	r.wait(func() bool { _, ok := r.fake.Home("U0STRANGER"); return ok })
	v, _ = r.fake.Home("U0STRANGER")
	if page := visible(fakeslack.Message{Blocks: v.Blocks}); !strings.Contains(page, "niet ingeschreven") {
		t.Fatalf("stranger's home = %s", page)
	}
}

type homeFunc func(ctx context.Context, id string) (chat.Home, error)

func (f homeFunc) Home(ctx context.Context, id string) (chat.Home, error) { return f(ctx, id) }

// Socket Mode acknowledges an envelope before the Engine has done anything with it.
func TestSocketAcknowledgesBeforeTheWork(t *testing.T) {
	r := newRig(t, ModeSocket)
	release := make(chan struct{})
	r.h.replies = func(chat.Event) []chat.Message { <-release; return nil }
	defer close(release)
	id, err := r.fake.Send(r.ctx, fakeslack.Envelope{Type: "slash_commands", Payload: r.fake.SlashCommand("U0ANNA", "C02B", "/kring", "incheck")})
	if err != nil {
		t.Fatal(err)
	}
	r.h.next(t) // the Engine holds the event until release
	r.wait(func() bool { return r.fake.Acked(id) })
}

// Slack re-sends a DM event while no conversation waits for it: the Engine has nothing
// to save for it, so it answers the retry again ("I'm not expecting a message"). The
// person gets that answer once.
func TestRetriedEventWithoutConversationIsAnsweredOnce(t *testing.T) {
	r := newRig(t, ModeSocket)
	r.h.mu.Lock()
	r.h.replies = func(chat.Event) []chat.Message {
		return []chat.Message{{To: chat.Target{Kind: chat.ToPerson}, Text: "Ik verwacht nu geen bericht van je."}}
	}
	r.h.mu.Unlock()
	msg := r.fake.EventCallback("Ev0RETRY1", r.fake.MessageIM("U0ANNA", "hallo?"))
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: msg})
	r.h.next(t)
	r.settle()
	r.envelope(fakeslack.Envelope{Type: "events_api", Payload: msg, RetryAttempt: 1, RetryReason: "timeout"})
	r.h.next(t)
	r.settle()
	n := 0
	for _, m := range r.fake.Messages(r.fake.DM("U0ANNA")) {
		if strings.Contains(visible(m), "verwacht nu geen bericht") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the answer to one message delivered twice was posted %d times, want 1", n)
	}
}
