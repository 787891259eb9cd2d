package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/store/embedded"
)

// TestCheckInSurvivesRestartOfEmbeddedStore stops Kring (and its embedded store) in the
// middle of a pupil's check-in and starts it again on the same data file: the pupil
// carries on at the same question and the earlier answers are kept.
func TestCheckInSurvivesRestartOfEmbeddedStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kring.json")
	clk := clock.NewFake(bottest.Monday0750)
	ctx := context.Background()
	start := func() (*bottest.Harness, *bottest.Recorder, func()) {
		srv, err := embedded.Open(path, clk, nil)
		if err != nil {
			t.Fatal(err)
		}
		rdb := srv.NewClient()
		rec := &bottest.Recorder{}
		h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: "kring", Clock: clk, Adapters: []chat.Adapter{rec}})
		return h, rec, func() {
			_ = rdb.Close()
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	say := func(h *bottest.Harness, id, text string) {
		if r := h.Engine.Handle(ctx, chat.Event{ID: id, Platform: chat.Shell, User: "sanne", DM: true, Kind: chat.KindMessage, Text: text}); len(r) > 0 {
			t.Fatalf("%s: %s", id, r[0].Text)
		}
		h.Tick()
	}

	h, rec, stop := start()
	h.At("08:15")
	say(h, "e1", "Mijn spreekbeurt komt eraan")
	say(h, "e2", "4")
	asked := rec.To("sanne")
	if last := asked[len(asked)-1].Text; !strings.Contains(last, "doel") {
		t.Fatalf("before the restart the goal question should be open, last message: %q", last)
	}
	stop()

	h, rec, stop = start()
	defer stop()
	// The event ids seen before the restart are still known: a platform retry after the
	// restart has no second effect.
	say(h, "e2", "4")
	if n := len(rec.Sent()); n != 0 {
		t.Fatalf("a retried event after the restart sent %d messages", n)
	}
	say(h, "e3", "Spreekbeurt over vulkanen afmaken")
	if got := rec.To("sanne"); len(got) != 1 || !strings.Contains(got[0].Text, "hulp") {
		t.Fatalf("after the restart the goal answer should lead to the help question, got %+v", got)
	}
	say(h, "e4", "Nee")
	recent, err := h.Engine.RecentCheckIns(ctx, "sanne", 1)
	if err != nil || len(recent) != 1 {
		t.Fatalf("recent check-ins: %v, %d", err, len(recent))
	}
	c := recent[0]
	if c.Open != "Mijn spreekbeurt komt eraan" || c.Mood != 4 || c.Goal != "Spreekbeurt over vulkanen afmaken" || c.Status != "done" {
		t.Fatalf("check-in after a restart = %+v, want the answers from before and after", c)
	}
}
