package slack

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
)

// tap is the Engine with a signal when it has handled an event, so the test knows
// when to let the outbox deliver (the Engine's other methods are promoted).
type tap struct {
	*bot.Engine
	done chan string
}

func (t *tap) Handle(ctx context.Context, ev chat.Event) []chat.Message {
	out := t.Engine.Handle(ctx, ev)
	t.done <- ev.ID
	return out
}

// slackSchool is the example school with a Slack workspace: every person's Slack id
// is U + their roster id in capitals, class 2B posts in C02B.
func slackSchool(t testing.TB) *config.School {
	s := bottest.ExampleSchool(t)
	s.Slack.Team = testTeam
	for _, c := range s.Classes {
		c.Slack.Channel = "C0" + strings.ToUpper(c.ID)
	}
	for _, p := range s.People {
		p.Slack = "U" + strings.ToUpper(p.ID)
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

// kring is a whole Kring (Engine, outbox, scheduler, check-in dialog, real Redis) with
// the Slack adapter in Socket Mode on a fake Slack.
type kring struct {
	*rig
	h   *bottest.Harness
	tap *tap
}

func newKring(t *testing.T, dialogs ...dialog.Dialog) *kring {
	t.Helper()
	return newKringLog(t, quietLog(), nil, dialogs...)
}

// newKringLog is newKring with the adapter's and the core's logs to log, and fo
// (optional) adjusting the fake Slack.
func newKringLog(t *testing.T, log *slog.Logger, fo func(*fakeslack.Options), dialogs ...dialog.Dialog) *kring {
	t.Helper()
	school := slackSchool(t)
	clk := clock.NewFake(bottest.Monday0750)
	fopt := fakeslack.Options{Team: testTeam, BotToken: botToken, AppToken: appToken, Clock: clk}
	if fo != nil {
		fo(&fopt)
	}
	fake := fakeslack.New(fopt)
	t.Cleanup(fake.Close)
	a, err := New(Options{BotToken: botToken, AppToken: appToken, School: school, Catalog: testCatalog(t), Clock: clk,
		Log: log, APIURL: fake.APIURL, HTTPClient: &http.Client{Transport: localOnly{}}, Pace: Pace{PerChannel: 1000, ChannelBurst: 1000, Methods: fastMethods()}})
	if err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, bottest.Options{School: school, Adapters: []chat.Adapter{a}, Clock: clk, Dialogs: dialogs, Log: log})
	tp := &tap{Engine: h.Engine, done: make(chan string, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{t: t, fake: fake, a: a, ctx: ctx, runOK: make(chan error, 1)}
	go func() { r.runOK <- a.Run(ctx, tp) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.runOK; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	return &kring{rig: r, h: h, tap: tp}
}

// handled waits until the Engine handled event id and the adapter sent its immediate
// replies, then lets the outbox deliver what the step queued.
func (k *kring) handled(id string) {
	k.t.Helper()
	for {
		select {
		case got := <-k.tap.done:
			if got != id {
				continue
			}
			k.settle()
			k.h.Tick()
			return
		case <-time.After(10 * time.Second):
			k.t.Fatalf("event %s never reached the Engine", id)
		}
	}
}

func (k *kring) say(user, eventID, text string, retry int) {
	k.t.Helper()
	k.envelope(fakeslack.Envelope{Type: "events_api", RetryAttempt: retry,
		Payload: k.fake.EventCallback(eventID, k.fake.MessageIM(user, text))})
	k.handled("ev:" + eventID)
}

func (k *kring) press(user, label string) {
	k.t.Helper()
	m := k.lastMessage(k.fake.DM(user))
	p, err := k.fake.PressButton(m, user, label)
	if err != nil {
		k.t.Fatal(err)
	}
	k.envelope(fakeslack.Envelope{Type: "interactive", Payload: p})
	k.handled("act:" + p["trigger_id"].(string))
}

// TestCheckInMorningOnSlack runs the morning with the real Engine and check-in dialog:
// the 08:15 job DMs every pupil, Sanne answers in her DM, with the mood buttons and
// her goal in a modal, her
// check-in is stored, her App Home and her mentor's are refreshed, a retried event
// has one effect, a pupil's alarming words reach the mentor without pinging anyone,
// and a stranger is told politely they are not enrolled.
func TestCheckInMorningOnSlack(t *testing.T) {
	k := newKring(t)
	ctx := k.ctx
	k.h.At("08:15")
	pupils := k.h.School.Members("2B", config.Pupil)
	for _, p := range pupils {
		ms := k.fake.Messages(k.fake.DM(p.Slack))
		if len(ms) != 1 || !strings.Contains(ms[0].Text, "Tijd voor je check-in") {
			t.Fatalf("%s got %d messages at 08:15: %+v", p.ID, len(ms), ms)
		}
	}
	if n := len(k.fake.Calls("conversations.open")); n != len(pupils) {
		t.Fatalf("conversations.open %d times for %d pupils", n, len(pupils))
	}
	if n := len(k.fake.Messages(k.fake.DM("UDEVRIES"))); n != 0 {
		t.Fatalf("the mentor got %d check-in messages", n)
	}

	dm := k.fake.DM("USANNE")
	k.say("USANNE", "Ev1", "Spreekbeurt <!channel> @here", 0)
	// Slack redelivers the same event: the Engine sees the same id and drops it.
	k.say("USANNE", "Ev1", "Spreekbeurt <!channel> @here", 1)
	ms := k.fake.Messages(dm)
	if len(ms) != 2 || len(fakeslack.Buttons(ms[1])) != 5 {
		t.Fatalf("after the open answer (sent twice) sanne has %d messages, want the mood question once", len(ms))
	}
	k.press("USANNE", "🙂 Goed")
	if m, _ := k.fake.Message(dm, ms[1].TS); m.Updates != 1 || len(fakeslack.Buttons(m)) != 0 {
		t.Fatalf("the mood question still has buttons after the press: %s", visible(m))
	}
	// Today's goal through the modal: the button opens it within the trigger's life, a
	// too-long goal is refused inside it, a good one is taken.
	goalQ := k.lastMessage(dm)
	open, err := k.fake.PressButton(goalQ, "USANNE", "✏️ Schrijf je antwoord")
	if err != nil {
		t.Fatal(err)
	}
	k.envelope(fakeslack.Envelope{Type: "interactive", Payload: open})
	k.wait(func() bool { return len(k.fake.OpenedViews()) == 1 })
	view := k.fake.OpenedViews()[0]
	tooLong, _ := k.fake.Submit(view, "USANNE", map[string]string{"answer": strings.Repeat("lang ", 100)})
	if ack := k.envelope(fakeslack.Envelope{Type: "interactive", Payload: tooLong}); !strings.Contains(string(ack), `"errors"`) {
		t.Fatalf("a too-long goal was not refused inside the modal: %s", ack)
	}
	sub, _ := k.fake.Submit(view, "USANNE", map[string]string{"answer": "Spreekbeurt afmaken"})
	if ack := k.envelope(fakeslack.Envelope{Type: "interactive", Payload: sub}); string(ack) != "null" {
		t.Fatalf("good goal: ack %s, want the modal closed", ack)
	}
	k.handled("form:" + sub["trigger_id"].(string))
	if m, _ := k.fake.Message(goalQ.Channel, goalQ.TS); len(fakeslack.Buttons(m)) != 0 {
		t.Fatalf("the goal question still offers its form after the submission: %s", visible(m))
	}
	k.press("USANNE", "Nee, dank je")
	last := visible(k.lastMessage(dm))
	if !strings.Contains(last, "Spreekbeurt afmaken") {
		t.Fatalf("closing message %q does not repeat the goal", last)
	}
	recent, err := k.h.Engine.RecentCheckIns(ctx, "sanne", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 1 || recent[0].Mood != 4 || recent[0].Goal != "Spreekbeurt afmaken" || recent[0].Status != "done" ||
		recent[0].Open != "Spreekbeurt @channel @here" {
		t.Fatalf("stored check-in = %+v", recent)
	}
	// The App Homes of Sanne and her mentor follow her new check-in.
	k.wait(func() bool {
		v, ok := k.fake.Home("USANNE")
		return ok && strings.Contains(visible(fakeslack.Message{Blocks: v.Blocks}), "Spreekbeurt afmaken")
	})
	k.wait(func() bool {
		v, ok := k.fake.Home("UDEVRIES")
		return ok && strings.Contains(visible(fakeslack.Message{Blocks: v.Blocks}), "*Sanne Smit* · laatste check-in 2026-11-23   🙂")
	})

	// Anna's words alarm the mentor; whatever she typed cannot ping or link.
	k.say("UANNA", "Ev4", "ik word gepest <!channel> @here @everyone <@UDEVRIES> <https://evil.example|klik>", 0)
	mentorDM := k.fake.DM("UDEVRIES")
	alerts := k.fake.Messages(mentorDM)
	if len(alerts) != 1 || !strings.Contains(alerts[0].Text, "gepest") {
		t.Fatalf("mentor DMs = %+v, want one alert", alerts)
	}
	if seen := mrkdwnTexts(alerts[0]); pings.MatchString(seen) {
		t.Fatalf("the alert would ping or link: %q", seen)
	}

	// Someone not on the roster.
	p := k.fake.SlashCommand("U0STRANGER", "C02B", "/kring", "incheck")
	k.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: p})
	k.handled("cmd:" + p["trigger_id"].(string))
	var resp []fakeslack.Message
	for _, m := range k.fake.Responses() {
		if m.Channel == "C02B" {
			resp = append(resp, m)
		}
	}
	if len(resp) != 1 || !resp[0].Ephemeral || resp[0].User != "U0STRANGER" || !strings.Contains(resp[0].Text, "niet ingeschreven") {
		t.Fatalf("stranger's answer = %+v, want the ephemeral not-enrolled note", resp)
	}

	// A stranger who writes to Kring directly gets the same note in that DM, and Kring
	// opens no conversation for it.
	opensBefore := len(k.fake.Calls("conversations.open"))
	k.say("U0STRANGER", "Ev5", "hallo?", 0)
	if ms := k.fake.Messages(k.fake.DM("U0STRANGER")); len(ms) != 1 || !strings.Contains(ms[0].Text, "niet ingeschreven") ||
		len(k.fake.Calls("conversations.open")) != opensBefore {
		t.Fatalf("stranger's DM = %+v", ms)
	}

	// /kring hulp lists the commands the Slack way.
	p = k.fake.SlashCommand("USANNE", dm, "/kring", "hulp")
	k.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: p})
	k.handled("cmd:" + p["trigger_id"].(string))
	help := visible(k.lastMessage(dm))
	if !strings.Contains(help, "*/kring incheck*") || strings.Contains(help, "*/incheck*") {
		t.Fatalf("help = %q, want commands spelled /kring NAME", help)
	}

	// Tomorrow's check-in needs no conversations.open: the DM ids are in Redis.
	opens := len(k.fake.Calls("conversations.open"))
	before := len(k.fake.Messages(k.fake.DM("UMILAN")))
	k.h.Clock.Set(bottest.Monday0750.Add(24 * time.Hour))
	k.h.At("08:15")
	if n := len(k.fake.Calls("conversations.open")); n != opens {
		t.Fatalf("conversations.open went from %d to %d on day two", opens, n)
	}
	if n := len(k.fake.Messages(k.fake.DM("UMILAN"))); n <= before {
		t.Fatalf("milan got no check-in on Tuesday (%d messages, %d before)", n, before)
	}
}
