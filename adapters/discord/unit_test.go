package discord

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

func TestEscapeNeutralisesMentionsAndMarkdown(t *testing.T) {
	cases := map[string]string{
		"@everyone":          "@\u200beveryone",
		"<@&123>":            "<\u200b@\u200b&123\\>",
		"**vet**":            `\*\*vet\*\*`,
		"a_b":                `a\_b`,
		"1. lijst":           `1\. lijst`,
		"e.g. dit":           "e.g. dit",
		"[x](https://a.b)":   `\[x\]\(https\://a.b\)`,
		"# kop":              `\# kop`,
		"\u202egnp.exe":      "gnp.exe",
		"gewoon een zin, ok": "gewoon een zin, ok",
		`C:\pad`:             `C\:\\pad`,
	}
	for in, want := range cases {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzEscape: whatever a person types, the escaped text has no mention Discord would
// read, and every markdown character is escaped.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"@everyone", "<@&1>", "**x**", "\\*", "||s||", "<#1>", "@@here", "\\\\@here", "x\n> q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out := Escape(s)
		for _, bad := range []string{"@everyone", "@here", "<@", "<#", "</", "<t:", "<:", "<a:"} {
			if strings.Contains(out, bad) {
				t.Fatalf("Escape(%q) = %q holds %q", s, out, bad)
			}
		}
		if ch, at := unescapedMarkup(out); at >= 0 {
			t.Fatalf("Escape(%q) = %q: %q at %d unescaped", s, out, ch, at)
		}
	})
}

func TestRenderBoldAndLiteral(t *testing.T) {
	got := Render("Hoi *Anna*, je schreef: " + chat.Literal("*niet vet* @here"))
	want := "Hoi **Anna**, je schreef: \\*niet vet\\* @\u200bhere"
	if got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestClipKeepsLimitAndEscapes(t *testing.T) {
	s := strings.Repeat("a", 1990) + strings.Repeat(`\*`, 20)
	got := clip(s, 2000, "… (ingekort)")
	if n := utf8.RuneCountInString(got); n > 2000 {
		t.Errorf("clip to %d characters", n)
	}
	if !strings.HasSuffix(got, "… (ingekort)") || strings.HasSuffix(strings.TrimSuffix(got, "… (ingekort)"), `\`) {
		t.Errorf("clip left a dangling escape: %q", got[len(got)-20:])
	}
	if clip("kort", 2000, "…") != "kort" {
		t.Error("clip changed a short text")
	}
}

func TestInviteURLAsksExactlyWhatKringNeeds(t *testing.T) {
	u, err := url.Parse(InviteURL("1234567890"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "discord.com" || u.Path != "/oauth2/authorize" {
		t.Errorf("URL %s", u)
	}
	if q.Get("client_id") != "1234567890" || q.Get("scope") != "bot applications.commands" {
		t.Errorf("query %v", q)
	}
	// View Channels 1<<10, Send Messages 1<<11, Create Public Threads 1<<35, Send Messages in Threads 1<<38.
	if q.Get("permissions") != "309237648384" {
		t.Errorf("permissions = %s, want 309237648384", q.Get("permissions"))
	}
}

func TestCustomIDsAndReplyRefsRoundTrip(t *testing.T) {
	if id := parseCustomID("c|3|checkin.mood|4", nil); id.kind != idChoice || id.action != "checkin.mood" || id.value != "4" {
		t.Errorf("choice = %+v", id)
	}
	if id := parseCustomID("c|0|a.b|x|y", nil); id.value != "x|y" {
		t.Errorf("a value with the separator = %+v", id)
	}
	if id := parseCustomID("s|0", []string{"checkin.choose|6"}); id.kind != idChoice || id.value != "6" {
		t.Errorf("select = %+v", id)
	}
	if id := parseCustomID("m|abc|checkin.goal", nil); id.kind != idModal || id.hash != "abc" || id.action != "checkin.goal" {
		t.Errorf("modal = %+v", id)
	}
	if id := parseCustomID("someone-elses-button", nil); id.kind != idUnknown {
		t.Errorf("foreign id = %+v", id)
	}
	at := time.UnixMilli(1760000000123)
	ref, ok := parseRef(encodeRef(at, true, "tok|en.with-odd_chars"))
	if !ok || !ref.at.Equal(at) || !ref.dm || ref.token != "tok|en.with-odd_chars" {
		t.Errorf("ref = %+v %v", ref, ok)
	}
	if _, ok := parseRef("slack-response-url"); ok {
		t.Error("a foreign ReplyRef parsed")
	}
}

func TestErrorsNeverCarryTokens(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://discord.com/api/v9/webhooks/123/aW50ZXJhY3Rpb246secret?wait=true", Err: errors.New("connection refused")}
	a := &Adapter{}
	got := a.classify(err, "answer interaction")
	if strings.Contains(got.Error(), "secret") {
		t.Errorf("error text carries the token: %v", got)
	}
	var re *chat.RetryError
	if !errors.As(got, &re) {
		t.Errorf("network error = %v, want RetryError", got)
	}
	err2 := &url.Error{Op: "Post", URL: "https://discord.com/api/v9/interactions/99/aW50secret/callback", Err: errors.New("timeout")}
	if s := cleanErr(err2).Error(); strings.Contains(s, "secret") || !strings.Contains(s, "/interactions/99/<token>/callback") {
		t.Errorf("cleanErr = %s", s)
	}
}

func TestBuildCommandsFallsBackAndRejectsBadNames(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// A command without catalog texts still registers, under its own name.
	cmds, err := BuildCommands([]dialog.CommandSpec{{Name: "newthing", Options: []dialog.OptionSpec{{Name: "what", Kind: dialog.OptText}}}}, cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := cmds[0]; c.Name != "newthing" || c.Description != "newthing" || c.NameLocalizations != nil || c.Options[0].Description != "what" {
		t.Errorf("command = %+v", c)
	}
	if _, err := BuildCommands([]dialog.CommandSpec{{Name: "Bad Name!"}}, cat, nil); err == nil {
		t.Error("an invalid command name was accepted")
	}
	if got := commandName("Dag Plan!"); got != "dag-plan" {
		t.Errorf("commandName = %q", got)
	}
}

// TestOptionNamesInDutch: Discord shows option names in the reader's language too
// (issue 13: "[class]" in a Dutch usage line).
func TestOptionNamesInDutch(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := BuildCommands([]dialog.CommandSpec{{Name: "dayplan", Options: []dialog.OptionSpec{
		{Name: "plan", Kind: dialog.OptText, Required: true}, {Name: "class", Kind: dialog.OptClass},
	}}}, cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := cmds[0].Options[1]
	if opt.Name != "class" || opt.NameLocalizations[discordgo.Dutch] != "klas" {
		t.Errorf("class option = %s %v", opt.Name, opt.NameLocalizations)
	}
}
