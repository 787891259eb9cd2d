package guard_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/guard"
	"github.com/kring-school/kring/bot/store/storetest"
)

// Two processes (two guards on one Redis prefix): a ban seen by one pauses both; bans
// in a row double the pause; when it ends exactly one process gets the probe, the
// admin hook fires once per episode, and a success ends it for both.
func TestBanIsSharedBackedOffAndProbedOnce(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	clk := clock.NewFake(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC))
	var paused, resumed atomic.Int32
	mk := func() *guard.Guard {
		return guard.New(guard.Options{Platform: chat.Discord, Redis: rdb, Prefix: prefix + ":", Now: clk.Now,
			OnPause:  func(context.Context, string, time.Time) { paused.Add(1) },
			OnResume: func(context.Context, string) { resumed.Add(1) }})
	}
	a, b := mk(), mk()
	ctx := context.Background()
	if d := a.Banned(ctx, 0); d != guard.BanMin {
		t.Errorf("first ban pauses %v, want %v", d, guard.BanMin)
	}
	var pe *chat.PausedError
	if err := b.Wait(ctx, "", guard.Limit{}); !errors.As(err, &pe) || pe.Reason != guard.ReasonBanned {
		t.Fatalf("the other process may send during a ban: %v", err)
	}
	if d := b.Banned(ctx, 0); d != 2*guard.BanMin {
		t.Errorf("a second ban in a row pauses %v, want %v", d, 2*guard.BanMin)
	}
	if paused.Load() != 1 {
		t.Errorf("admin told %d times for one episode", paused.Load())
	}
	clk.Advance(2*guard.BanMin + time.Second)
	errA, errB := a.Wait(ctx, "", guard.Limit{}), b.Wait(ctx, "", guard.Limit{})
	if (errA == nil) == (errB == nil) {
		t.Fatalf("after the pause: process A %v, process B %v; want exactly one probe", errA, errB)
	}
	prober := a
	if errA != nil {
		prober = b
	}
	prober.OK(ctx)
	if resumed.Load() != 1 {
		t.Errorf("admin told of %d resumptions, want 1", resumed.Load())
	}
	clk.Advance(time.Second) // past the shared-state cache of the other process
	if err := a.Wait(ctx, "", guard.Limit{}); err != nil {
		t.Errorf("A still paused after the probe went through: %v", err)
	}
	if err := b.Wait(ctx, "", guard.Limit{}); err != nil {
		t.Errorf("B still paused after the probe went through: %v", err)
	}
}
