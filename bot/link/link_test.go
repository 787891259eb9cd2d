package link_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/link"
)

// syncBuffer collects logs written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type kit struct {
	t      *testing.T
	h      *bottest.Harness
	disc   *bottest.Recorder
	shell  *bottest.Recorder
	logs   *syncBuffer
	n      int
	codes  map[string]string
	school *config.School
}

func newKit(t *testing.T, st bottest.Store) *kit {
	k := &kit{t: t, disc: &bottest.Recorder{P: chat.Discord}, shell: &bottest.Recorder{}, logs: &syncBuffer{}, codes: map[string]string{}}
	k.school = bottest.ExampleSchool(t)
	o := bottest.Options{School: k.school, Adapters: []chat.Adapter{k.disc, k.shell},
		Log: slog.New(slog.NewTextHandler(k.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	o.Clock = nil
	if st.Name == "embedded" {
		h := bottest.New(t, bottest.Options{}) // only for its clock type
		o.Clock = h.Clock
		o.Redis, o.Prefix = st.Open(t, h.Clock)
	}
	k.h = bottest.New(t, o)
	return k
}

func (k *kit) issue(exp time.Time, ids ...string) {
	k.t.Helper()
	var people []*config.Person
	for _, id := range ids {
		p, _ := k.school.Person(id)
		people = append(people, p)
	}
	got, err := k.h.Links.Issue(context.Background(), people, exp, nil)
	if err != nil {
		k.t.Fatal(err)
	}
	for _, c := range got {
		k.codes[c.Person.ID] = c.Code
	}
}

// dm sends text as a Discord DM from user and returns the one reply's text.
func (k *kit) dm(user, text string) string {
	k.t.Helper()
	k.n++
	rs := k.h.Engine.Handle(context.Background(), chat.Event{ID: "m" + strings.Repeat("x", k.n), Platform: chat.Discord, User: user, DM: true, Kind: chat.KindMessage, Text: text})
	if len(rs) != 1 {
		k.t.Fatalf("%q from %s: %d replies, want 1", text, user, len(rs))
	}
	return rs[0].Text
}

func (k *kit) command(platform chat.Platform, user, cmd, args string) string {
	k.t.Helper()
	k.n++
	rs := k.h.Engine.Handle(context.Background(), chat.Event{ID: "c" + strings.Repeat("x", k.n), Platform: platform, User: user, Kind: chat.KindCommand, Command: cmd, ArgText: args})
	if len(rs) != 1 {
		k.t.Fatalf("/%s %s from %s: %d replies, want 1", cmd, args, user, len(rs))
	}
	return rs[0].Text
}

func must(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(chat.Plain(got), want) {
		t.Fatalf("reply %q, want it to contain %q", got, want)
	}
}

func TestLinkCodes(t *testing.T) {
	for _, st := range bottest.Stores() {
		t.Run(st.Name, func(t *testing.T) { testLinkCodes(t, st) })
	}
}

func testLinkCodes(t *testing.T, st bottest.Store) {
	k := newKit(t, st)
	ctx := context.Background()
	now := k.h.Clock.Now()
	k.issue(now.Add(14*24*time.Hour), "anna", "sanne", "milan")
	k.issue(now.Add(time.Hour), "daan")
	anna, _ := k.school.Person("anna")

	// A stranger typing anything hears how to link.
	must(t, k.dm("700000000000000001", "hallo?"), "niet ingeschreven")

	// A good code, typed in lower case without the dash: linked, confirmed in Dutch.
	code := strings.ToLower(strings.ReplaceAll(k.codes["anna"], "-", ""))
	must(t, k.dm("700000000000000001", code), "Welkom, Anna")
	if p, ok := k.h.Links.Person(chat.Discord, "700000000000000001"); !ok || p.ID != "anna" {
		t.Fatalf("account resolves to %v, want anna", p)
	}
	if got := k.h.Links.Account(anna, chat.Discord); got != "700000000000000001" {
		t.Fatalf("anna's Discord account %q", got)
	}
	// Now known: her next message reaches the dialogs, not the link flow.
	rs := k.h.Engine.Handle(ctx, chat.Event{ID: "after", Platform: chat.Discord, User: "700000000000000001", DM: true, Kind: chat.KindCommand, Command: "help"})
	if len(rs) != 0 {
		t.Fatalf("help from a linked pupil answered with %+v, want it queued", rs)
	}
	k.h.Tick()
	if got := k.disc.To("700000000000000001"); len(got) != 1 || !strings.Contains(got[0].Text, "/koppel") {
		t.Fatalf("anna's help on Discord: %+v", got)
	}

	// The same code again, from another account: used.
	must(t, k.dm("700000000000000002", "/koppel "+k.codes["anna"]), "al gebruikt")

	// An expired code.
	k.h.Clock.Advance(2 * time.Hour)
	must(t, k.dm("700000000000000002", k.codes["daan"]), "verlopen")

	// Malformed attempts (no code, a wrong length) are explained, not counted as guesses.
	k.issue(now.Add(14*24*time.Hour), "fleur")
	for _, text := range []string{"/koppel", "koppel ABC", "/link ACEF-HJKMX", "link", "/koppel 12345"} {
		must(t, k.dm("700000000000000006", text), "klopt niet")
	}
	must(t, k.dm("700000000000000006", k.codes["fleur"]), "Welkom, Fleur")

	// Five wrong codes from one account: slowed down, then refused for an hour; even a
	// right code waits until then.
	wrong := "/link ACEF-HJKM"
	must(t, k.dm("700000000000000003", wrong), "klopt niet")
	must(t, k.dm("700000000000000003", wrong), "klopt niet")
	must(t, k.dm("700000000000000003", wrong), "wacht 30 seconden")
	must(t, k.dm("700000000000000003", k.codes["milan"]), "wacht 30 seconden")
	k.h.Clock.Advance(31 * time.Second)
	must(t, k.dm("700000000000000003", wrong), "wacht 1 minuut")
	k.h.Clock.Advance(61 * time.Second)
	must(t, k.dm("700000000000000003", "KRING123"), "tot ")
	must(t, k.dm("700000000000000003", k.codes["milan"]), "tot ")
	if _, ok := k.h.Links.Person(chat.Discord, "700000000000000003"); ok {
		t.Fatal("a blocked account got linked")
	}
	// Another account is not slowed down by the first one's guesses.
	must(t, k.dm("700000000000000004", wrong), "klopt niet")
	k.h.Clock.Advance(time.Hour)
	must(t, k.dm("700000000000000003", k.codes["milan"]), "Welkom, Milan")

	// Anna's account tries Sanne's code: refused, Sanne's code stays good, the admin is told.
	must(t, k.command(chat.Discord, "700000000000000001", "link", k.codes["sanne"]), "al aan iemand anders gekoppeld")
	k.h.Tick()
	notes := k.shell.To("elamrani")
	if len(notes) != 1 || !strings.Contains(notes[0].Text, "Sanne Smit") || !strings.Contains(notes[0].Text, "Anna de Boer") || !notes[0].Staff {
		t.Fatalf("admin notices: %+v", notes)
	}
	must(t, k.dm("700000000000000005", k.codes["sanne"]), "Welkom, Sanne")

	// Another process sees the new link on the account's first message (no restart).
	other := bottest.New(t, bottest.Options{School: k.school, Redis: k.h.Redis, Prefix: k.h.Prefix, Clock: k.h.Clock, Adapters: []chat.Adapter{&bottest.Recorder{P: chat.Discord}}})
	if rs := other.Engine.Handle(ctx, chat.Event{ID: "other", Platform: chat.Discord, User: "700000000000000005", DM: true, Kind: chat.KindCommand, Command: "help"}); len(rs) != 0 {
		t.Fatalf("another process does not know Sanne's new link: %+v", rs)
	}

	// The mentor sees who is linked, and unlinks Anna.
	status := k.command(chat.Shell, "devries", "linkstatus", "")
	for _, want := range []string{"Anna de Boer: Discord ✓, Slack –", "Daan Visser: Discord –, Slack –", "4 van 6 gekoppeld"} {
		must(t, status, want)
	}
	must(t, k.command(chat.Shell, "devries", "unlink", "anna"), "niet meer gekoppeld op Discord")
	if _, ok := k.h.Links.Person(chat.Discord, "700000000000000001"); ok {
		t.Fatal("anna's account still resolves after unlinking")
	}
	must(t, k.dm("700000000000000001", "hoi"), "niet ingeschreven")
	must(t, k.command(chat.Shell, "bakker", "unlink", "anna"), "Alleen")

	// The audit log names every link and unlink; no code appears in it or in the logs.
	entries, err := k.h.Redis.LRange(ctx, k.h.Store.AuditKey(k.h.Clock.Now()), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	audit := strings.Join(entries, "\n")
	for _, want := range []string{`"action":"link","subject":"anna"`, `"action":"link-refused"`, `"actor":"devries","action":"unlink","subject":"anna"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %s:\n%s", want, audit)
		}
	}
	logs := k.logs.String()
	for who, c := range k.codes {
		for _, form := range []string{c, strings.ReplaceAll(c, "-", "")} {
			if strings.Contains(logs, form) || strings.Contains(audit, form) {
				t.Errorf("%s's code appears in the logs or the audit", who)
			}
			if strings.Contains(strings.Join(keysAndValues(t, k), "\n"), form) {
				t.Errorf("%s's code is stored in the clear", who)
			}
		}
	}
	if !strings.Contains(logs, "account linked") {
		t.Error("the logs do not show the linking at all; the check above proves nothing")
	}
}

// keysAndValues dumps the test's keys and string/hash values.
func keysAndValues(t *testing.T, k *kit) []string {
	ctx := context.Background()
	keys, err := k.h.Redis.Keys(ctx, k.h.Prefix+":*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := append([]string(nil), keys...)
	for _, key := range keys {
		switch k.h.Redis.Type(ctx, key).Val() {
		case "hash":
			for f, v := range k.h.Redis.HGetAll(ctx, key).Val() {
				out = append(out, f, v)
			}
		case "string":
			out = append(out, k.h.Redis.Get(ctx, key).Val())
		}
	}
	return out
}

func TestCodesAndFileLinks(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c, err := link.NewCode(nil)
		if err != nil {
			t.Fatal(err)
		}
		n, ok := link.Normalize(c)
		if !ok || len(c) != 9 || c[4] != '-' || strings.ContainsAny(n, "0O1IL2Z5S8B6GUVDQ") {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 199 {
		t.Errorf("%d distinct codes of 200", len(seen))
	}
	for _, s := range []string{"hallo", "ik ben moe", "1234-5678-9"} {
		if _, ok := link.Normalize(s); ok {
			t.Errorf("%q read as a code", s)
		}
	}

	// A runtime link overrules the file's id, and unlinking an id from the file works.
	school := bottest.ExampleSchool(t)
	anna, _ := school.Person("anna")
	anna.Discord = "500000000000000001"
	if err := school.Prepare(); err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, bottest.Options{School: school})
	ctx := context.Background()
	if p, ok := h.Links.Person(chat.Discord, "500000000000000001"); !ok || p.ID != "anna" {
		t.Fatal("the file's id does not resolve")
	}
	if err := h.Links.Link(ctx, chat.Discord, "anna", "500000000000000002"); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Links.Person(chat.Discord, "500000000000000001"); ok {
		t.Error("the file's old id still resolves after a runtime link")
	}
	if err := h.Links.Link(ctx, chat.Discord, "daan", "500000000000000002"); err == nil {
		t.Error("linked one account to two people")
	}
	if ok, err := h.Links.Unlink(ctx, chat.Discord, "anna"); !ok || err != nil {
		t.Fatalf("unlink: %v %v", ok, err)
	}
	fresh := bottest.New(t, bottest.Options{School: school, Redis: h.Redis, Prefix: h.Prefix})
	if err := fresh.Links.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"500000000000000001", "500000000000000002"} {
		if _, ok := fresh.Links.Person(chat.Discord, u); ok {
			t.Errorf("%s resolves after unlinking", u)
		}
	}
	if got := fresh.Links.Account(anna, chat.Discord); got != "" {
		t.Errorf("anna's account after unlinking: %q", got)
	}
}
