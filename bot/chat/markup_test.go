package chat

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	bold := func(s string) string { return "<b>" + s + "</b>" }
	esc := func(s string) string { return strings.NewReplacer("<", "&lt;", ">", "&gt;", "@", "@\u200b").Replace(s) }
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"*bold* text", "<b>bold</b> text"},
		{"a *b* c *d*", "a <b>b</b> c <b>d</b>"},
		{"lone * star", "lone * star"},
		{"*" + Literal("@everyone") + "* said", "<b>@\u200beveryone</b> said"},
		{"x " + Literal("*not bold*") + " y", "x *not bold* y"},
		{Literal("<!channel>"), "&lt;!channel&gt;"},
		{"open *" + Literal("x"), "open *x"},
	}
	for _, c := range cases {
		if got := Render(c.in, bold, esc); got != c.want {
			t.Errorf("Render(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLiteralCannotBeForged(t *testing.T) {
	// A pupil who types the private delimiters cannot close their literal early and
	// smuggle trusted markup into a message.
	evil := "x" + string(litClose) + "*@here*" + string(litOpen) + "y"
	segs := Segments("Answer: " + Literal(evil))
	if len(segs) != 2 || !segs[1].Literal || segs[1].Text != "x*@here*y" {
		t.Fatalf("segments = %+v, want one literal holding the whole answer", segs)
	}
}

func TestPlain(t *testing.T) {
	if got := Plain("*Hoi* " + Literal("<@123>")); got != "Hoi <@123>" {
		t.Fatalf("Plain = %q", got)
	}
}

func TestMemKVHonoursTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	kv := NewMemKV(func() time.Time { return now })
	ctx := context.Background()
	_ = kv.Set(ctx, "a", "1", time.Minute)
	_ = kv.Set(ctx, "b", "2", 0)
	if v, ok, _ := kv.Get(ctx, "a"); !ok || v != "1" {
		t.Fatalf("a = %q %v", v, ok)
	}
	now = now.Add(2 * time.Minute)
	if _, ok, _ := kv.Get(ctx, "a"); ok {
		t.Fatal("a outlived its TTL")
	}
	if v, ok, _ := kv.Get(ctx, "b"); !ok || v != "2" {
		t.Fatalf("b without TTL = %q %v", v, ok)
	}
}
