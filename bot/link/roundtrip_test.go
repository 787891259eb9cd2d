package link_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/redis/go-redis/v9"
)

type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

// TestLinkedPupilCostsNoExtraRoundTrip: once linked, a pupil's step is the usual two
// round trips; the link is resolved from memory.
func TestLinkedPupilCostsNoExtraRoundTrip(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	counter := &roundTrips{}
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
	before := counter.n.Load()
	ev := chat.Event{ID: "rt-linked", Platform: chat.Discord, User: "700000000000000001", DM: true, Kind: chat.KindMessage, Text: "Goed geslapen"}
	if r := h.Engine.Handle(ctx, ev); len(r) > 0 {
		t.Fatalf("linked pupil's answer: %s", r[0].Text)
	}
	if got := counter.n.Load() - before; got != 2 {
		t.Fatalf("a linked pupil's step took %d round trips, want 2", got)
	}
}
