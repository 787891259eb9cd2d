package link_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kring-school/kring/bench"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
)

// TestLinkedPupilCostsNoExtraRoundTrip: once linked, a pupil's step is the usual two
// round trips; the link is resolved from memory.
func TestLinkedPupilCostsNoExtraRoundTrip(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	counter := &bench.RoundTrips{}
	rdb.AddHook(counter)
	rec := &bottest.Recorder{P: chat.Discord}
	h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Adapters: []chat.Adapter{rec}})
	ctx := context.Background()
	if err := h.Links.Link(ctx, chat.Discord, "anna", "700000000000000001"); err != nil {
		t.Fatal(err)
	}
	h.At("08:15")
	if got := rec.To("700000000000000001"); len(got) == 0 || !strings.Contains(chat.Plain(got[0].Text), "Anna") {
		t.Fatalf("anna's check-in did not reach her linked account: %+v", got)
	}
	before := counter.Count()
	ev := chat.Event{ID: "rt-linked", Platform: chat.Discord, User: "700000000000000001", DM: true, Kind: chat.KindMessage, Text: "Goed geslapen"}
	if r := h.Engine.Handle(ctx, ev); len(r) > 0 {
		t.Fatalf("linked pupil's answer: %s", r[0].Text)
	}
	if got := counter.Count() - before; got != 2 {
		t.Fatalf("a linked pupil's step took %d round trips, want 2", got)
	}
}
