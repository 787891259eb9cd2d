package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/poll"
)

// TestPollOnSlack runs the sample shared conversation end to end with the real Engine
// and slack-go against the fake Slack: a teacher's /kring peiling opens a thread in the
// class channel with the question and its buttons; Anna votes by button (the post keeps
// its buttons for the others), Sanne types her answer in the thread, Daan types something
// with <!channel> and @here in it; when the timer closes the poll the thread shows the
// totals and the teacher gets the tally privately. Nothing a pupil wrote can ping.
func TestPollOnSlack(t *testing.T) {
	k := newKring(t, []dialog.Dialog{checkin.New(), poll.New()}...)
	p := k.fake.SlashCommand("UBAKKER", "C02B", "/kring", "peiling Pizza of patat? | Pizza | Patat")
	k.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: p})
	k.handled("cmd:" + p["trigger_id"].(string))

	ms := k.shared("C02B")
	if len(ms) != 2 || ms[0].ThreadTS != "" || !strings.Contains(visible(ms[0]), "Pizza of patat?") || ms[1].ThreadTS != ms[0].TS {
		t.Fatalf("class channel = %+v, want the thread's title and the poll in its thread", ms)
	}
	parent, post := ms[0], ms[1]
	if got := fakeslack.Buttons(post); strings.Join(got, "|") != "Pizza|Patat|Antwoord privé" {
		t.Fatalf("poll buttons = %v", got)
	}

	// Anna votes by button. The shared post keeps its buttons; her confirmation is hers alone.
	vote, err := k.fake.PressButton(post, "UANNA", "Pizza")
	if err != nil {
		t.Fatal(err)
	}
	k.envelope(fakeslack.Envelope{Type: "interactive", Payload: vote})
	k.handled("act:" + vote["trigger_id"].(string))
	if m, _ := k.fake.Message("C02B", post.TS); m.Updates != 0 || len(fakeslack.Buttons(m)) != 3 {
		t.Fatalf("the class's poll lost its buttons after Anna's vote: %s", visible(m))
	}
	if !k.privateNote("UANNA", "Genoteerd: “Pizza”") {
		t.Fatalf("Anna was not told, privately, that her vote counts: %+v", k.fake.Responses())
	}

	// Sanne types her answer in the thread; Daan types something that is no option.
	for i, say := range []struct{ user, text string }{{"USANNE", "2"}, {"UDAAN", "<!channel> @here ik weet het niet"}} {
		evs := k.fake.ChannelMessage(say.user, "C02B", parent.TS, say.text, false)
		k.envelope(fakeslack.Envelope{Type: "events_api", Payload: k.fake.EventCallback("EvT"+string(rune('0'+i)), evs[0])})
		k.handled("msg:C02B/" + evs[0]["ts"].(string))
	}
	if !k.privateNote("USANNE", "Genoteerd: “Patat”") {
		t.Fatalf("Sanne's typed answer was not taken: %+v", k.fake.Responses())
	}
	if !k.privateNote("UDAAN", "Dat herken ik niet") {
		t.Fatalf("Daan was not told his text is no option: %+v", k.fake.Responses())
	}

	// The poll's timer closes it.
	k.h.Clock.Set(k.h.Clock.Now().Add(poll.PollDuration + time.Minute))
	k.h.Tick()
	closing := k.shared("C02B")[len(k.shared("C02B"))-1]
	last := visible(closing)
	if !strings.Contains(last, "De peiling is gesloten") || !strings.Contains(last, "Pizza: 1") || !strings.Contains(last, "Patat: 1") {
		t.Fatalf("closing post = %q", last)
	}
	if closing.ThreadTS != parent.TS {
		t.Fatalf("the result was not posted in the poll's thread: %+v", closing)
	}
	report := visible(k.lastMessage(k.fake.DM("UBAKKER")))
	for _, want := range []string{"2 van de", "Pizza: 1", "Patat: 1", "Niet geantwoord", "Daan"} {
		if !strings.Contains(report, want) {
			t.Errorf("teacher's report lacks %q: %q", want, report)
		}
	}

	// Nothing Kring posted, in the channel, in DMs or as a private note, can ping or link.
	all := append(k.fake.Messages("C02B"), k.fake.Responses()...)
	for _, u := range []string{"UANNA", "USANNE", "UDAAN", "UBAKKER"} {
		all = append(all, k.fake.Messages(k.fake.DM(u))...)
	}
	for _, m := range all {
		if seen := mrkdwnTexts(m); pings.MatchString(seen) {
			t.Errorf("message in %s would ping or link: %q", m.Channel, seen)
		}
	}
}

// shared returns the messages in channel that everyone there sees.
func (k *kring) shared(channel string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range k.fake.Messages(channel) {
		if !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

// privateNote reports whether user got a message containing text that only they see:
// an ephemeral note in the channel or a DM.
func (k *kring) privateNote(user, text string) bool {
	for _, m := range append(k.fake.Responses(), k.fake.Messages("C02B")...) {
		if m.Ephemeral && m.User == user && strings.Contains(visible(m), text) {
			return true
		}
	}
	for _, m := range k.fake.Messages(k.fake.DM(user)) {
		if strings.Contains(visible(m), text) {
			return true
		}
	}
	return false
}
