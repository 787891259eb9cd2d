package discord

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/debate"
	"github.com/kring-school/kring/dialogs/discussion"
	"github.com/kring-school/kring/dialogs/terms"
)

// thread returns the messages everyone sees in the class channel's n-th thread.
func (k *morningKring) thread(t *testing.T, n int) []map[string]any {
	t.Helper()
	threads := k.fake.ThreadsOf(classChan)
	if len(threads) < n {
		t.Fatalf("%d threads, want %d", len(threads), n)
	}
	return public(k.fake.ChannelMessages(threads[n-1]["id"].(string)))
}

// public drops ephemeral messages (only the one who pressed sees them).
func public(ms []map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range ms {
		if f, _ := m["flags"].(float64); int(f)&64 == 0 {
			out = append(out, m)
		}
	}
	return out
}

// A discussion prompt and a debate on Discord, through the real Engine and outbox: the
// prompt goes to a thread of the class channel with its answer buttons; a pupil answers
// in a modal; the teacher reveals; the answer shows in the thread without pinging
// anyone; the debate's vote buttons count a double press once.
func TestDiscussionAndDebateOnDiscord(t *testing.T) {
	k := newKringWith(t, []dialog.Dialog{discussion.New(), debate.New(), terms.New()})
	k.Clock.Set(bottest.Monday0750.Add(3 * time.Hour))

	post, err := k.fake.SlashCommand(k.actor("bakker"), classChan, "discuss",
		fakediscord.Option{Name: "prompt", Type: 3, Value: "Waarom willen mensen ergens bij horen?"},
		fakediscord.Option{Name: "anonymous", Type: 3, Value: "yes"})
	if err != nil {
		t.Fatal(err)
	}
	k.decided(post.ID)
	// The teacher's own confirmation, with reveal and close, answers the command privately.
	conf, err := k.fake.Wait(k.ctx, webhookFor(post))
	if err != nil {
		t.Fatal(err)
	}
	var teacher map[string]any
	_ = jsonUnmarshal(conf.Response, &teacher)
	if int(teacher["flags"].(float64))&64 == 0 {
		t.Errorf("the teacher's confirmation is public: %v", teacher["content"])
	}
	msgs := k.thread(t, 1)
	if len(msgs) != 1 || !strings.Contains(msgs[0]["content"].(string), "Waarom willen mensen") {
		t.Fatalf("thread = %v", msgs)
	}
	if ms := public(k.fake.ChannelMessages(classChan)); len(ms) != 0 {
		t.Errorf("%d public messages in the channel itself; the prompt belongs in its thread: %v", len(ms), ms)
	}

	// Anna presses Antwoorden under the post: Kring answers her alone with the form's
	// button, which opens a modal.
	press, err := k.fake.PressButton(k.actor("anna"), msgs[0]["id"].(string), buttonID(t, msgs[0], "Antwoorden"))
	if err != nil {
		t.Fatal(err)
	}
	k.decided(press.ID)
	fu, err := k.fake.Wait(k.ctx, webhookFor(press))
	if err != nil {
		t.Fatal(err)
	}
	var ask map[string]any
	_ = jsonUnmarshal(fu.Response, &ask)
	opened, err := k.fake.PressButton(k.actor("anna"), ask["id"].(string), buttonID(t, ask, "Antwoorden"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.fake.Wait(k.ctx, callbackFor(opened)); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.fake.Modal(opened.ID); !ok {
		t.Fatal("no modal for the answer")
	}
	sub, err := k.fake.SubmitModal(k.actor("anna"), opened, map[string]string{"answer": "Omdat je je veilig voelt @everyone <@&500000000000000001> **echt**"})
	if err != nil {
		t.Fatal(err)
	}
	k.decided(sub.ID)
	if n := len(k.thread(t, 1)); n != 1 {
		t.Fatalf("think first: %d public messages in the thread before reveal", n)
	}

	// The teacher reveals: the answer is in the thread, escaped, pinging nobody.
	rev, err := k.fake.PressButton(k.actor("bakker"), teacher["id"].(string), buttonID(t, teacher, "Antwoorden tonen in de draad"))
	if err != nil {
		t.Fatal(err)
	}
	k.decided(rev.ID)
	msgs = k.thread(t, 1)
	var shown map[string]any
	for _, m := range msgs {
		if strings.Contains(m["content"].(string), "veilig") {
			shown = m
		}
	}
	if shown == nil {
		t.Fatalf("the answer is not in the thread: %v", msgs)
	}
	if p := k.fake.Pinged(shown["id"].(string)); !p.None() {
		t.Errorf("the revealed answer pinged %+v: %q", p, shown["content"])
	}
	if c := shown["content"].(string); strings.Contains(c, "**echt**") || len(fakediscord.Buttons(shown)) != 3 {
		t.Errorf("revealed answer = %q with %d buttons", c, len(fakediscord.Buttons(shown)))
	}

	// A debate: Anna votes by the button under the motion, twice; it counts once.
	start, err := k.fake.SlashCommand(k.actor("bakker"), classChan, "debate",
		fakediscord.Option{Name: "motion", Type: 3, Value: "Huiswerk moet worden afgeschaft"})
	if err != nil {
		t.Fatal(err)
	}
	k.decided(start.ID)
	// Under load the fake's global limit may answer 429; the outbox then retries after
	// Retry-After on the simulated clock, so move it on until the post is there.
	var motion map[string]any
	for try := 0; motion == nil && try < 5; try++ {
		if try > 0 {
			k.Clock.Advance(2 * time.Second)
			k.Tick()
		}
		for _, th := range k.fake.ThreadsOf(classChan) {
			if ms := public(k.fake.ChannelMessages(th["id"].(string))); len(ms) > 0 && strings.Contains(ms[0]["content"].(string), "Huiswerk") {
				motion = ms[0]
			}
		}
	}
	if motion == nil {
		for _, r := range k.fake.Requests() {
			if r.Status >= 300 {
				t.Logf("%s %s: %d", r.Method, r.Path, r.Status)
			}
		}
		t.Fatalf("the motion is in no thread (%d threads)", len(k.fake.ThreadsOf(classChan)))
	}
	var replies []string
	for range 2 {
		in, err := k.fake.PressButton(k.actor("anna"), motion["id"].(string), buttonID(t, motion, "Eens"))
		if err != nil {
			t.Fatal(err)
		}
		k.decided(in.ID)
		fu, err := k.fake.Wait(k.ctx, webhookFor(in))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = jsonUnmarshal(fu.Response, &m)
		if int(m["flags"].(float64))&64 == 0 {
			t.Errorf("the vote's answer is not ephemeral: %v", m)
		}
		replies = append(replies, m["content"].(string))
	}
	if !strings.Contains(replies[0], "genoteerd") || !strings.Contains(replies[1], "telt één keer") {
		t.Errorf("vote replies = %q", replies)
	}
	// The motion stays pressable for classmates.
	after, _ := k.fake.Message(motion["id"].(string))
	for _, b := range fakediscord.Buttons(after) {
		if b.Disabled {
			t.Errorf("button %q disabled for the whole class after one vote", b.Label)
		}
	}
}
