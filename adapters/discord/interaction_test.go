package discord

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
)

// A command is acknowledged (deferred, ephemeral) before the Engine has decided
// anything: the callback reaches Discord while the handler is still held up.
func TestCommandAcknowledgedBeforeHandlerAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gate := make(chan struct{})
	e.h.mu.Lock()
	e.h.gate = gate
	e.h.reply = func(ev chat.Event) []chat.Message {
		return []chat.Message{{To: person("anna"), Text: "done", ReplyRef: ev.ReplyRef, Ephemeral: true}}
	}
	e.h.mu.Unlock()
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID}, classChan, "dayplan",
		fakediscord.Option{Name: "plan", Type: 3, Value: "Wiskunde 4-8"}, fakediscord.Option{Name: "class", Type: 3, Value: "2b"})
	if err != nil {
		t.Fatal(err)
	}
	ev := <-e.h.entered
	cb, err := e.fake.Wait(e.ctx, callbackFor(in))
	if err != nil {
		t.Fatal(err)
	}
	if body := cb.JSON(); body["type"].(float64) != 5 || body["data"].(map[string]any)["flags"].(float64) != 64 {
		t.Errorf("callback = %s, want a deferred ephemeral reply (type 5, flags 64)", cb.Body)
	}
	if e.fake.Count(webhookFor(in)) != 0 {
		t.Fatal("follow-up before the handler answered")
	}
	if ev.Kind != chat.KindCommand || ev.Command != "dayplan" || ev.Args["plan"] != "Wiskunde 4-8" || ev.Args["class"] != "2b" {
		t.Errorf("event = %+v", ev)
	}
	if ev.User != annaID || ev.Tenant != guildID || ev.Channel != classChan || ev.DM || ev.ReplyRef == "" || ev.ID != in.ID {
		t.Errorf("event routing fields = %+v", ev)
	}
	close(gate)
	fu, err := e.fake.Wait(e.ctx, webhookFor(in))
	if err != nil {
		t.Fatal(err)
	}
	msg := fu.JSON()
	if msg["content"] != "done" {
		t.Errorf("follow-up = %s", fu.Body)
	}
	// The first follow-up resolves the deferred reply and stays ephemeral.
	var got map[string]any
	_ = jsonUnmarshal(fu.Response, &got)
	if int(got["flags"].(float64))&64 == 0 {
		t.Errorf("reply in the class channel is not ephemeral: %s", fu.Response)
	}
}

// A full check-in in a DM: mood as five buttons, the pressed message updated so no
// button can be pressed twice, the next question as a follow-up with a form button, the
// modal opened and submitted, and the form's values reaching the handler.
func TestCheckinThroughButtonsAndModal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	moods := []chat.Choice{}
	for i, l := range []string{"😞", "🙁", "😐", "🙂", "😄"} {
		moods = append(moods, chat.Choice{Action: "checkin.mood", Value: string(rune('1' + i)), Label: l})
	}
	goal := &chat.Form{Action: "checkin.goal", Title: "Je doel voor vandaag", Open: "Doel invullen", Submit: "Klaar", Fields: []chat.Field{
		{ID: "goal", Label: "Wat wil je vandaag bereiken?", Multiline: true, Required: true, MaxLen: 500},
		{ID: "help", Label: "Heb je ergens hulp bij nodig?", Placeholder: "optioneel"},
	}}
	e.h.mu.Lock()
	e.h.reply = nil
	e.h.mu.Unlock()

	// 08:15 — the outbox sends the first question.
	first := chat.Message{ID: "m1", To: person("anna"), Text: "Goedemorgen! *Hoe gaat het?*", Choices: moods}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: first, Address: chat.Address{Tenant: guildID, User: annaID}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	q := e.lastDM(annaID)
	if q["content"] != "Goedemorgen! **Hoe gaat het?**" {
		t.Errorf("content = %q", q["content"])
	}
	buttons := fakediscord.Buttons(q)
	if len(buttons) != 5 {
		t.Fatalf("mood as %d buttons, want 5", len(buttons))
	}
	press, err := e.fake.PressButton(fakediscord.Actor{User: annaID}, q["id"].(string), buttonID(t, q, "🙂"))
	if err != nil {
		t.Fatal(err)
	}
	ev := e.h.next(t, e.ctx)
	if ev.Kind != chat.KindButton || ev.Action != "checkin.mood" || ev.Value != "4" || !ev.DM || ev.Tenant != "" {
		t.Errorf("button event = %+v", ev)
	}
	cb, err := e.fake.Wait(e.ctx, callbackFor(press))
	if err != nil {
		t.Fatal(err)
	}
	if cb.JSON()["type"].(float64) != 7 {
		t.Errorf("button callback type = %v, want 7 (update the message)", cb.JSON()["type"])
	}
	updated, _ := e.fake.Message(q["id"].(string))
	if updated["content"] != q["content"] {
		t.Errorf("the update changed the question text to %q", updated["content"])
	}
	for _, b := range fakediscord.Buttons(updated) {
		if !b.Disabled {
			t.Errorf("button %q still enabled after the press", b.Label)
		}
	}
	if buttonID(t, updated, "✓ 🙂") == "" {
		t.Error("the chosen mood is not marked")
	}
	// Pressing the old button again is refused by the disabled state; a stale client
	// that still sends it gets a new interaction, which the Engine would dedupe by content.

	// The next question answers in place of the press, through the interaction.
	next := chat.Message{ID: "m2", To: person("anna"), Text: "Wat is je doel?", Form: goal, ReplyRef: ev.ReplyRef}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: next, Address: chat.Address{Tenant: guildID, User: annaID}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	fu, err := e.fake.Wait(e.ctx, webhookFor(press))
	if err != nil {
		t.Fatal(err)
	}
	var followMsg map[string]any
	_ = jsonUnmarshal(fu.Response, &followMsg)
	if int(followMsg["flags"].(float64))&64 != 0 {
		t.Error("a DM follow-up must not be ephemeral (it would vanish)")
	}
	open := buttonID(t, followMsg, "Doel invullen")
	opened, err := e.fake.PressButton(fakediscord.Actor{User: annaID}, followMsg["id"].(string), open)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Wait(e.ctx, callbackFor(opened)); err != nil {
		t.Fatal(err)
	}
	m, ok := e.fake.Modal(opened.ID)
	if !ok {
		t.Fatal("the form button did not open a modal")
	}
	if m["title"] != "Je doel voor vandaag" || len(m["components"].([]any)) != 2 {
		t.Errorf("modal = %v", m)
	}
	if e.h.count() != 1 {
		t.Error("opening a form must not reach the Engine")
	}
	sub, err := e.fake.SubmitModal(fakediscord.Actor{User: annaID}, opened, map[string]string{"goal": "H3 afmaken", "help": ""})
	if err != nil {
		t.Fatal(err)
	}
	fev := e.h.next(t, e.ctx)
	if fev.Kind != chat.KindForm || fev.Action != "checkin.goal" || fev.Fields["goal"] != "H3 afmaken" || fev.ID != sub.ID {
		t.Errorf("form event = %+v", fev)
	}
	scb, _ := e.fake.Wait(e.ctx, callbackFor(sub))
	if scb.JSON()["type"].(float64) != 7 {
		t.Errorf("modal submit callback type = %v, want 7", scb.JSON()["type"])
	}
	after, _ := e.fake.Message(followMsg["id"].(string))
	for _, b := range fakediscord.Buttons(after) {
		if !b.Disabled {
			t.Errorf("form button %q still enabled after the form was sent", b.Label)
		}
	}
	thanks := chat.Message{ID: "m3", To: person("anna"), Text: "Dank je!", ReplyRef: fev.ReplyRef}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: thanks, Address: chat.Address{User: annaID}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Wait(e.ctx, webhookFor(sub)); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count(fakediscord.Route("POST", "/users/@me/channels")); n != 1 {
		t.Errorf("%d DM channel opens for one check-in, want 1", n)
	}
	if len(e.fake.Violations()) != 0 {
		t.Errorf("rate-limit violations: %v", e.fake.Violations())
	}
}

// More than five choices become a select menu; choosing updates the menu to show the
// choice, disabled.
func TestManyChoicesBecomeSelectMenu(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var cs []chat.Choice
	for i := 1; i <= 7; i++ {
		cs = append(cs, chat.Choice{Action: "checkin.choose", Value: string(rune('0' + i)), Label: "Onderdeel " + string(rune('0'+i))})
	}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: "s1", To: person("anna"), Text: "Kies", Choices: cs}, Address: chat.Address{User: annaID}}); err != nil {
		t.Fatal(err)
	}
	msg := e.lastDM(annaID)
	sel := fakediscord.Selects(msg)
	if len(sel) != 1 || len(sel[0]["options"].([]any)) != 7 || len(fakediscord.Buttons(msg)) != 0 {
		t.Fatalf("components = %v", msg["components"])
	}
	opt := sel[0]["options"].([]any)[5].(map[string]any)
	in, err := e.fake.Choose(fakediscord.Actor{User: annaID}, msg["id"].(string), sel[0]["custom_id"].(string), opt["value"].(string))
	if err != nil {
		t.Fatal(err)
	}
	ev := e.h.next(t, e.ctx)
	if ev.Action != "checkin.choose" || ev.Value != "6" {
		t.Errorf("event = %+v", ev)
	}
	if _, err := e.fake.Wait(e.ctx, callbackFor(in)); err != nil {
		t.Fatal(err)
	}
	after, _ := e.fake.Message(msg["id"].(string))
	s := fakediscord.Selects(after)[0]
	if s["disabled"] != true {
		t.Error("menu still enabled after the choice")
	}
	if o := s["options"].([]any)[5].(map[string]any); o["default"] != true {
		t.Errorf("chosen option not shown: %v", o)
	}
}

// A choice whose action and value do not fit in a custom_id is kept in the KV and found
// again when pressed.
func TestLongChoiceValueRoundTrips(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := strings.Repeat("Hoofdstuk 3 van het wiskundeboek afmaken ", 4)
	c := chat.Choice{Action: "checkin.goal", Value: long, Label: "Dit doel"}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: "l1", To: person("anna"), Text: "Doel?", Choices: []chat.Choice{c}}, Address: chat.Address{User: annaID}}); err != nil {
		t.Fatal(err)
	}
	msg := e.lastDM(annaID)
	id := buttonID(t, msg, "Dit doel")
	if len(id) > 100 {
		t.Fatalf("custom_id of %d characters", len(id))
	}
	if _, err := e.fake.PressButton(fakediscord.Actor{User: annaID}, msg["id"].(string), id); err != nil {
		t.Fatal(err)
	}
	ev := e.h.next(t, e.ctx)
	if ev.Action != "checkin.goal" || ev.Value != long {
		t.Errorf("event = %q %q", ev.Action, ev.Value)
	}
}

// The same INTERACTION_CREATE delivered twice (a resumed gateway replaying it) reaches
// the Engine once and is acknowledged once.
func TestDuplicateInteractionHandledOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID}, classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	e.h.next(t, e.ctx)
	if err := e.fake.Redispatch(in.Seq); err != nil {
		t.Fatal(err)
	}
	// A later, different interaction proves the duplicate was processed (and dropped) first.
	in2, err := e.fake.SlashCommand(fakediscord.Actor{User: bramID}, classChan, "away")
	if err != nil {
		t.Fatal(err)
	}
	ev := e.h.next(t, e.ctx)
	if ev.ID != in2.ID {
		t.Errorf("the duplicate of %s reached the handler: got %s", in.ID, ev.ID)
	}
	if _, err := e.fake.Wait(e.ctx, callbackFor(in2)); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count(callbackFor(in)); n != 1 {
		t.Errorf("the duplicated interaction was acknowledged %d times", n)
	}
}

// Someone not on the roster gets one ephemeral reply (the Engine's "not enrolled") and
// nothing else: no DM, no channel message.
func TestUnknownUserGetsOnlyAnEphemeralReply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.h.mu.Lock()
	e.h.reply = func(ev chat.Event) []chat.Message { // what the Engine answers a stranger
		return []chat.Message{{To: chat.Target{Kind: chat.ToPerson}, Text: e.cat.For("nl").T("core.not_enrolled"), Ephemeral: true, ReplyRef: ev.ReplyRef}}
	}
	e.h.mu.Unlock()
	before := len(e.fake.Requests())
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: strangerID}, classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	fu, err := e.fake.Wait(e.ctx, webhookFor(in))
	if err != nil {
		t.Fatal(err)
	}
	var msg map[string]any
	_ = jsonUnmarshal(fu.Response, &msg)
	if int(msg["flags"].(float64))&64 == 0 || !strings.Contains(msg["content"].(string), "Kring") {
		t.Errorf("reply = %s", fu.Response)
	}
	reqs := e.fake.Requests()[before:]
	if len(reqs) != 2 {
		t.Errorf("requests for a stranger's command: %v; want the callback and one follow-up", reqs)
	}
	if !e.fake.Pinged(msg["id"].(string)).None() {
		t.Error("the reply pinged someone")
	}
}

// An interaction from a server other than the school's is answered politely and not
// passed on.
func TestOtherGuildIsNotPassedOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID, Locale: "en-US", Guild: "999"}, classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := e.fake.Wait(e.ctx, callbackFor(in))
	if err != nil {
		t.Fatal(err)
	}
	if d := cb.JSON()["data"].(map[string]any); cb.JSON()["type"].(float64) != 4 || d["flags"].(float64) != 64 {
		t.Errorf("callback = %s", cb.Body)
	}
	// A command from the school's own server after it does reach the handler, and is
	// the first to.
	in2, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID}, classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	if ev := e.h.next(t, e.ctx); ev.ID != in2.ID {
		t.Errorf("event from another server reached the handler: %+v", ev)
	}
}

// A form whose spec is no longer cached (another process, a restart past the memory
// cache) is read from the KV; when the KV is too slow, the person is told to try again
// in time instead of Discord showing "interaction failed".
func TestFormButtonWithSlowCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(_ *fakediscord.Options, o *Options) { o.AckBudget = 100 * time.Millisecond })
	f := &chat.Form{Action: "checkin.goal", Title: "Doel", Open: "Open", Fields: []chat.Field{{ID: "goal", Label: "Doel"}}}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: "f1", To: person("anna"), Text: "Doel?", Form: f}, Address: chat.Address{User: annaID}}); err != nil {
		t.Fatal(err)
	}
	msg := e.lastDM(annaID)
	e.a.forms = newFormCache(16) // as if another process had sent it

	// From the KV.
	in, err := e.fake.PressButton(fakediscord.Actor{User: annaID}, msg["id"].(string), buttonID(t, msg, "Open"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Wait(e.ctx, callbackFor(in)); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.fake.Modal(in.ID); !ok {
		t.Error("form from the KV did not open")
	}

	// KV hanging: an ephemeral "try again" within the budget.
	e.a.forms = newFormCache(16)
	block := make(chan struct{})
	defer close(block)
	e.kv.mu.Lock()
	e.kv.block = block
	e.kv.mu.Unlock()
	in2, err := e.fake.PressButton(fakediscord.Actor{User: annaID}, msg["id"].(string), buttonID(t, msg, "Open"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := e.fake.Wait(e.ctx, callbackFor(in2))
	if err != nil {
		t.Fatal(err)
	}
	if cb.JSON()["type"].(float64) != 4 || cb.Status != 204 {
		t.Errorf("callback with a hanging cache = %s (%d)", cb.Body, cb.Status)
	}
}

// A button on a message the whole class sees (a prompt) is acknowledged without
// changing the message for the others, and the answer to the pupil is ephemeral.
func TestButtonOnSharedMessageStaysOpenForOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.h.mu.Lock()
	e.h.reply = func(ev chat.Event) []chat.Message {
		return []chat.Message{{To: person("anna"), Text: "Je stem is geteld", ReplyRef: ev.ReplyRef}}
	}
	e.h.mu.Unlock()
	vote := chat.Message{ID: "v1", To: chat.Target{Kind: chat.ToClass, Class: "2b"}, Text: "Stelling: huiswerk moet verboden worden",
		Choices: []chat.Choice{{Action: "debate.vote", Value: "for", Label: "Voor"}, {Action: "debate.vote", Value: "against", Label: "Tegen"}}}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: vote, Address: chat.Address{Channel: classChan}}); err != nil {
		t.Fatal(err)
	}
	msg := e.fake.ChannelMessages(classChan)[0]
	in, err := e.fake.PressButton(fakediscord.Actor{User: annaID}, msg["id"].(string), buttonID(t, msg, "Voor"))
	if err != nil {
		t.Fatal(err)
	}
	if ev := e.h.next(t, e.ctx); ev.Action != "debate.vote" || ev.Value != "for" || ev.DM {
		t.Errorf("event = %+v", ev)
	}
	cb, _ := e.fake.Wait(e.ctx, callbackFor(in))
	if cb.JSON()["type"].(float64) != 6 {
		t.Errorf("callback type %v, want 6 (acknowledge without changing the shared message)", cb.JSON()["type"])
	}
	after, _ := e.fake.Message(msg["id"].(string))
	for _, b := range fakediscord.Buttons(after) {
		if b.Disabled {
			t.Errorf("button %q disabled for the whole class after one pupil pressed it", b.Label)
		}
	}
	fu, err := e.fake.Wait(e.ctx, webhookFor(in))
	if err != nil {
		t.Fatal(err)
	}
	var reply map[string]any
	_ = jsonUnmarshal(fu.Response, &reply)
	if int(reply["flags"].(float64))&64 == 0 {
		t.Errorf("the answer to one pupil's vote is visible to the class: %s", fu.Response)
	}
	// A staff-only message answering in a channel stays private even when the dialog
	// forgot to ask for an ephemeral message.
	staff := chat.Message{ID: "v2", To: person("anna"), Text: "alleen voor staf", Staff: true, ReplyRef: e.h.events[0].ReplyRef}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: staff, Address: chat.Address{User: annaID}}); err != nil {
		t.Fatal(err)
	}
	fus, err := e.fake.WaitN(e.ctx, 2, webhookFor(in))
	if err != nil {
		t.Fatal(err)
	}
	_ = jsonUnmarshal(fus[1].Response, &reply)
	if int(reply["flags"].(float64))&64 == 0 {
		t.Errorf("a staff-only follow-up in the class channel is public: %s", fus[1].Response)
	}
}
