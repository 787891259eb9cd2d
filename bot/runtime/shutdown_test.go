package runtime_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/dialog"
	krt "github.com/kring-school/kring/bot/runtime"
	"github.com/kring-school/kring/bot/store/storetest"
	"github.com/kring-school/kring/dialogs/checkin"
)

// blocker is an adapter whose Send hangs until its context ends, like a platform that
// stops answering during a shutdown.
type blocker struct {
	bottest.Recorder
	entered chan chat.Delivery
}

func (b *blocker) Send(ctx context.Context, d chat.Delivery) error {
	b.entered <- d
	<-ctx.Done()
	return ctx.Err()
}

// TestShutdownLeavesInFlightMessageInOutbox stops a running Kring (SIGTERM cancels the
// context) while a message is being sent, and checks that the message is neither lost
// nor marked delivered: the next process delivers it once its lease ends.
func TestShutdownLeavesInFlightMessageInOutbox(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	clk := clock.NewFake(bottest.Monday0750)
	school := bottest.ExampleSchool(t)
	quiet := slog.New(slog.DiscardHandler)
	stuck := &blocker{entered: make(chan chat.Delivery, 1)}
	rt, err := krt.New(krt.Options{
		School: school, Redis: rdb, Prefix: prefix, Clock: clk, Log: quiet, Owner: "one",
		Dialogs: []dialog.Dialog{checkin.New()}, Adapters: []chat.Adapter{stuck},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- rt.Run(ctx, true) }()

	ev := chat.Event{ID: "ev-1", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindCommand, Command: "checkin"}
	if r := rt.Engine.Handle(context.Background(), ev); len(r) != 0 {
		t.Fatalf("check-in command failed: %q", r[0].Text)
	}
	inFlight := <-stuck.entered
	cancel()
	if err := <-stopped; err != nil {
		t.Fatalf("Run after shutdown: %v", err)
	}
	queued, dead, err := rt.Outbox.Depth(context.Background())
	if err != nil || queued != 1 || dead != 0 {
		t.Fatalf("outbox after shutdown: queued %d dead %d (%v), want the in-flight message kept", queued, dead, err)
	}

	// The next process takes the message over once the lease of the stopped one ends.
	rec := &bottest.Recorder{}
	next, err := krt.New(krt.Options{
		School: school, Redis: rdb, Prefix: prefix, Clock: clk, Log: quiet, Owner: "two",
		Dialogs: []dialog.Dialog{checkin.New()}, Adapters: []chat.Adapter{rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := next.Deliverer.DeliverDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("delivered %d (%v) while the lease held, want 0", n, err)
	}
	clk.Advance(next.Outbox.Lease + time.Second)
	if n, err := next.Deliverer.DeliverDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("delivered %d (%v) after the lease, want 1", n, err)
	}
	sent := rec.Sent()
	if len(sent) != 1 || sent[0].Message.ID != inFlight.Message.ID || sent[0].Message.Text != inFlight.Message.Text {
		t.Fatalf("the next process sent %+v, want the in-flight message %s", sent, inFlight.Message.ID)
	}
	if queued, _, _ := next.Outbox.Depth(context.Background()); queued != 0 {
		t.Fatalf("outbox holds %d after delivery, want 0", queued)
	}
}
