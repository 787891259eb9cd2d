package discord

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// dmReply types text in a DM as user and returns the bot's answer in that DM.
func (k *morningKring) dmReply(user, text string) string {
	k.T.Helper()
	n := 0
	if ch, ok := k.fake.DMChannel(user); ok {
		n = k.fake.Count(postTo(ch))
	}
	id, _, err := k.fake.DirectMessage(fakediscord.Actor{User: user}, text)
	if err != nil {
		k.T.Fatal(err)
	}
	k.decided(id)
	ch, _ := k.fake.DMChannel(user)
	if _, err := k.fake.WaitN(k.ctx, n+1, postTo(ch)); err != nil {
		k.T.Fatalf("no answer to %q from %s: %v", text, user, err)
	}
	ms := k.fake.ChannelMessages(ch)
	return ms[len(ms)-1]["content"].(string)
}

func postTo(ch string) func(fakediscord.Request) bool {
	return func(r fakediscord.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+ch+"/messages" && r.Status < 300
	}
}

// slash runs a slash command in the class channel and returns the ephemeral answer.
func (k *morningKring) slash(user, name string, opts ...fakediscord.Option) string {
	k.T.Helper()
	in, err := k.fake.SlashCommand(fakediscord.Actor{User: user}, classChan, name, opts...)
	if err != nil {
		k.T.Fatal(err)
	}
	k.decided(in.ID)
	fu, err := k.fake.Wait(k.ctx, webhookFor(in))
	if err != nil {
		k.T.Fatal(err)
	}
	var m map[string]any
	_ = jsonUnmarshal(fu.Response, &m)
	if int(m["flags"].(float64))&64 == 0 {
		k.T.Errorf("/%s answered publicly: %s", name, fu.Response)
	}
	return m["content"].(string)
}

func contains(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("answer %q lacks %q", got, want)
	}
}

// TestLinkingOnDiscord links pupils through the real discordgo client and the fake
// Discord: codes by DM and by slash command, a used, an expired and wrong codes, an
// account of someone else, unlinking, and the next morning's check-in reaching the
// newly linked account. No code appears in the logs.
func TestLinkingOnDiscord(t *testing.T) {
	logs := &lockedBuffer{}
	k := newMorningKringLog(t, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx := context.Background()
	person := func(id string) *config.Person { p, _ := k.School.Person(id); return p }
	issued, err := k.Links.Issue(ctx, []*config.Person{person("daan"), person("milan")}, k.Clock.Now().Add(48*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	short, err := k.Links.Issue(ctx, []*config.Person{person("sanne")}, k.Clock.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	daanCode, milanCode, sanneCode := issued[0].Code, issued[1].Code, short[0].Code
	const newDaan, other, guesser = "430000000000009901", "430000000000009902", "430000000000009903"

	contains(t, k.dmReply(newDaan, "hallo"), "niet ingeschreven")
	contains(t, k.dmReply(newDaan, "/koppel "+daanCode), "Welkom, Daan")
	if got := k.Links.Account(person("daan"), chat.Discord); got != newDaan {
		t.Fatalf("Daan's Discord account is %q, want the one that sent the code", got)
	}
	contains(t, k.dmReply(other, daanCode), "al gebruikt")
	k.Clock.Advance(2 * time.Hour)
	contains(t, k.dmReply(other, sanneCode), "verlopen")
	for i := 0; i < 5; i++ {
		k.Clock.Advance(10 * time.Minute) // past any slow-down: the fifth is refused anyway
		last := k.dmReply(guesser, "ACEF-HJKM")
		if i == 4 {
			contains(t, last, "neem tot ")
		}
	}
	contains(t, k.dmReply(guesser, milanCode), "neem tot ")

	// Anna (linked in the school file) uses Milan's code by slash command: refused.
	contains(t, k.slash(k.ids["anna"], "link", fakediscord.Option{Name: "code", Type: 3, Value: milanCode}), "al aan iemand anders gekoppeld")

	// The mentor sees the state, then unlinks Daan; his new account is a stranger again.
	status := k.slash(k.ids["devries"], "linkstatus")
	contains(t, status, "Daan Visser: Discord ✓")
	contains(t, k.slash(k.ids["devries"], "unlink", fakediscord.Option{Name: "person", Type: 6, Value: newDaan}), "niet meer gekoppeld")
	contains(t, k.dmReply(newDaan, "hoi"), "niet ingeschreven")

	for _, c := range []string{daanCode, milanCode, sanneCode} {
		for _, form := range []string{c, strings.ReplaceAll(c, "-", "")} {
			if strings.Contains(logs.String(), form) {
				t.Errorf("a code appears in the logs")
			}
		}
	}
	if !strings.Contains(logs.String(), "account linked") {
		t.Error("nothing logged about the linking; the check above proves nothing")
	}
}

func TestLinkedAccountGetsTheCheckIn(t *testing.T) {
	k := newMorningKring(t)
	ctx := context.Background()
	p, _ := k.School.Person("fleur")
	issued, err := k.Links.Issue(ctx, []*config.Person{p}, k.Clock.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	const fleur = "430000000000009911"
	contains(t, k.dmReply(fleur, issued[0].Code), "Welkom, Fleur")
	k.At("08:15")
	ch, _ := k.fake.DMChannel(fleur)
	if _, err := k.fake.WaitN(k.ctx, 2, postTo(ch)); err != nil {
		t.Fatal("the morning check-in did not reach Fleur's linked account")
	}
	if old, ok := k.fake.DMChannel(k.ids["fleur"]); ok && len(k.fake.ChannelMessages(old)) > 0 {
		t.Error("the check-in also went to the account the school file names")
	}
}
