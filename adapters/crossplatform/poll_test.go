// Package crossplatform_test runs Kring with the Discord and the Slack adapter connected
// at once, each against its fake platform, through one Engine: what a class sees on
// either platform, and that answers from both count in one poll.
package crossplatform_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord"
	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/adapters/slack"
	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/storetest"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/poll"
)

const (
	guild     = "200000000000000001"
	classChan = "300000000000000001"
	team      = "T0KRING"
	botToken  = "xoxb-test-bot"
	appToken  = "xapp-1-test-app"
)

// signal is the Engine, telling the test when it has decided an event.
type signal struct {
	chat.Engine
	done chan string
}

func (s *signal) Handle(ctx context.Context, ev chat.Event) []chat.Message {
	out := s.Engine.Handle(ctx, ev)
	s.done <- ev.ID
	return out
}

// localOnly keeps every Slack request on this machine.
type localOnly struct{}

func (localOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if h := r.URL.Hostname(); h != "127.0.0.1" && h != "localhost" {
		return nil, fmt.Errorf("test tried to reach %s", r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestPollOnDiscordAndSlack: class 2B has a channel on both platforms; the teacher and
// Anna use Discord, Sanne uses Slack. The teacher's /poll on Discord opens a thread with
// the question on both platforms; Anna votes with a Discord button, Sanne types her
// answer in the Slack thread; the timer closes the poll: both threads show the same
// totals and the teacher gets one tally, counting both.
func TestPollOnDiscordAndSlack(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	school := bottest.ExampleSchool(t)
	school.Discord.Guild, school.Slack.Team = guild, team
	school.Classes[0].Discord.Channel, school.Classes[0].Slack.Channel = classChan, "C02B"
	ids := map[string]string{"bakker": "430000000000000001", "anna": "430000000000000002"}
	for _, p := range school.People {
		p.Discord, p.Slack = ids[p.ID], ""
	}
	p, _ := school.Person("sanne")
	p.Slack = "USANNE"
	if err := school.Prepare(); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(bottest.Monday0750)
	quiet := slog.New(slog.DiscardHandler)

	fd := fakediscord.New(fakediscord.Options{Guild: guild, Channels: map[string]string{classChan: "klas-2b"}})
	t.Cleanup(fd.Close)
	da, err := discord.New(discord.Options{Token: fd.Token(), School: school, Clock: clk, HTTPClient: fd.Client(), Rate: 1000, Log: quiet,
		KV: store.New(rdb, prefix, school.ID, school.Retention.Std()).KV(string(chat.Discord))})
	if err != nil {
		t.Fatal(err)
	}
	fs := fakeslack.New(fakeslack.Options{Team: team, BotToken: botToken, AppToken: appToken, Clock: clk})
	t.Cleanup(fs.Close)
	sa, err := slack.New(slack.Options{BotToken: botToken, AppToken: appToken, School: school, Clock: clk, Log: quiet,
		APIURL: fs.APIURL, HTTPClient: &http.Client{Transport: localOnly{}}, Pace: slack.Pace{PerChannel: 1000, ChannelBurst: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, bottest.Options{School: school, Adapters: []chat.Adapter{da, sa}, Redis: rdb, Prefix: prefix, Clock: clk,
		Dialogs: []dialog.Dialog{checkin.New(), poll.New()}})
	sig := &signal{Engine: h.Engine, done: make(chan string, 64)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- da.Run(runCtx, sig) }()
	go func() { done <- sa.Run(runCtx, sig) }()
	t.Cleanup(func() {
		stop()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	})
	if _, err := fd.Wait(ctx, fakediscord.Route("PUT", "/applications/*/guilds/*/commands")); err != nil {
		t.Fatal(err)
	}
	if err := fs.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	decided := func(id string) {
		t.Helper()
		for {
			select {
			case got := <-sig.done:
				if got == id {
					h.Tick()
					return
				}
			case <-ctx.Done():
				t.Fatalf("event %s was not decided", id)
			}
		}
	}

	in, err := fd.SlashCommand(fakediscord.Actor{User: ids["bakker"]}, classChan, "poll",
		fakediscord.Option{Name: "poll", Type: 3, Value: "Pizza of patat? | Pizza | Patat"})
	if err != nil {
		t.Fatal(err)
	}
	decided(in.ID)

	// The question in a thread of the class channel on both platforms.
	ths := fd.ThreadsOf(classChan)
	if len(ths) != 1 {
		t.Fatalf("Discord threads = %v", ths)
	}
	thread := ths[0]["id"].(string)
	dpost := fd.ChannelMessages(thread)
	var shared []fakeslack.Message
	for _, m := range fs.Messages("C02B") {
		if !m.Ephemeral {
			shared = append(shared, m)
		}
	}
	if len(dpost) != 1 || len(shared) != 2 || shared[1].ThreadTS != shared[0].TS ||
		!strings.Contains(dpost[0]["content"].(string), "Pizza of patat?") || !strings.Contains(shared[1].Text, "Pizza of patat?") {
		t.Fatalf("poll posts: Discord thread %v; Slack channel %+v", dpost, shared)
	}

	// Anna votes with the Discord button, Sanne types in the Slack thread.
	var pizza string
	for _, b := range fakediscord.Buttons(dpost[0]) {
		if b.Label == "Pizza" {
			pizza = b.CustomID
		}
	}
	vote, err := fd.PressButton(fakediscord.Actor{User: ids["anna"]}, dpost[0]["id"].(string), pizza)
	if err != nil {
		t.Fatal(err)
	}
	decided(vote.ID)
	evs := fs.ChannelMessage("USANNE", "C02B", shared[0].TS, "2", false)
	env, err := fs.Send(ctx, fakeslack.Envelope{Type: "events_api", Payload: fs.EventCallback("EvS1", evs[0])})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Ack(ctx, env); err != nil {
		t.Fatal(err)
	}
	decided("msg:C02B/" + evs[0]["ts"].(string))

	// The timer closes it; both threads show the totals, the teacher gets one tally.
	clk.Set(clk.Now().Add(poll.PollDuration + time.Minute))
	h.Tick()
	dposts := fd.ChannelMessages(thread)
	dclose := dposts[len(dposts)-1]["content"].(string)
	sposts := fs.Messages("C02B")
	sclose := sposts[len(sposts)-1]
	for _, got := range []string{dclose, sclose.Text} {
		if !strings.Contains(got, "De peiling is gesloten") || !strings.Contains(got, "Pizza: 1") || !strings.Contains(got, "Patat: 1") {
			t.Errorf("closing post = %q", got)
		}
	}
	if sclose.ThreadTS != shared[0].TS {
		t.Errorf("Slack's closing post is not in the poll's thread: %+v", sclose)
	}
	dm, _ := fd.DMChannel(ids["bakker"])
	reports := 0
	for _, m := range fd.ChannelMessages(dm) {
		if c := m["content"].(string); strings.Contains(c, "Uitslag van je peiling") {
			reports++
			if !strings.Contains(c, "2 van de") || !strings.Contains(c, "Pizza: 1") || !strings.Contains(c, "Patat: 1") {
				t.Errorf("teacher's tally = %q", c)
			}
		}
	}
	if reports != 1 {
		t.Errorf("the teacher got %d tallies, want 1", reports)
	}
}
