package discord

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/storetest"
)

// signalling wraps the Engine so the test knows when an event has been decided.
type signalling struct {
	chat.Engine
	done chan string
}

func (s *signalling) Handle(ctx context.Context, ev chat.Event) []chat.Message {
	out := s.Engine.Handle(ctx, ev)
	s.done <- ev.ID
	return out
}

// morningKring is the example school on Discord: the real Engine, check-in dialog,
// outbox and scheduler on the test Redis, this adapter, and the fake Discord.
type morningKring struct {
	*bottest.Harness
	fake *fakediscord.Server
	a    *Adapter
	sig  *signalling
	ctx  context.Context
	ids  map[string]string // roster id -> Discord user id
}

func newMorningKring(t *testing.T) *morningKring {
	t.Helper()
	return newKringWith(t, nil)
}

// newKringWith is newMorningKring with other dialogs (nil: the check-in).
func newKringWith(t *testing.T, dialogs []dialog.Dialog) *morningKring {
	t.Helper()
	return newKringLogWith(t, slog.New(slog.DiscardHandler), dialogs)
}

// newMorningKringLog is newMorningKring with the adapter's and the core's logs to log.
func newMorningKringLog(t *testing.T, log *slog.Logger) *morningKring {
	t.Helper()
	return newKringLogWith(t, log, nil)
}

// newKringLogWith is newMorningKring with logs to log and other dialogs (nil: the check-in).
func newKringLogWith(t *testing.T, log *slog.Logger, dialogs []dialog.Dialog) *morningKring {
	t.Helper()
	rdb, prefix := storetest.Redis(t)
	school := bottest.ExampleSchool(t)
	school.Discord.Guild = guildID
	class := school.Classes[0]
	class.Discord.Channel = classChan
	ids := map[string]string{}
	for i, p := range school.People {
		p.Discord = fmt.Sprintf("4300000000000000%02d", i)
		ids[p.ID] = p.Discord
	}
	if err := school.Prepare(); err != nil {
		t.Fatal(err)
	}
	fake := fakediscord.New(fakediscord.Options{Guild: guildID, Channels: map[string]string{classChan: "klas-2b"}})
	t.Cleanup(fake.Close)
	clk := clock.NewFake(bottest.Monday0750)
	kv := store.New(rdb, prefix, school.ID, school.Retention.Std()).KV(string(chat.Discord))
	a, err := New(Options{
		Token: fake.Token(), School: school, KV: kv, Clock: clk, HTTPClient: fake.Client(), Rate: 1000,
		Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := bottest.Options{School: school, Adapters: []chat.Adapter{a}, Redis: rdb, Prefix: prefix, Clock: clk, Dialogs: dialogs}
	if log.Handler() != slog.DiscardHandler {
		o.Log = log
	}
	h := bottest.New(t, o)
	sig := &signalling{Engine: h.Engine, done: make(chan string, 64)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, sig) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if _, err := fake.Wait(ctx, fakediscord.Route("PUT", "/applications/*/guilds/*/commands")); err != nil {
		t.Fatal(err)
	}
	return &morningKring{Harness: h, fake: fake, a: a, sig: sig, ctx: ctx, ids: ids}
}

// decided waits until the Engine has decided event id, then delivers what it queued.
func (k *morningKring) decided(id string) {
	k.T.Helper()
	for {
		select {
		case got := <-k.sig.done:
			if got == id {
				k.Tick()
				return
			}
		case <-k.ctx.Done():
			k.T.Fatalf("event %s was not decided", id)
		}
	}
}

func (k *morningKring) actor(person string) fakediscord.Actor {
	return fakediscord.Actor{User: k.ids[person]}
}

// newest returns the newest message Kring left in person's DM channel (follow-ups included).
func (k *morningKring) newest(person string) map[string]any {
	k.T.Helper()
	ch, ok := k.fake.DMChannel(k.ids[person])
	if !ok {
		k.T.Fatalf("no DM channel with %s", person)
	}
	ms := k.fake.ChannelMessages(ch)
	if len(ms) == 0 {
		k.T.Fatalf("no message to %s", person)
	}
	return ms[len(ms)-1]
}

// press presses the button labelled label on person's newest message.
func (k *morningKring) press(person, label string) {
	k.T.Helper()
	msg := k.newest(person)
	in, err := k.fake.PressButton(k.actor(person), msg["id"].(string), buttonID(k.T, msg, label))
	if err != nil {
		k.T.Fatal(err)
	}
	k.decided(in.ID)
	after, _ := k.fake.Message(msg["id"].(string))
	for _, b := range fakediscord.Buttons(after) {
		if !b.Disabled {
			k.T.Errorf("after pressing %q, button %q can still be pressed", label, b.Label)
		}
	}
}

// The check-in morning of the example school on Discord, through the real Engine and
// outbox: a teacher sets the day plan with a slash command; at 08:15 every pupil gets
// a DM; Anna answers by typing and with buttons, each answer arriving in place of the
// last (interaction follow-ups); her open answer names a worry and @everyone, which
// alerts her mentor without pinging anyone; Daan blocks DMs, so his mentor is told and
// Daan gets his check-in privately when he uses /checkin in the class channel; and a
// stranger gets the "not enrolled" reply only.
func TestCheckinMorningOnDiscord(t *testing.T) {
	k := newMorningKring(t)
	L := k.Catalog.For("nl")
	k.fake.RefuseDMs(k.ids["daan"])

	// 07:55 — Mevr. Bakker sets today's plan for 2B.
	k.Clock.Set(bottest.Monday0750.Add(5 * time.Minute))
	plan, err := k.fake.SlashCommand(k.actor("bakker"), classChan, "dayplan",
		fakediscord.Option{Name: "plan", Type: 3, Value: "Wiskunde: opgaven 4-8; Lees hoofdstuk 3"})
	if err != nil {
		t.Fatal(err)
	}
	k.decided(plan.ID)
	fu, err := k.fake.Wait(k.ctx, webhookFor(plan))
	if err != nil {
		t.Fatal(err)
	}
	var saved map[string]any
	_ = jsonUnmarshal(fu.Response, &saved)
	if int(saved["flags"].(float64))&64 == 0 || !strings.Contains(saved["content"].(string), "Wiskunde") {
		t.Errorf("day plan confirmation = %s", fu.Response)
	}

	// 08:15 — the check-in goes out by DM.
	k.At("08:15")
	for _, p := range []string{"anna", "sanne", "milan", "fleur", "yusuf"} {
		greet := k.newest(p)
		if !strings.Contains(greet["content"].(string), L.T("checkin.open.question")) {
			t.Errorf("%s's first DM = %q", p, greet["content"])
		}
	}
	if _, ok := k.fake.DMChannel(k.ids["bakker"]); ok {
		t.Error("a teacher got a pupil's check-in")
	}

	// Daan's DM was refused (50007): his mentor hears of it, once, privately.
	k.Tick()
	notice := k.newest("devries")
	if !strings.Contains(notice["content"].(string), "Daan") || !strings.Contains(notice["content"].(string), "discord") {
		t.Errorf("mentor notice = %q", notice["content"])
	}

	// Anna types her open answer: it mentions a worry and tries to ping everyone.
	id, _, err := k.fake.DirectMessage(k.actor("anna"), "Ik word gepest @everyone <@&500000000000000001> **help**")
	if err != nil {
		t.Fatal(err)
	}
	k.decided(id)
	mood := k.newest("anna")
	if len(fakediscord.Buttons(mood)) != 5 {
		t.Errorf("mood question with %d buttons, want 5: %v", len(fakediscord.Buttons(mood)), mood["content"])
	}
	alert := k.newest("devries")
	ac := alert["content"].(string)
	if !strings.Contains(ac, "gepest") || strings.Contains(ac, "@everyone") || strings.Contains(ac, "<@&") {
		t.Errorf("mentor alert = %q", ac)
	}
	if p := k.fake.Pinged(alert["id"].(string)); !p.None() {
		t.Errorf("the alert with Anna's words pinged %+v", p)
	}

	// Buttons from here: each answer updates the pressed message and the next question
	// arrives as a follow-up of that interaction.
	webhooks := k.fake.Count(fakediscord.Route("POST", "/webhooks/**"))
	k.press("anna", L.T("checkin.mood.4"))
	if k.fake.Count(fakediscord.Route("POST", "/webhooks/**")) <= webhooks {
		t.Error("the question after a button press did not come as an interaction follow-up")
	}
	if !strings.Contains(k.newest("anna")["content"].(string), "Wiskunde") {
		t.Errorf("plan question = %q", k.newest("anna")["content"])
	}
	k.press("anna", L.T("checkin.plan.ok"))
	k.press("anna", L.T("checkin.help.no"))
	if last := k.newest("anna")["content"].(string); !strings.Contains(last, "Anna") {
		t.Errorf("closing message = %q", last)
	}

	// Daan, who blocks DMs, uses /checkin in the class channel: his check-in comes as
	// ephemeral replies there, nothing public.
	in, err := k.fake.SlashCommand(k.actor("daan"), classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	k.decided(in.ID)
	fu, err = k.fake.Wait(k.ctx, webhookFor(in))
	if err != nil {
		t.Fatal(err)
	}
	var reply map[string]any
	_ = jsonUnmarshal(fu.Response, &reply)
	if int(reply["flags"].(float64))&64 == 0 || len(fakediscord.Buttons(reply)) == 0 {
		t.Errorf("Daan's check-in in the channel = %s", fu.Response)
	}
	for _, m := range k.fake.ChannelMessages(classChan) {
		if int(m["flags"].(float64))&64 == 0 && m["content"] != "" {
			t.Errorf("public message in the class channel: %q", m["content"])
		}
	}

	// A stranger gets the polite "not enrolled" (with how to link a code) and nothing else.
	before := len(k.fake.Requests())
	sin, err := k.fake.SlashCommand(fakediscord.Actor{User: strangerID}, classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	k.decided(sin.ID)
	sfu, err := k.fake.Wait(k.ctx, webhookFor(sin))
	if err != nil {
		t.Fatal(err)
	}
	var nr map[string]any
	_ = jsonUnmarshal(sfu.Response, &nr)
	if nr["content"] != Render(L.T("link.unknown", "Example", "ACEF-HJKM")) || int(nr["flags"].(float64))&64 == 0 {
		t.Errorf("stranger reply = %s", sfu.Response)
	}
	if n := len(k.fake.Requests()) - before; n != 2 {
		t.Errorf("%d requests for a stranger, want the callback and one reply", n)
	}

	for _, r := range k.fake.Requests() {
		if r.Status >= 400 && !(r.Status == 403 && strings.Contains(string(r.Response), "50007")) {
			t.Errorf("Discord refused a request: %s -> %s", r, r.Response)
		}
		if r.Method == "POST" && (strings.HasSuffix(r.Path, "/messages") || strings.HasPrefix(r.Path, "/webhooks/")) {
			if am, ok := r.JSON()["allowed_mentions"].(map[string]any); !ok || len(am["parse"].([]any)) != 0 {
				t.Errorf("%s without empty allowed_mentions", r)
			}
		}
	}
}
