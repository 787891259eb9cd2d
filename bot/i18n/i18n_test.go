package i18n

import (
	"strings"
	"testing"
)

// TestEveryMessageInBothLanguages keeps the catalogs complete: a key in one language
// must exist in the other, and every message must render.
func TestEveryMessageInBothLanguages(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	nl, en := c.IDs("nl"), c.IDs("en")
	if len(nl) == 0 {
		t.Fatal("no Dutch messages loaded")
	}
	for _, pair := range [][2]string{{"nl", "en"}, {"en", "nl"}} {
		for _, id := range c.IDs(pair[0]) {
			if !c.Has(pair[1], id) {
				t.Errorf("%s has %q but %s does not", pair[0], id, pair[1])
			}
		}
	}
	for _, lang := range Languages {
		L := c.For(lang)
		for _, id := range c.IDs(lang) {
			if got := L.N(id, 2); got == "["+id+"]" || strings.TrimSpace(got) == "" {
				t.Errorf("%s: %q does not render", lang, id)
			}
		}
	}
	if len(nl) != len(en) {
		t.Errorf("nl has %d messages, en %d", len(nl), len(en))
	}
}

func TestMissingMessageIsVisibleNotFatal(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.For("en").T("no.such.key"); got != "[no.such.key]" {
		t.Fatalf("missing key renders %q", got)
	}
	if got := c.For("fr").Lang(); got != "nl" {
		t.Fatalf("unknown language falls back to %q, want nl", got)
	}
}
