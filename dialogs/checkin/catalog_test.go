package checkin

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
)

// TestCatalogKeys checks that both languages define the same check-in texts, that every
// key named in this package's code exists, and that command names follow Discord's rules.
func TestCatalogKeys(t *testing.T) {
	cat := testCatalog(t)
	mine := func(lang string) []string {
		var out []string
		for _, id := range cat.IDs(lang) {
			if strings.HasPrefix(id, "checkin.") {
				out = append(out, id)
			}
		}
		return out
	}
	nl, en := mine("nl"), mine("en")
	if len(nl) < 50 || !slices.Equal(nl, en) {
		t.Errorf("check-in keys differ between nl (%d) and en (%d)", len(nl), len(en))
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`"((?:checkin|cmd)\.[a-z0-9_.]*[a-z0-9_])"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			n++
			for _, lang := range []string{"nl", "en"} {
				if !cat.Has(lang, m[1]) {
					t.Errorf("%s: key %s missing in %s", f, m[1], lang)
				}
			}
		}
	}
	if n < 40 {
		t.Errorf("found only %d key references; is the pattern right?", n)
	}
	// Keys built at run time.
	var dynamic []string
	for _, v := range []string{"1", "2", "3", "4", "5"} {
		dynamic = append(dynamic, "checkin.mood."+v)
	}
	dynamic = append(dynamic, "checkin.done.1", "checkin.done.2", "checkin.done.3",
		"checkin.level.teacher", "checkin.level.shared", "checkin.level.self")

	wantNL := map[string]string{"checkin": "incheck", "away": "afwezig", "dayplan": "dagplan", "level": "niveau"}
	valid := regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)
	for _, c := range New().Commands() {
		dynamic = append(dynamic, "cmd."+c.Name+".name", "cmd."+c.Name+".desc", "cmd."+c.Name+".example")
		for _, o := range c.Options {
			dynamic = append(dynamic, "cmd."+c.Name+".opt."+o.Name, "cmd."+c.Name+".arg."+o.Name)
			for _, v := range o.Choices {
				dynamic = append(dynamic, "choice."+v)
			}
		}
		if got := cat.For("nl").T("cmd." + c.Name + ".name"); got != wantNL[c.Name] {
			t.Errorf("Dutch name of %s = %q, want %q", c.Name, got, wantNL[c.Name])
		}
		if got := cat.For("en").T("cmd." + c.Name + ".name"); got != c.Name {
			t.Errorf("English name of %s = %q", c.Name, got)
		}
		for _, lang := range []string{"nl", "en"} {
			if name := cat.For(lang).T("cmd." + c.Name + ".name"); !valid.MatchString(name) {
				t.Errorf("%s name of %s %q breaks Discord's rules", lang, c.Name, name)
			}
			if d := cat.For(lang).T("cmd." + c.Name + ".desc"); len([]rune(d)) > 100 {
				t.Errorf("%s description of %s is over Discord's 100 characters", lang, c.Name)
			}
			for _, o := range c.Options {
				if d := cat.For(lang).T("cmd." + c.Name + ".opt." + o.Name); len([]rune(d)) > 100 {
					t.Errorf("%s description of %s %s is over 100 characters", lang, c.Name, o.Name)
				}
			}
		}
	}
	for _, id := range dynamic {
		for _, lang := range []string{"nl", "en"} {
			if !cat.Has(lang, id) {
				t.Errorf("key %s missing in %s", id, lang)
			}
		}
	}
	// Button labels fit Discord's 80 characters.
	for _, lang := range []string{"nl", "en"} {
		for _, id := range mine(lang) {
			if strings.HasSuffix(id, ".skip") || strings.HasSuffix(id, ".away") || strings.HasPrefix(id, "checkin.mood.") && id != "checkin.mood.question" ||
				id == "checkin.goal.pick" || id == "checkin.goal.keep" {
				if l := len([]rune(cat.For(lang).T(id))); l > 80 {
					t.Errorf("%s label %s has %d characters", lang, id, l)
				}
			}
		}
	}
}

// TestEveryPathBothLanguages drives every path of the dialog in Dutch and in English;
// the sim checks each message for missing catalog keys ("[checkin.x]").
func TestEveryPathBothLanguages(t *testing.T) {
	scenarios := []func(s *sim){
		func(s *sim) { // teacher-led with plan, help, alert, done
			s.setPlan("2b", s.today(), "a; b")
			s.start("anna")
			s.text("anna", "")
			s.text("anna", strings.Repeat("x", 2000))
			s.text("anna", "gepest")
			s.text("anna", "zeven")
			s.press("anna", "checkin.open", "skip")
			s.press("anna", "checkin.mood", "1")
			s.text("anna", "hm")
			s.press("anna", "checkin.plan", "ok")
			s.text("anna", strings.Repeat("x", 2000))
			s.text("anna", "bullied")
			s.command("anna", "checkin", nil)
			s.press("anna", "checkin.mood", "1")
			s.text("anna", "hallo")
			s.step(s.input("anna", dialog.Form))
			s.command("anna", "away", nil)
		},
		func(s *sim) { // shared: choose, own goal, reminders
			s.setPlan("2b", s.today(), "a; b")
			s.remind("bram")
			s.remind("bram")
			s.press("bram", "checkin.open", "skip")
			s.press("bram", "checkin.mood", "2")
			s.text("bram", "x")
			s.press("bram", "checkin.choose", "own")
			s.text("bram", strings.Repeat("x", 301))
			s.text("bram", "1")
			s.command("bram", "checkin", nil)
			s.text("bram", "7")
			s.text("bram", "Eigen")
			s.press("bram", "checkin.help", "no")
			s.nextDay(1)
			s.start("bram")
			s.remind("bram")
			s.press("bram", "checkin.open", "skip")
			s.press("bram", "checkin.mood", "5")
			s.text("bram", "x")
			s.press("bram", "checkin.prev", "not")
			s.text("bram", "x")
			s.press("bram", "checkin.carry", "keep")
			s.press("bram", "checkin.help", "no")
			s.nextDay(1)
			finish(s, "cas", "Doel")
			s.nextDay(1)
			finish(s, "cas", "Doel")
		},
		func(s *sim) { // away, check in anyway, rollover, idle
			s.text("cas", "hoi")
			s.press("cas", "checkin.mood", "3")
			s.start("cas")
			s.press("cas", "checkin.open", "away")
			s.command("cas", "checkin", nil)
			s.press("cas", "checkin.start", "1")
			s.press("cas", "checkin.start", "1")
			s.nextDay(1)
			s.start("cas")
			s.school.Policy.LowMoodRun = 1
			s.press("cas", "checkin.open", "skip")
			s.press("cas", "checkin.mood", "1")
			s.school.Policy.LowMoodRun = 2
			s.profile["cas"]["lowrun"] = "1"
			s.nextDay(1)
			s.start("cas")
			s.press("cas", "checkin.open", "skip")
			s.press("cas", "checkin.mood", "1")
		},
		func(s *sim) { // staff commands
			for _, args := range []map[string]string{
				{"pupil": "cas", "level": "self"}, {"pupil": "emma", "level": "self"},
				{"pupil": "x", "level": "self"}, {"pupil": "cas", "level": "x"},
			} {
				s.command("mees", "level", args)
			}
			s.command("anna", "level", map[string]string{"pupil": "cas", "level": "self"})
			for _, args := range []map[string]string{
				{"plan": "a"}, {"plan": "a;b"}, {"plan": ""}, {"plan": strings.Repeat("x", 1001)},
				{"plan": strings.Repeat("x;", 30)}, {"plan": "a", "class": "3a"}, {"plan": "a", "class": "x"},
			} {
				s.command("tess", "dayplan", args)
			}
			s.command("anna", "dayplan", map[string]string{"plan": "a"})
			s.person("tess").Classes = nil
			s.command("tess", "dayplan", map[string]string{"plan": "a"})
		},
	}
	texts := map[string][]string{}
	for _, lang := range []string{"nl", "en"} {
		s := newSim(t, true)
		s.lang = lang
		for _, sc := range scenarios {
			sc(s)
		}
		if len(s.all) < 60 {
			t.Errorf("%s: only %d messages; did the scenarios run?", lang, len(s.all))
		}
		for _, m := range s.all {
			texts[lang] = append(texts[lang], chat.Plain(m.Text))
		}
	}
	// Same paths, different language: no English text slipped into Dutch or back.
	same := 0
	for i := range texts["nl"] {
		if i < len(texts["en"]) && texts["nl"][i] == texts["en"][i] {
			same++
		}
	}
	if same > 0 || len(texts["nl"]) != len(texts["en"]) {
		t.Errorf("%d of %d messages identical in nl and en (or counts differ: %d/%d)", same, len(texts["nl"]), len(texts["nl"]), len(texts["en"]))
	}
}
