package discord

import (
	"errors"
	"strings"
	"testing"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
)

// openThread has Kring post in the thread of logical key "poll:abc" and returns the
// Discord thread it started.
func (e *env) openThread() string {
	e.t.Helper()
	m := chat.Message{ID: "m1", Text: "Vraag?", To: chat.Target{Kind: chat.ToThread, Class: "2b", Thread: "poll:abc", ThreadTitle: "Vraag"}}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: m, Address: chat.Address{Tenant: guildID, Channel: classChan}, Attempt: 1}); err != nil {
		e.t.Fatal(err)
	}
	ths := e.fake.ThreadsOf(classChan)
	if len(ths) != 1 {
		e.t.Fatalf("threads = %v", ths)
	}
	return ths[0]["id"].(string)
}

func (e *env) post(user string, gm fakediscord.GuildMessage) string {
	e.t.Helper()
	id, _, err := e.fake.ChannelMessage(fakediscord.Actor{User: user}, gm)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func withMessageContent(fo *fakediscord.Options, ao *Options) {
	fo.PrivilegedIntents = fakediscord.IntentMessageContent
	ao.MessageContent = true
}

// Without the MESSAGE_CONTENT intent, Discord hides what a pupil types in a thread
// unless it mentions Kring: the pupil is told how to answer (once), and a message that
// mentions Kring reaches the dialog of the thread's key, without the mention.
func TestThreadMessageWithoutContentIntent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	th := e.openThread()
	e.post(annaID, fakediscord.GuildMessage{Channel: th, Text: "2"})
	hint, err := e.fake.Wait(e.ctx, func(r fakediscord.Request) bool {
		return r.Method == "POST" && strings.Contains(string(r.Body), "Discord liet Kring niet zien")
	})
	if err != nil {
		t.Fatal(err)
	}
	if ch, _ := e.fake.DMChannel(annaID); hint.Path != "/channels/"+ch+"/messages" {
		t.Errorf("the hint went to %s, not Anna's DM", hint.Path)
	}
	e.post(annaID, fakediscord.GuildMessage{Channel: th, Text: "nog eens"}) // no second hint
	id := e.post(annaID, fakediscord.GuildMessage{Channel: th, Text: "<@" + e.fake.AppID() + "> 2"})
	ev := e.h.next(t, e.ctx)
	want := chat.Event{ID: id, Platform: chat.Discord, Tenant: guildID, Channel: classChan, Thread: th, ThreadKey: "poll:abc",
		Mention: true, User: annaID, Kind: chat.KindMessage, Text: "2"}
	ev.Time = want.Time
	if ev.ID != want.ID || ev.Channel != want.Channel || ev.Thread != want.Thread || ev.ThreadKey != want.ThreadKey ||
		ev.Text != want.Text || ev.DM || !ev.Mention || ev.User != annaID || ev.Tenant != guildID {
		t.Errorf("event = %+v\nwant   %+v", ev, want)
	}
	if n := e.fake.Count(func(r fakediscord.Request) bool {
		return strings.Contains(string(r.Body), "Discord liet Kring niet zien")
	}); n != 1 {
		t.Errorf("hint sent %d times, want once per thread", n)
	}
}

// With the intent granted and asked for, a typed answer in the thread reaches Kring as is.
func TestThreadMessageWithContentIntent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMessageContent)
	th := e.openThread()
	id := e.post(bramID, fakediscord.GuildMessage{Channel: th, Text: "Pizza, echt"})
	ev := e.h.next(t, e.ctx)
	if ev.ID != id || ev.ThreadKey != "poll:abc" || ev.Text != "Pizza, echt" || ev.Mention || ev.DM {
		t.Errorf("event = %+v", ev)
	}
}

// In the class channel Kring reads only what addresses it: a mention or a reply to one
// of its messages. Chatter and other channels never reach the Engine.
func TestClassChannelOnlyWhenAddressed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMessageContent)
	if err := e.a.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: "c1", Text: "Goedemorgen 2B", To: chat.Target{Kind: chat.ToClass, Class: "2b"}},
		Address: chat.Address{Tenant: guildID, Channel: classChan}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	posted := e.fake.ChannelMessages(classChan)[0]["id"].(string)
	e.post(annaID, fakediscord.GuildMessage{Channel: classChan, Text: "wie heeft de huiswerk?"})
	e.post(annaID, fakediscord.GuildMessage{Channel: "399999999999999999", Text: "<@" + e.fake.AppID() + "> hoi"})
	reply := e.post(bramID, fakediscord.GuildMessage{Channel: classChan, Text: "Morgen!", ReplyTo: posted})
	ev := e.h.next(t, e.ctx)
	if ev.ID != reply || !ev.Mention || ev.ThreadKey != "" || ev.Text != "Morgen!" || ev.Channel != classChan {
		t.Errorf("event = %+v, want the reply to Kring (%s)", ev, reply)
	}
	mention := e.post(bramID, fakediscord.GuildMessage{Channel: classChan, Text: "<@" + e.fake.AppID() + "> help"})
	if ev := e.h.next(t, e.ctx); ev.ID != mention || ev.Text != "help" || !ev.Mention {
		t.Errorf("event = %+v, want the mention (%s)", ev, mention)
	}
	if n := e.h.count(); n != 2 {
		t.Errorf("%d events reached the Engine, want 2", n)
	}
}

// Asking for MESSAGE_CONTENT when the application does not have it ends Run with a
// message that says where to switch it on.
func TestContentIntentNotGrantedEndsRunWithAHint(t *testing.T) {
	t.Parallel()
	e := prepareEnv(t, func(_ *fakediscord.Options, ao *Options) { ao.MessageContent = true })
	err := e.a.Run(e.ctx, e.h)
	if err == nil || !strings.Contains(err.Error(), "KRING_DISCORD_MESSAGE_CONTENT") {
		t.Errorf("Run = %v", err)
	}
}

// Several Kring processes share one bot: while another process holds the claim to start
// a class thread, this one starts none and tries again later; once the claim is gone it
// starts the thread, exactly one.
func TestThreadIsStartedByOneProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	claim := "threadclaim:" + classChan + ":poll:abc"
	if err := e.kv.Set(e.ctx, claim, "another-process", threadClaim); err != nil {
		t.Fatal(err)
	}
	m := chat.Message{ID: "m1", Text: "Vraag?", To: chat.Target{Kind: chat.ToThread, Class: "2b", Thread: "poll:abc", ThreadTitle: "Vraag"}}
	d := chat.Delivery{Message: m, Address: chat.Address{Tenant: guildID, Channel: classChan}, Attempt: 1}
	err := e.a.Send(e.ctx, d)
	var re *chat.RetryError
	if !errors.As(err, &re) || re.After <= 0 {
		t.Fatalf("send while another process starts the thread = %v, want a retry", err)
	}
	if ths := e.fake.ThreadsOf(classChan); len(ths) != 0 {
		t.Fatalf("a second thread was started: %v", ths)
	}
	e.kv.del(claim) // the other process died before starting it: its claim expired
	d.Attempt = 2
	if err := e.a.Send(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Message.ID = "m2"
	if err := e.a.Send(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	if ths := e.fake.ThreadsOf(classChan); len(ths) != 1 {
		t.Fatalf("threads = %v, want exactly one", ths)
	}
	if got := e.kv.get(claim); got != e.a.owner {
		t.Errorf("claim held by %q, want this process", got)
	}
}
