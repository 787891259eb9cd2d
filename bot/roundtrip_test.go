package bot_test

import (
	"context"
	"testing"

	"github.com/kring-school/kring/bench"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/poll"
)

// TestDialogStepCostsTwoRoundTrips holds the design's budget: a dialog step reads in one
// round trip and commits state, effects and messages in one more.
func TestDialogStepCostsTwoRoundTrips(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	counter := &bench.RoundTrips{}
	rdb.AddHook(counter)
	h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Adapters: []chat.Adapter{&bottest.Recorder{}}})
	ctx := context.Background()
	h.At("08:15") // check-ins out; the commit script is loaded on the server by now
	steps := []chat.Event{
		{ID: "rt1", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindMessage, Text: "Goed geslapen"},
		{ID: "rt2", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindButton, Action: "checkin.mood", Value: "5"},
	}
	for _, ev := range steps {
		before := counter.Count()
		if r := h.Engine.Handle(ctx, ev); len(r) > 0 {
			t.Fatalf("%s: %s", ev.ID, r[0].Text)
		}
		if got := counter.Count() - before; got != 2 {
			t.Fatalf("step %s took %d round trips, want 2", ev.ID, got)
		}
	}
	before := counter.Count()
	h.Engine.Handle(ctx, steps[0]) // a retried event: found in the first read, nothing written
	if got := counter.Count() - before; got != 1 {
		t.Fatalf("a duplicate event took %d round trips, want 1", got)
	}
}

// TestMentorHomeReadsInFewRoundTrips: a mentor's page reads every mentee's check-ins in
// one pipelined index read and one MGET, plus the audit entry, however many mentees.
func TestMentorHomeReadsInFewRoundTrips(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	counter := &bench.RoundTrips{}
	rdb.AddHook(counter)
	h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Adapters: []chat.Adapter{&bottest.Recorder{}}})
	ctx := context.Background()
	h.At("08:15")
	for _, p := range []string{"anna", "daan"} {
		h.Engine.Handle(ctx, chat.Event{ID: "away-" + p, Platform: chat.Shell, User: p, DM: true, Kind: chat.KindCommand, Command: "away"})
	}
	before := counter.Count()
	home, err := h.Engine.Home(ctx, "devries")
	if err != nil {
		t.Fatal(err)
	}
	if got := counter.Count() - before; got != 3 {
		t.Fatalf("mentor home took %d round trips for %d mentees, want 3", got, len(home.Mentees))
	}
	if len(home.Mentees) != 6 {
		t.Fatalf("home lists %d mentees, want 6", len(home.Mentees))
	}
}

// TestSharedRecordStepCostsTwoRoundTrips: a step that reads a shared record (a vote on a
// poll) still reads in one round trip and commits in one, and so does typed text that
// reaches a conversation listening on a shared record.
func TestSharedRecordStepCostsTwoRoundTrips(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	counter := &bench.RoundTrips{}
	rdb.AddHook(counter)
	rec := &bottest.Recorder{}
	h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Adapters: []chat.Adapter{rec},
		Dialogs: []dialog.Dialog{checkin.New(), poll.New()}})
	ctx := context.Background()
	h.At("08:15")
	mustHandle(t, h, command("rt-poll", "bakker", "poll", "Klaar? | Ja | Nee"))
	h.Tick()
	id := pollID(t, rec)
	for _, ev := range []chat.Event{
		button("rt-vote", "anna", "poll.vote", id+":1"),
		button("rt-open", "daan", "poll.private", id),
		typed("rt-typed", "daan", "2"),
		inThread("rt-thread", "sanne", "poll:"+id, "ja"),
	} {
		before := counter.Count()
		if r := h.Engine.Handle(ctx, ev); len(r) > 0 {
			t.Fatalf("%s: %s", ev.ID, r[0].Text)
		}
		if got := counter.Count() - before; got != 2 {
			t.Errorf("step %s took %d round trips, want 2", ev.ID, got)
		}
	}
}
