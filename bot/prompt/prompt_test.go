package prompt

import (
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/chat"
)

var moods = []chat.Choice{
	{Action: "m", Value: "1", Label: "😢 Slecht"},
	{Action: "m", Value: "3", Label: "😐 Gaat wel"},
	{Action: "m", Value: "5", Label: "😄 Geweldig"},
	{Action: "m", Value: "x", Label: "Café"},
}

func TestMatch(t *testing.T) {
	cases := []struct {
		text string
		by   By
		want string // value, "" for no match
	}{
		{"2", By{Number: true}, "3"},
		{"2", By{}, ""},
		{"5", By{Value: true}, "5"},
		{"5", By{}, ""},
		{"gaat WEL!", By{}, "3"},
		{"  geweldig ", By{}, "5"},
		{"😄", By{}, "5"},
		{"😄️", By{}, "5"}, // with a variation selector, as phones send it
		{"cafe", By{}, "x"},
		{"CAFÉ", By{}, "x"},
		{"9", By{Number: true}, ""},
		{"", By{Number: true}, ""},
		{"🙂", By{}, ""},
		{"slecht geslapen", By{}, ""},
	}
	for _, c := range cases {
		got, ok := Match(c.text, moods, c.by)
		if c.want == "" {
			if ok {
				t.Errorf("Match(%q, %+v) = %q, want no match", c.text, c.by, got.Value)
			}
			continue
		}
		if !ok || got.Value != c.want {
			t.Errorf("Match(%q, %+v) = %q, %v; want %q", c.text, c.by, got.Value, ok, c.want)
		}
	}
}

func TestTextAndNumber(t *testing.T) {
	if s, p, _ := Text("  hoi ", 10); s != "hoi" || p != OK {
		t.Errorf("Text = %q %q", s, p)
	}
	if _, p, _ := Text(" \n ", 10); p != Empty {
		t.Errorf("blank: %q", p)
	}
	if _, p, n := Text(strings.Repeat("é", 11), 10); p != TooLong || n != 11 {
		t.Errorf("too long: %q %d", p, n)
	}
	if k, ok := LooksLikeNumber(" 1 ", moods); !ok || k != 1 {
		t.Errorf("LooksLikeNumber = %d %v", k, ok)
	}
	if _, ok := LooksLikeNumber("12", moods); ok {
		t.Error("12 is not a choice of 4")
	}
}

func TestAskDegrades(t *testing.T) {
	m := Ask("anna", "Hoe gaat het?", moods, chat.Capabilities{})
	if !strings.Contains(m.Text, "2. 😐 Gaat wel") || len(m.Choices) != 4 {
		t.Errorf("without buttons the choices are numbered: %q", m.Text)
	}
	m = Ask("anna", "Hoe gaat het?", moods, chat.Capabilities{Buttons: true, MaxButtons: 5})
	if strings.Contains(m.Text, "1.") {
		t.Errorf("with buttons no numbered list: %q", m.Text)
	}
	m = Ask("anna", "Hoe gaat het?", moods, chat.Capabilities{Buttons: true, MaxButtons: 3})
	if !strings.Contains(m.Text, "4. Café") {
		t.Errorf("more choices than buttons: numbered too: %q", m.Text)
	}
	f := chat.Form{Action: "x.f", Title: "Vraag"}
	if m := Form("anna", "Typ je vraag", f, chat.Capabilities{Forms: true}); m.Form == nil {
		t.Error("form dropped where the platform has forms")
	}
	if m := Form("anna", "Typ je vraag", f, chat.Capabilities{}); m.Form != nil || m.Text != "Typ je vraag" {
		t.Errorf("fallback = %+v", m)
	}
}

func TestSharedEmojiAsksRatherThanGuesses(t *testing.T) {
	two := []chat.Choice{{Value: "a", Label: "✏️ Schrijven"}, {Value: "b", Label: "✏ Tekenen"}, {Value: "c", Label: "📚 Lezen"}}
	if c, ok := Match("✏", two, By{}); ok {
		t.Errorf("a shared emoji matched %q", c.Value)
	}
	if c, ok := Match("📚", two, By{}); !ok || c.Value != "c" {
		t.Errorf("📚 = %q %v", c.Value, ok)
	}
	if !InList(" Niks! ", "overslaan, niks, skip") || InList("niks meer", "overslaan, niks") {
		t.Error("InList compares whole normalised phrases")
	}
	if n, ok := BareNumber(" 2. "); !ok || n != 2 {
		t.Errorf("BareNumber = %d %v", n, ok)
	}
}

func TestFoldAccents(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"Niet zo goed!":   "Niet zo goed!",
		"Suïcide":         "Suicide",
		"één café, naïef": "een cafe, naief",
		"Öztürk":          "Ozturk",
		"ø and ß stay":    "ø and ß stay", // no decomposition: kept as they are
		"🙁 Niet zo goed":  "🙁 Niet zo goed",
	} {
		if got := FoldAccents(in); got != want {
			t.Errorf("FoldAccents(%q) = %q, want %q", in, got, want)
		}
	}
	if Normalize("🙁 Niet zo GOED") != Normalize("niet zo goed") || Normalize("Één") != "een" {
		t.Error("Normalize no longer ignores case, accents and punctuation")
	}
}
