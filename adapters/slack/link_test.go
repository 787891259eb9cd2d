package slack

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
)

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var evSeq int

// dm types text in user's DM with Kring and returns Kring's newest answer there.
func (k *kring) dm(user, text string) string {
	k.t.Helper()
	evSeq++
	k.say(user, "EvLink"+strings.Repeat("x", evSeq), text, 0)
	return visible(k.lastMessage(k.fake.DM(user)))
}

// kringCmd runs /kring text in user's DM and returns the ephemeral answer.
func (k *kring) kringCmd(user, text string) string {
	k.t.Helper()
	dm := k.fake.DM(user)
	before := len(k.fake.Responses())
	p := k.fake.SlashCommand(user, dm, "/kring", text)
	k.envelope(fakeslack.Envelope{Type: "slash_commands", Payload: p})
	k.handled("cmd:" + p["trigger_id"].(string))
	rs := k.fake.Responses()
	if len(rs) == before {
		// Answered in the DM instead of through the response_url.
		return visible(k.lastMessage(dm))
	}
	return visible(rs[len(rs)-1])
}

func has(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("answer %q lacks %q", got, want)
	}
}

// TestLinkingOnSlack links pupils through slack-go and the fake Slack: a code typed in
// the app's DM and one sent with /kring koppel, a used, an expired and five wrong
// codes, an account of someone else, and unlinking. No code appears in the logs.
func TestLinkingOnSlack(t *testing.T) {
	logs := &logBuffer{}
	k := newKringLog(t, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
	ctx := context.Background()
	person := func(id string) *config.Person { p, _ := k.h.School.Person(id); return p }
	long, err := k.h.Links.Issue(ctx, []*config.Person{person("daan"), person("sanne")}, k.h.Clock.Now().Add(72*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	short, err := k.h.Links.Issue(ctx, []*config.Person{person("milan")}, k.h.Clock.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	daan, sanne, milan := long[0].Code, long[1].Code, short[0].Code

	has(t, k.dm("U0NEWDAAN", "hoi"), "niet ingeschreven")
	has(t, k.dm("U0NEWDAAN", strings.ToLower(daan)), "Welkom, Daan")
	if got := k.h.Links.Account(person("daan"), chat.Slack); got != "U0NEWDAAN" {
		t.Fatalf("Daan's Slack account %q", got)
	}
	// His App Home is his own page now, not the "not enrolled" note.
	k.envelope(fakeslack.Envelope{Type: "events_api", Payload: k.fake.EventCallback("EvHomeDaan", k.fake.AppHomeOpened("U0NEWDAAN"))})
	k.settle()
	if v, ok := k.fake.Home("U0NEWDAAN"); !ok || strings.Contains(string(v.Blocks), "niet ingeschreven") || !strings.Contains(string(v.Blocks), "Daan") {
		t.Fatalf("Daan's App Home after linking: %s", v.Blocks)
	}
	has(t, k.kringCmd("U0OTHER", "koppel "+daan), "al gebruikt")
	k.h.Clock.Advance(2 * time.Hour)
	has(t, k.kringCmd("U0OTHER", "link "+milan), "verlopen")
	var last string
	for i := 0; i < 5; i++ {
		k.h.Clock.Advance(10 * time.Minute)
		last = k.dm("U0GUESS", "ACEF HJKM")
	}
	has(t, last, "neem tot ")
	has(t, k.dm("U0GUESS", sanne), "neem tot ")

	has(t, k.kringCmd("UANNA", "koppel "+sanne), "al aan iemand anders gekoppeld")
	has(t, k.kringCmd("UDEVRIES", "koppelstatus"), "Daan Visser: Discord –, Slack ✓")
	has(t, k.kringCmd("UDEVRIES", "ontkoppel daan slack"), "niet meer gekoppeld op Slack")
	has(t, k.dm("U0NEWDAAN", "hoi"), "niet ingeschreven")
	has(t, k.dm("U0SANNE2", sanne), "Welkom, Sanne")

	for _, c := range []string{daan, sanne, milan} {
		for _, form := range []string{c, strings.ReplaceAll(c, "-", ""), strings.ToLower(c)} {
			if strings.Contains(logs.String(), form) {
				t.Errorf("a code appears in the logs")
			}
		}
	}
	if !strings.Contains(logs.String(), "account linked") {
		t.Error("nothing logged about the linking; the check above proves nothing")
	}
}

// TestLinkSlackByEmail finds Slack accounts with users.lookupByEmail on the fake Slack.
func TestLinkSlackByEmail(t *testing.T) {
	k := newKringLog(t, quietLog(), func(o *fakeslack.Options) {
		o.Emails = map[string]string{"Daan@School.nl": "U0DAAN2", "sanne@school.nl": "U0SANNE2", "milan@school.nl": "U0GONE", "fleur@school.nl": "UANNA"}
		o.Deactivated = map[string]bool{"U0GONE": true}
	})
	s := k.h.School
	for _, id := range []string{"daan", "sanne", "milan", "fleur", "yusuf"} {
		p, _ := s.Person(id)
		p.Slack = ""
		p.Email = id + "@school.nl"
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	if err := k.h.Links.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	lookup := EmailLookup(Options{BotToken: botToken, APIURL: k.fake.APIURL})
	ctx := context.Background()
	rep, err := k.h.Links.LinkByEmail(ctx, s.People, lookup, "test", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(ps []*config.Person) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return strings.Join(out, ",")
	}
	if got := ids(rep.Linked); got != "daan,sanne" {
		t.Errorf("linked %s, want daan,sanne", got)
	}
	if got := ids(rep.Unmatched); got != "milan,yusuf" {
		t.Errorf("unmatched %s, want milan (deactivated) and yusuf (no account)", got)
	}
	if rep.Taken["fleur"] != "anna" {
		t.Errorf("taken %v, want fleur's address on Anna's account", rep.Taken)
	}
	d, _ := s.Person("daan")
	if k.h.Links.Account(d, chat.Slack) != "U0DAAN2" {
		t.Error("Daan not linked")
	}
	if n := len(k.fake.Calls("users.lookupByEmail")); n != 5 {
		t.Errorf("%d look-ups, want one per person with an address and no account (5)", n)
	}
	// Run again: nobody is looked up twice.
	rep, err = k.h.Links.LinkByEmail(ctx, s.People, lookup, "test", false, nil)
	if err != nil || len(rep.Linked) != 0 || len(rep.Already) < 2 {
		t.Errorf("second run: %+v %v", rep, err)
	}
}
