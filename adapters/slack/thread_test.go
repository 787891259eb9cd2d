package slack

import (
	"strings"
	"testing"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
)

// events sends each Events API payload as a Socket Mode envelope, then waits until
// the adapter has processed them.
func (r *rig) events(prefix string, evs ...map[string]any) {
	r.t.Helper()
	for i, ev := range evs {
		r.envelope(fakeslack.Envelope{Type: "events_api", Payload: r.fake.EventCallback(prefix+string(rune('a'+i)), ev)})
	}
	r.settle()
}

// A reply in a thread Kring opened reaches the Engine with the thread's logical key;
// a mention in the class channel or a reply under one of Kring's posts is marked
// Mention (once, though Slack sends message and app_mention both); everything else in
// a channel (chatter, edits, joins, Kring's own posts) never reaches the Engine.
func TestChannelAndThreadMessages(t *testing.T) {
	r := newRig(t, ModeSocket)
	bot := r.fake.BotUser()
	thread := chat.Message{ID: "p1", Text: "Vraag?", To: chat.Target{Kind: chat.ToThread, Class: "2b", Thread: "poll:abc", ThreadTitle: "Pizza of patat?"}}
	if err := r.a.Send(r.ctx, chat.Delivery{Message: thread, Address: chat.Address{Channel: "C02B"}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	parent := r.fake.Messages("C02B")[0]
	post := chat.Message{ID: "p2", Text: "Goedemorgen 2B", To: chat.Target{Kind: chat.ToClass, Class: "2b"}}
	if err := r.a.Send(r.ctx, chat.Delivery{Message: post, Address: chat.Address{Channel: "C02B"}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	classPost := r.lastMessage("C02B")

	// Noise first: none of it may reach the Engine.
	r.events("noise",
		r.fake.ChannelMessage("U0ANNA", "C02B", "", "wie heeft de huiswerk?", false)[0],
		r.fake.ChannelMessage("U0ANNA", "C03A", "", "<@"+bot+"> in another class's channel is fine", false)[0],
		r.fake.ChannelMessage("U0ANNA", "C0OTHER", "", "<@"+bot+"> not a class channel", false)[0],
		r.fake.ChannelJoin("U0EMMA", "C02B"),
		r.fake.MessageChanged("U0ANNA", "C02B", parent.TS, "<@"+bot+"> edited"),
		r.fake.BotEcho(classPost),
	)
	if got := r.h.next(t); got.Channel != "C03A" || !got.Mention || got.Text != "in another class's channel is fine" {
		t.Fatalf("event = %+v, want only the mention in 3A's channel", got)
	}

	r.events("thread", r.fake.ChannelMessage("U0ANNA", "C02B", parent.TS, "2", false)...)
	ev := r.h.next(t)
	if ev.ThreadKey != "poll:abc" || ev.Thread != parent.TS || ev.Channel != "C02B" || ev.DM || ev.Text != "2" || ev.User != "U0ANNA" {
		t.Errorf("thread reply = %+v", ev)
	}

	r.events("mention", r.fake.ChannelMessage("U0ANNA", "C02B", "", "<@"+bot+"> wanneer is de toets?", true)...)
	ev = r.h.next(t)
	if !ev.Mention || ev.ThreadKey != "" || ev.Text != "wanneer is de toets?" || !strings.HasPrefix(ev.ID, "msg:C02B/") {
		t.Errorf("mention = %+v", ev)
	}

	r.events("reply", r.fake.ChannelMessage("U0ANNA", "C02B", classPost.TS, "dank je", false)...)
	ev = r.h.next(t)
	if !ev.Mention || ev.ThreadKey != "" || ev.Text != "dank je" || ev.Thread != classPost.TS {
		t.Errorf("reply under Kring's post = %+v", ev)
	}
	if n := r.h.count(); n != 4 {
		t.Errorf("%d events reached the Engine, want 4", n)
	}
}
