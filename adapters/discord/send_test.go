package discord

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
)

// A pupil who blocks DMs: Discord answers 50007, Send reports chat.ErrUnreachable (the
// outbox then tells the mentor once). When the pupil next uses a command in the class
// channel, the check-in reaches them as ephemeral follow-ups of that interaction.
func TestRefusedDMFallsBackToEphemeralReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.RefuseDMs(annaID)
	q := chat.Message{ID: "c1", To: person("anna"), Text: "Goedemorgen! Hoe gaat het?", Choices: []chat.Choice{{Action: "checkin.mood", Value: "1", Label: "1"}}}
	err := e.a.Send(e.ctx, chat.Delivery{Message: q, Address: chat.Address{Tenant: guildID, User: annaID}, Attempt: 1})
	if !errors.Is(err, chat.ErrUnreachable) {
		t.Fatalf("Send to a pupil who blocks DMs = %v, want ErrUnreachable", err)
	}
	var re *chat.RetryError
	if errors.As(err, &re) {
		t.Error("a refused DM must not be retried")
	}
	// The pupil uses /checkin in the class channel; the Engine answers with the
	// check-in, addressed back to the actor with the interaction's ReplyRef.
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: annaID}, classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	ev := e.h.next(t, e.ctx)
	q.ID, q.ReplyRef, q.Ephemeral = "c2", ev.ReplyRef, true
	if err := e.a.Send(e.ctx, chat.Delivery{Message: q, Address: chat.Address{Tenant: guildID, User: annaID}, Attempt: 1}); err != nil {
		t.Fatalf("ephemeral fallback: %v", err)
	}
	fu, err := e.fake.Wait(e.ctx, webhookFor(in))
	if err != nil {
		t.Fatal(err)
	}
	var msg map[string]any
	_ = jsonUnmarshal(fu.Response, &msg)
	if int(msg["flags"].(float64))&64 == 0 {
		t.Errorf("the check-in in the class channel is not ephemeral: %s", fu.Response)
	}
	if len(fakediscord.Buttons(msg)) != 1 {
		t.Errorf("the ephemeral check-in lost its buttons: %v", msg["components"])
	}
	// Pressing a button on the ephemeral message updates it (it is private) and arrives.
	press, err := e.fake.PressButton(fakediscord.Actor{User: annaID}, msg["id"].(string), fakediscord.Buttons(msg)[0].CustomID)
	if err != nil {
		t.Fatal(err)
	}
	if pev := e.h.next(t, e.ctx); pev.Action != "checkin.mood" || pev.DM {
		t.Errorf("press on the ephemeral check-in = %+v", pev)
	}
	cb, _ := e.fake.Wait(e.ctx, callbackFor(press))
	if cb.JSON()["type"].(float64) != 7 {
		t.Errorf("press on an ephemeral message acknowledged with type %v, want 7", cb.JSON()["type"])
	}
	posted := e.fake.Count(func(r fakediscord.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+classChan+"/messages"
	})
	if posted != 0 {
		t.Errorf("%d public messages in the class channel; the pupil's check-in must stay private", posted)
	}
}

// A ReplyRef older than the interaction token's life (15 minutes) is not used: the
// message goes to the person's DM. A token Discord no longer accepts inside that
// window falls back the same way.
func TestExpiredReplyRefFallsBackToDM(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in, err := e.fake.SlashCommand(fakediscord.Actor{User: bramID}, classChan, "checkin")
	if err != nil {
		t.Fatal(err)
	}
	ev := e.h.next(t, e.ctx)
	e.clk.Advance(16 * time.Minute)
	m := chat.Message{ID: "x1", To: person("bram"), Text: "Nog even je check-in?", ReplyRef: ev.ReplyRef, Ephemeral: true}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: m, Address: chat.Address{User: bramID}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count(fakediscord.Route("POST", "/webhooks/**")); n != 0 {
		t.Errorf("expired token used for %d follow-ups", n)
	}
	if dm := e.lastDM(bramID); dm["content"] != "Nog even je check-in?" || int(dm["flags"].(float64))&64 != 0 {
		t.Errorf("DM = %v", dm)
	}

	in2, err := e.fake.SlashCommand(fakediscord.Actor{User: bramID}, classChan, "away")
	if err != nil {
		t.Fatal(err)
	}
	ev2 := e.h.next(t, e.ctx)
	e.fake.ExpireInteraction(in2.ID)
	m.ID, m.ReplyRef, m.Text = "x2", ev2.ReplyRef, "Tweede poging"
	if err := e.a.Send(e.ctx, chat.Delivery{Message: m, Address: chat.Address{User: bramID}, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	if dm := e.lastDM(bramID); dm["content"] != "Tweede poging" {
		t.Errorf("after a refused token the message did not go by DM: %v", dm)
	}
	_ = in
}

// Errors become what the outbox needs: RetryError with Discord's Retry-After for 429,
// a pause for 5xx (502 included, which discordgo must not retry on its own), a plain
// error for a permanent refusal.
func TestSendErrorsForTheOutbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	send := func(id string) error {
		return e.a.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: id, To: chat.Target{Kind: chat.ToClass, Class: "2b"}, Text: "Hallo klas"}, Address: chat.Address{Tenant: guildID, Channel: classChan}, Attempt: 1})
	}
	path := "/channels/" + classChan + "/messages"
	cases := []struct {
		name  string
		fault fakediscord.Fault
		retry time.Duration // 0: permanent
	}{
		{"429", fakediscord.Fault{Method: "POST", Path: path, Status: 429, RetryAfter: 1500 * time.Millisecond, Times: 1}, 1500 * time.Millisecond},
		{"global 429", fakediscord.Fault{Method: "POST", Path: path, Status: 429, RetryAfter: 300 * time.Millisecond, Global: true, Times: 1}, 300 * time.Millisecond},
		{"500", fakediscord.Fault{Method: "POST", Path: path, Status: 500, Times: 1}, 2 * time.Second},
		{"502", fakediscord.Fault{Method: "POST", Path: path, Status: 502, Times: 1}, 2 * time.Second},
		{"503 with Retry-After", fakediscord.Fault{Method: "POST", Path: path, Status: 503, RetryAfter: 7 * time.Second, Times: 1}, 7 * time.Second},
		{"403 missing permissions", fakediscord.Fault{Method: "POST", Path: path, Status: 403, Code: 50013, Message: "Missing Permissions", Times: 1}, 0},
	}
	for _, c := range cases {
		e.fake.Inject(c.fault)
		before := e.fake.Count(fakediscord.Route("POST", path))
		err := send("e-" + c.name)
		var re *chat.RetryError
		switch {
		case c.retry == 0:
			if err == nil || errors.As(err, &re) || errors.Is(err, chat.ErrUnreachable) {
				t.Errorf("%s: err = %v, want a permanent error", c.name, err)
			}
		case !errors.As(err, &re):
			t.Errorf("%s: err = %v, want a RetryError", c.name, err)
		case re.After != c.retry:
			t.Errorf("%s: retry after %s, want %s", c.name, re.After, c.retry)
		}
		if n := e.fake.Count(fakediscord.Route("POST", path)) - before; n != 1 {
			t.Errorf("%s: %d requests for one Send; discordgo retried on its own", c.name, n)
		}
		if err != nil && strings.Contains(err.Error(), "token") {
			t.Errorf("%s: error text may carry a token: %v", c.name, err)
		}
	}
	if err := send("after"); err != nil {
		// The global 429's pause (300ms) has passed by now; the channel works again.
		t.Errorf("Send after the faults: %v", err)
	}
	if v := e.fake.Violations(); len(v) != 0 {
		t.Errorf("requests during a Retry-After: %v", v)
	}
}

// DM channel ids are cached in the KV: a second morning (a new process, same Redis)
// opens no DM channel again, and a DM the pupil typed tells Kring the channel too.
func TestDMChannelCachedAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 3 {
		m := chat.Message{ID: "d" + string(rune('0'+i)), To: person("anna"), Text: "Dag " + string(rune('1'+i))}
		if err := e.a.Send(e.ctx, chat.Delivery{Message: m, Address: chat.Address{User: annaID}}); err != nil {
			t.Fatal(err)
		}
	}
	ch, _ := e.fake.DMChannel(annaID)
	if e.kv.get("dm:"+annaID) != ch {
		t.Errorf("DM channel not cached in the KV: %q", e.kv.get("dm:"+annaID))
	}
	// A second adapter (another process, or tomorrow) on the same KV.
	b, err := New(Options{Token: e.fake.Token(), School: e.school, Catalog: e.cat, KV: e.kv, HTTPClient: e.fake.Client(), Rate: 1000, Log: e.a.log})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: "d9", To: person("anna"), Text: "Morgen"}, Address: chat.Address{User: annaID}}); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count(fakediscord.Route("POST", "/users/@me/channels")); n != 1 {
		t.Errorf("%d DM channel opens for four messages over two processes, want 1", n)
	}
	// A pupil who writes first: the channel comes from the message itself.
	if _, _, err := e.fake.DirectMessage(fakediscord.Actor{User: bramID}, "hoi"); err != nil {
		t.Fatal(err)
	}
	if ev := e.h.next(t, e.ctx); ev.Kind != chat.KindMessage || !ev.DM || ev.Text != "hoi" || ev.User != bramID {
		t.Errorf("DM event = %+v", ev)
	}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: "b1", To: person("bram"), Text: "Hoi Bram"}, Address: chat.Address{User: bramID}}); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count(fakediscord.Route("POST", "/users/@me/channels")); n != 1 {
		t.Errorf("opened a DM channel the pupil's own message had shown")
	}
}

// Nothing a pupil types can ping or format for others: @everyone, @here, a role or
// user mention, a channel link, markdown and masked links all arrive as plain text,
// with allowed_mentions empty, also when the message carries buttons.
func TestPupilTextCannotPingOrFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	typed := "@everyone @here kijk <@&500000000000000001> en <@400000000000000008> in <#300000000000000001> **vet** __onder__ ||spoiler|| [klik](https://evil.example) # kop\n> quote `code` :skull: </help:1> <t:1700000000:R>"
	// Shown to the mentor (a DM) and, say, a teacher's class digest (the channel).
	msgs := []chat.Delivery{
		{Message: chat.Message{ID: "p1", To: person("mentor"), Text: "Anna schreef: " + chat.Literal(typed), Staff: true,
			Choices: []chat.Choice{{Action: "checkin.ack", Value: "anna", Label: "👍"}}}, Address: chat.Address{User: mentorID}},
		{Message: chat.Message{ID: "p2", To: chat.Target{Kind: chat.ToClass, Class: "2b"}, Text: "*Antwoord:* " + chat.Literal(typed)},
			Address: chat.Address{Channel: classChan}},
	}
	for _, d := range msgs {
		if err := e.a.Send(e.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	stored := []map[string]any{e.lastDM(mentorID)}
	cm := e.fake.ChannelMessages(classChan)
	stored = append(stored, cm[len(cm)-1])
	for _, m := range stored {
		id := m["id"].(string)
		if p := e.fake.Pinged(id); !p.None() {
			t.Errorf("message %s pinged %+v", id, p)
		}
		c := m["content"].(string)
		for _, bad := range []string{"@everyone", "@here", "<@", "<#", "</", "<t:", "https://"} {
			if strings.Contains(c, bad) {
				t.Errorf("message %s content %q still holds %q", id, c, bad)
			}
		}
		literal := c[strings.Index(c, "@"):] // the pupil's words start at their first '@'

		if ch, at := unescapedMarkup(literal); at >= 0 {
			t.Errorf("message %s: markdown %q at %d is not escaped in %q", id, ch, at, literal)
		}
		if !strings.Contains(c, "vet") || !strings.Contains(c, "klik") {
			t.Errorf("the pupil's words were lost: %q", c)
		}
	}
	for _, r := range e.fake.Requests() {
		if r.Method != "POST" || !strings.HasSuffix(r.Path, "/messages") {
			continue
		}
		am, ok := r.JSON()["allowed_mentions"].(map[string]any)
		if !ok {
			t.Errorf("%s sent without allowed_mentions", r.Path)
			continue
		}
		if p, ok := am["parse"].([]any); !ok || len(p) != 0 {
			t.Errorf("allowed_mentions.parse = %v, want []", am["parse"])
		}
	}
	if !strings.HasPrefix(stored[1]["content"].(string), "**Antwoord:**") {
		t.Errorf("Kring's own bold markup was not rendered: %q", stored[1]["content"])
	}
}

// A message that names whom to ping pings exactly them, nobody else.
func TestMentionsPingOnlyWhomTheFlowNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := chat.Message{ID: "n1", To: chat.Target{Kind: chat.ToClass, Class: "2b"}, Text: "Meneer, " + chat.Literal("<@400000000000000001> @everyone") + " wacht op je antwoord.", Mentions: []string{"teacher"}}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: m, Address: chat.Address{Channel: classChan}}); err != nil {
		t.Fatal(err)
	}
	cm := e.fake.ChannelMessages(classChan)
	p := e.fake.Pinged(cm[len(cm)-1]["id"].(string))
	if p.Everyone || len(p.Roles) != 0 || len(p.Users) != 1 || p.Users[0] != teacherID {
		t.Errorf("pinged %+v, want only the teacher %s", p, teacherID)
	}
}

// A dialog's thread is created once in the class channel and reused; a staff-only
// message is never posted in a channel; an ephemeral message without an interaction
// cannot go to a channel.
func TestThreadsAndPrivacyGuards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	to := chat.Target{Kind: chat.ToThread, Class: "2b", Thread: "prompt:42", ThreadTitle: "Moet huiswerk verboden worden?"}
	for i := range 2 {
		m := chat.Message{ID: "t" + string(rune('0'+i)), To: to, Text: "Ronde " + string(rune('1'+i))}
		if err := e.a.Send(e.ctx, chat.Delivery{Message: m, Address: chat.Address{Channel: classChan, Thread: "prompt:42"}}); err != nil {
			t.Fatal(err)
		}
	}
	threads := e.fake.ThreadsOf(classChan)
	if len(threads) != 1 {
		t.Fatalf("%d threads, want 1", len(threads))
	}
	if threads[0]["name"] != to.ThreadTitle || threads[0]["type"].(float64) != 11 {
		t.Errorf("thread = %v", threads[0])
	}
	if n := len(e.fake.ChannelMessages(threads[0]["id"].(string))); n != 2 {
		t.Errorf("%d messages in the thread, want 2", n)
	}
	staff := chat.Message{ID: "s1", To: chat.Target{Kind: chat.ToClass, Class: "2b"}, Text: "Anna voelt zich slecht", Staff: true}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: staff, Address: chat.Address{Channel: classChan}}); err == nil {
		t.Error("a staff-only message was posted in the class channel")
	}
	eph := chat.Message{ID: "s2", To: chat.Target{Kind: chat.ToClass, Class: "2b"}, Text: "alleen voor jou", Ephemeral: true}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: eph, Address: chat.Address{Channel: classChan}}); err == nil {
		t.Error("an ephemeral message without interaction was posted publicly")
	}
	if n := len(e.fake.ChannelMessages(classChan)); n != 0 {
		t.Errorf("%d messages in the class channel itself", n)
	}
}

// A chart goes as a PNG upload.
func TestImageUploadedAsPNG(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := chat.Message{ID: "i1", To: person("mentor"), Text: "Stemming deze week", Image: &chat.Image{Name: "mood", PNG: []byte("\x89PNG\r\n\x1a\n"), Alt: "grafiek"}}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: m, Address: chat.Address{User: mentorID}}); err != nil {
		t.Fatal(err)
	}
	r, err := e.fake.Wait(e.ctx, func(r fakediscord.Request) bool { return len(r.Files) > 0 })
	if err != nil {
		t.Fatal(err)
	}
	if r.Files[0] != "mood.png" || r.JSON()["content"] != "Stemming deze week" {
		t.Errorf("upload = %v %s", r.Files, r.Body)
	}
}

// unescapedMarkup finds a markdown character not preceded by an escaping backslash.
func unescapedMarkup(s string) (string, int) {
	backslashes := 0
	for i, r := range s {
		if r == '\\' {
			backslashes++
			continue
		}
		if strings.ContainsRune("*_~`|>#[]():", r) && backslashes%2 == 0 {
			return string(r), i
		}
		backslashes = 0
	}
	return "", -1
}
