package discord

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/poll"
)

// TestPollOnDiscord runs the sample shared conversation end to end with the real Engine
// and discordgo against the fake Discord, without the Message Content intent: the
// teacher's /poll starts a thread in the class channel with the question and its
// buttons; Anna votes by button (the post keeps its buttons for the others); Sanne
// answers in the thread by mentioning Kring; Daan's typed text without a mention,
// which Discord hides from Kring, gets him a DM saying how to answer, and his mention
// with @everyone in it is answered as no option; the timer closes the poll, the thread
// shows the totals and the teacher gets the tally. Nothing Kring posted pings anyone.
func TestPollOnDiscord(t *testing.T) {
	k := newKringWith(t, []dialog.Dialog{checkin.New(), poll.New()})
	in, err := k.fake.SlashCommand(k.actor("bakker"), classChan, "poll",
		fakediscord.Option{Name: "class", Type: 3, Value: "2B"},
		fakediscord.Option{Name: "poll", Type: 3, Value: "Pizza of patat? | Pizza | Patat"})
	if err != nil {
		t.Fatal(err)
	}
	k.decided(in.ID)
	ths := k.fake.ThreadsOf(classChan)
	if len(ths) != 1 || ths[0]["name"] != "Pizza of patat?" {
		t.Fatalf("threads = %v, want the poll's", ths)
	}
	thread := ths[0]["id"].(string)
	posts := k.fake.ChannelMessages(thread)
	if len(posts) != 1 || !strings.Contains(posts[0]["content"].(string), "Pizza of patat?") {
		t.Fatalf("thread messages = %v", posts)
	}
	post := posts[0]
	var labels []string
	for _, b := range fakediscord.Buttons(post) {
		labels = append(labels, b.Label)
	}
	if strings.Join(labels, "|") != "Pizza|Patat|Antwoord privé" {
		t.Fatalf("poll buttons = %v", labels)
	}

	// Anna votes by button: a silent acknowledgement, the class keeps the buttons, and
	// her confirmation is an ephemeral follow-up only she sees.
	vote, err := k.fake.PressButton(k.actor("anna"), post["id"].(string), buttonID(t, post, "Pizza"))
	if err != nil {
		t.Fatal(err)
	}
	k.decided(vote.ID)
	if ack := k.fake.InteractionAck(vote.ID); ack != 6 {
		t.Errorf("vote acknowledged with type %d, want 6 (nothing changes for the class)", ack)
	}
	after, _ := k.fake.Message(post["id"].(string))
	for _, b := range fakediscord.Buttons(after) {
		if b.Disabled {
			t.Fatalf("the class's poll lost button %q after Anna's vote", b.Label)
		}
	}
	fu, err := k.fake.Wait(k.ctx, webhookFor(vote))
	if err != nil {
		t.Fatal(err)
	}
	if body := fu.JSON(); !strings.Contains(body["content"].(string), "Genoteerd: “Pizza”") || int(body["flags"].(float64))&64 == 0 {
		t.Fatalf("Anna's confirmation = %s, want an ephemeral note", fu.Body)
	}

	// Daan types without a mention: Discord hides his text, so he is told how to answer.
	k.fake.ChannelMessage(k.actor("daan"), fakediscord.GuildMessage{Channel: thread, Text: "2"})
	if _, err := k.fake.Wait(k.ctx, func(r fakediscord.Request) bool {
		return strings.Contains(string(r.Body), "Discord liet Kring niet zien")
	}); err != nil {
		t.Fatal(err)
	}
	// Sanne mentions Kring with her answer; Daan mentions it with @everyone.
	bot := "<@" + k.fake.AppID() + ">"
	for _, say := range []struct{ who, text string }{{"sanne", bot + " 2"}, {"daan", bot + " @everyone <@" + k.ids["anna"] + "> weet niet"}} {
		id, _, err := k.fake.ChannelMessage(k.actor(say.who), fakediscord.GuildMessage{Channel: thread, Text: say.text})
		if err != nil {
			t.Fatal(err)
		}
		k.decided(id)
	}
	if got := k.newest("sanne")["content"].(string); !strings.Contains(got, "Genoteerd: “Patat”") {
		t.Fatalf("Sanne's DM = %q, want her typed vote confirmed", got)
	}
	if got := k.newest("daan")["content"].(string); !strings.Contains(got, "Dat herken ik niet") {
		t.Fatalf("Daan's DM = %q, want his text answered as no option", got)
	}

	// The timer closes the poll.
	k.Clock.Set(k.Clock.Now().Add(poll.PollDuration + time.Minute))
	k.Tick()
	posts = k.fake.ChannelMessages(thread)
	closing := posts[len(posts)-1]["content"].(string)
	if !strings.Contains(closing, "De peiling is gesloten") || !strings.Contains(closing, "Pizza: 1") || !strings.Contains(closing, "Patat: 1") {
		t.Fatalf("closing post = %q", closing)
	}
	report := k.newest("bakker")["content"].(string)
	for _, want := range []string{"2 van de", "Pizza: 1", "Patat: 1", "Niet geantwoord", "Daan"} {
		if !strings.Contains(report, want) {
			t.Errorf("teacher's report lacks %q: %q", want, report)
		}
	}

	// Nothing Kring posted (thread, class channel, DMs) notified anyone.
	var checked int
	chans := []string{thread, classChan}
	for _, id := range k.ids {
		if ch, ok := k.fake.DMChannel(id); ok {
			chans = append(chans, ch)
		}
	}
	for _, ch := range chans {
		for _, m := range k.fake.ChannelMessages(ch) {
			if a, _ := m["author"].(map[string]any); a["id"] != k.fake.AppID() {
				continue
			}
			checked++
			if p := k.fake.Pinged(m["id"].(string)); !p.None() {
				t.Errorf("message %q pinged %+v", m["content"], p)
			}
		}
	}
	if checked < 6 {
		t.Errorf("only %d of Kring's messages checked for pings", checked)
	}
}
