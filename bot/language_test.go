package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/i18n/i18ntest"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/poll"
)

// allDialogs are the conversations kring shell and kring run register (cmd/kring's
// dialogs()); the runtime adds help, language and inbox.
func allDialogs() []dialog.Dialog { return []dialog.Dialog{checkin.New(), poll.New()} }

// TestEveryCommandHasItsTexts: every command of every dialog has, in both languages,
// its name, description, example and the name and description of every option.
func TestEveryCommandHasItsTexts(t *testing.T) {
	h := bottest.New(t, bottest.Options{Dialogs: allDialogs()})
	for _, c := range h.Engine.Commands() {
		keys := []string{"cmd." + c.Name + ".name", "cmd." + c.Name + ".desc", "cmd." + c.Name + ".example"}
		for _, o := range c.Options {
			keys = append(keys, "cmd."+c.Name+".opt."+o.Name, "cmd."+c.Name+".arg."+o.Name)
			for _, v := range o.Choices {
				keys = append(keys, "choice."+v)
			}
		}
		for _, lang := range i18n.Languages {
			for _, k := range keys {
				if !h.Catalog.Has(lang, k) {
					t.Errorf("%s: %s missing", lang, k)
				}
			}
		}
	}
}

// schoolIn is the example school with every class and person in lang.
func schoolIn(t *testing.T, lang string) *config.School {
	s := bottest.ExampleSchool(t)
	s.Locale = lang
	for _, c := range s.Classes {
		c.Locale = lang
	}
	for _, p := range s.People {
		p.Locale = ""
	}
	return s
}

func commandNames(cat *i18n.Catalog, lang string, specs []dialog.CommandSpec) map[string]bool {
	names := map[string]bool{"kring": true}
	for _, c := range specs {
		names[c.Label(cat.For(lang))] = true
	}
	return names
}

// TestUsageAndErrorsInTheReadersLanguage renders every command's usage line and drives
// every kind of command error through the Engine, in Dutch and in English, and fails
// on a word of the other language (issue 13: "onzin is geen geldige level; kies uit:
// teacher, shared, self"; "Gebruik: /dagplan <plan> [class]").
func TestUsageAndErrorsInTheReadersLanguage(t *testing.T) {
	for _, lang := range i18n.Languages {
		t.Run(lang, func(t *testing.T) {
			h := bottest.New(t, bottest.Options{School: schoolIn(t, lang), Dialogs: allDialogs()})
			L := h.Catalog.For(lang)
			specs := h.Engine.Commands()
			names := commandNames(h.Catalog, lang, specs)
			check := func(what, text string) {
				t.Helper()
				if bad := i18ntest.Foreign(lang, text, names); len(bad) > 0 {
					t.Errorf("%s: words of the other language %v in %q", what, bad, text)
				}
			}
			ctx := context.Background()
			n := 0
			do := func(user, cmd, args string) string {
				n++
				ev := chat.Event{ID: fmt.Sprintf("e%d", n), Platform: chat.Shell, User: user, DM: true, Kind: chat.KindCommand, Command: cmd, ArgText: args}
				replies := h.Engine.Handle(ctx, ev)
				if len(replies) != 1 {
					t.Fatalf("/%s %s as %s: %d replies, want 1", cmd, args, user, len(replies))
				}
				return replies[0].Text
			}
			if len(specs) < 6 {
				t.Fatalf("only %d commands", len(specs))
			}
			for _, c := range specs {
				check("usage of "+c.Name, c.Usage(L))
				if !strings.HasPrefix(c.Usage(L), "/"+L.T("cmd."+c.Name+".name")) {
					t.Errorf("usage %q does not start with the %s command name", c.Usage(L), lang)
				}
				user := "elamrani" // admin
				for _, p := range h.School.People {
					if c.Allowed(p) {
						user = p.ID
						break
					}
				}
				for _, o := range c.Options {
					if o.Required {
						check("missing "+o.Name, do(user, c.Name, ""))
					}
					if o.Kind == dialog.OptChoice {
						text := do(user, c.Name, "anna onzin")
						check("bad choice for "+o.Name, text)
						for _, v := range o.Choices {
							if !strings.Contains(text, dialog.ChoiceLabel(L, v)) {
								t.Errorf("bad choice reply %q does not offer %q", text, dialog.ChoiceLabel(L, v))
							}
						}
					}
					if o.Kind == dialog.OptClass {
						check("unknown class", do(user, c.Name, o.Name+":9Z lezen"))
					}
				}
				for _, p := range h.School.People {
					if !c.Allowed(p) {
						check("not allowed "+c.Name, do(p.ID, c.Name, ""))
						break
					}
				}
			}
			check("unknown command", do("anna", "onzin", ""))
			want := map[string]string{
				"nl": "*leerling* in.\nGebruik: /niveau <leerling> <docent|gedeeld|zelf>",
				"en": "*pupil*.\nUsage: /level <pupil> <teacher|shared|self>",
			}[lang]
			if got := do("devries", "level", ""); !strings.Contains(got, want) {
				t.Errorf("missing option reply %q lacks %q", got, want)
			}
		})
	}
}

// TestTypedInputInBothLanguages: option words and option names are accepted in either
// language, whatever the reader's language.
func TestTypedInputInBothLanguages(t *testing.T) {
	h := bottest.New(t, bottest.Options{School: schoolIn(t, "en")})
	ctx := context.Background()
	for i, args := range []string{"milan zelf", "milan SELF", "milan gedeeld", "leerling:milan niveau:docent", "pupil:milan level:shared"} {
		ev := chat.Event{ID: fmt.Sprintf("t%d", i), Platform: chat.Shell, User: "devries", DM: true, Kind: chat.KindCommand, Command: "level", ArgText: args}
		if replies := h.Engine.Handle(ctx, ev); len(replies) != 0 {
			t.Errorf("/level %s refused: %q", args, replies[0].Text)
		}
	}
	ev := chat.Event{ID: "t-klas", Platform: chat.Shell, User: "bakker", DM: true, Kind: chat.KindCommand, Command: "dayplan", ArgText: "klas:2B Lezen"}
	if replies := h.Engine.Handle(ctx, ev); len(replies) != 0 {
		t.Errorf("/dayplan klas:2B refused: %q", replies[0].Text)
	}
}

// TestHelpPerRole: each role sees exactly the commands it may use, each with its
// usage in the reader's language and, where it takes options, an example; pupils and
// staff get their own closing line, and Dutch help names /hulp, never /help.
func TestHelpPerRole(t *testing.T) {
	for _, lang := range i18n.Languages {
		t.Run(lang, func(t *testing.T) {
			rec := &bottest.Recorder{}
			h := bottest.New(t, bottest.Options{School: schoolIn(t, lang), Adapters: []chat.Adapter{rec}, Dialogs: allDialogs()})
			L := h.Catalog.For(lang)
			names := commandNames(h.Catalog, lang, h.Engine.Commands())
			ctx := context.Background()
			for _, who := range []string{"anna", "bakker", "devries", "mulder", "elamrani"} {
				p, _ := h.School.Person(who)
				h.Engine.Handle(ctx, chat.Event{ID: "help-" + who, Platform: chat.Shell, User: who, DM: true, Kind: chat.KindCommand, Command: "help"})
				h.Tick()
				msgs := rec.To(who)
				if len(msgs) != 1 {
					t.Fatalf("%s: %d messages, want the help", who, len(msgs))
				}
				text := msgs[0].Text
				if bad := i18ntest.Foreign(lang, text, names); len(bad) > 0 {
					t.Errorf("%s help has %v: %q", who, bad, text)
				}
				for _, c := range h.Engine.Commands() {
					line := "*" + c.Usage(L) + "*"
					if c.Allowed(p) != strings.Contains(text, line) {
						t.Errorf("%s (%v) help: %s shown = %v, allowed = %v:\n%s", who, p.Roles, c.Name, strings.Contains(text, line), c.Allowed(p), text)
					}
					if c.Allowed(p) && len(c.Options) > 0 && !strings.Contains(text, L.T("help.example", "Example", "/"+c.Label(L))) {
						t.Errorf("%s help: no example for %s:\n%s", who, c.Name, text)
					}
				}
				outro := L.T("help.outro.staff")
				if p.Has(config.Pupil) {
					outro = L.T("help.outro.pupil")
				}
				if !strings.HasSuffix(text, outro) {
					t.Errorf("%s help ends %q, want the %v line", who, text[max(0, len(text)-80):], p.Roles)
				}
			}
			if lang == "nl" {
				text := chat.Plain(rec.To("devries")[0].Text)
				if !strings.Contains(text, "/hulp") || strings.Contains(text, "/help") || !strings.Contains(text, "/niveau anna gedeeld") {
					t.Errorf("Dutch mentor help:\n%s", text)
				}
			}
		})
	}
}

// notify is a test dialog whose command sends a line to the mentor devries, rendered
// in devries's language as the Engine resolves it.
type notify struct{}

func (notify) Name() string                   { return "notify" }
func (notify) Commands() []dialog.CommandSpec { return []dialog.CommandSpec{{Name: "notify"}} }
func (notify) Step(in dialog.Input) (dialog.Result, error) {
	return dialog.Result{Messages: []chat.Message{{
		To: chat.Target{Kind: chat.ToPerson, Person: "devries"}, Text: in.For("devries").T("help.outro.staff"),
	}}}, nil
}

// TestLanguagePerPerson: the school file's locale per person, and /taal, /language
// switching one's own, stored in the profile, honoured for replies to the person and
// for messages others' steps send them, also by another process on the same Redis.
func TestLanguagePerPerson(t *testing.T) {
	school := bottest.ExampleSchool(t) // Dutch
	admin, _ := school.Person("elamrani")
	admin.Locale = "en" // the school file's per-person locale
	rec := &bottest.Recorder{}
	h := bottest.New(t, bottest.Options{School: school, Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{checkin.New(), notify{}}})
	ctx := context.Background()
	nl, en := h.Catalog.For("nl"), h.Catalog.For("en")
	n := 0
	cmd := func(e interface {
		Handle(context.Context, chat.Event) []chat.Message
	}, user, name, args string) []chat.Message {
		n++
		return e.Handle(ctx, chat.Event{ID: fmt.Sprintf("l%d", n), Platform: chat.Shell, User: user, DM: true, Kind: chat.KindCommand, Command: name, ArgText: args})
	}
	last := func(user string) string {
		h.Tick()
		got := rec.To(user)
		if len(got) == 0 {
			t.Fatalf("nothing sent to %s", user)
		}
		return got[len(got)-1].Text
	}

	cmd(h.Engine, "elamrani", "help", "")
	if got := last("elamrani"); !strings.Contains(got, "*/help*") || !strings.HasSuffix(got, en.T("help.outro.staff")) {
		t.Errorf("admin with locale en in the school file got:\n%s", got)
	}

	// A Dutch pupil switches to English with the Dutch word for it (the adapters map
	// /taal to the canonical command name).
	if r := cmd(h.Engine, "anna", "language", "Engels"); len(r) != 0 {
		t.Fatalf("/taal Engels refused: %q", r[0].Text)
	}
	if got := last("anna"); !strings.HasPrefix(got, "From now on I'll write to you in English.") {
		t.Errorf("switch confirmed as %q", got)
	}
	if v := h.Redis.HGet(ctx, h.Store.PersonKey("anna"), "locale").Val(); v != "en" {
		t.Errorf("profile locale = %q", v)
	}
	cmd(h.Engine, "anna", "help", "")
	if got := last("anna"); !strings.Contains(got, "*/checkin*") || !strings.HasSuffix(got, en.T("help.outro.pupil")) {
		t.Errorf("anna's help after /taal en:\n%s", got)
	}
	if r := cmd(h.Engine, "anna", "nonsense", ""); len(r) != 1 || !strings.Contains(r[0].Text, "Type /help") {
		t.Errorf("an immediate reply after the switch: %+v", r)
	}
	if r := cmd(h.Engine, "anna", "language", "English"); len(r) != 0 || last("anna") != en.T("language.same", "Language", "English") {
		t.Errorf("switching to the language in use: %+v", r)
	}

	// The mentor switches; a message another person's step sends him follows.
	cmd(h.Engine, "anna", "notify", "")
	if got := last("devries"); got != nl.T("help.outro.staff") {
		t.Errorf("before the switch devries got %q", got)
	}
	cmd(h.Engine, "devries", "language", "en")
	cmd(h.Engine, "anna", "notify", "")
	if got := last("devries"); got != en.T("help.outro.staff") {
		t.Errorf("after /taal en devries got %q", got)
	}

	// The mirror of everyone's choice expires with the retention; it is filled again
	// when the person next acts (after this process's next read of it).
	h.Redis.Del(ctx, h.Store.Key("lang"))
	h.Clock.Advance(2 * time.Minute)
	cmd(h.Engine, "devries", "help", "")
	if v := h.Redis.HGet(ctx, h.Store.Key("lang"), "devries").Val(); v != "en" {
		t.Fatalf("mirror not refilled: %q", v)
	}

	// Another process on the same Redis knows it too.
	rec2 := &bottest.Recorder{}
	h2 := bottest.New(t, bottest.Options{School: school, Redis: h.Redis, Prefix: h.Prefix, Clock: h.Clock, Adapters: []chat.Adapter{rec2}, Dialogs: []dialog.Dialog{checkin.New(), notify{}}})
	cmd(h2.Engine, "milan", "notify", "")
	h2.Tick()
	// (The shared outbox may hand h2 the help queued above too; look for the notice.)
	sent := map[string]bool{}
	for _, m := range rec2.To("devries") {
		sent[m.Text] = true
	}
	if !sent[en.T("help.outro.staff")] || sent[nl.T("help.outro.staff")] {
		t.Errorf("a second process sent devries %+v", rec2.To("devries"))
	}

	// A language Kring does not have is refused in the reader's language.
	r := cmd(h.Engine, "milan", "language", "duits")
	if len(r) != 1 || !strings.Contains(r[0].Text, "kies uit: Nederlands, Engels") || !strings.Contains(r[0].Text, "/taal <Nederlands|Engels>") {
		t.Errorf("/taal duits: %+v", r)
	}
}
