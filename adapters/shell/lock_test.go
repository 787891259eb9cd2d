package shell

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/store/storetest"
)

// TestSecondTerminalRefused: one terminal per Redis prefix; the second is told who
// holds it and since when; after the first releases (or its lock expires) the next
// one may start.
func TestSecondTerminalRefused(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	ctx := context.Background()
	key := prefix + ":{demo}:shell"
	since := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	a, err := Lock(ctx, rdb, key, "host-a-1", since, LockTTL)
	if err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > LockTTL {
		t.Fatalf("lock TTL %v, want within %v so a crashed terminal frees it", ttl, LockTTL)
	}
	_, err = Lock(ctx, rdb, key, "host-b-2", since.Add(time.Hour), LockTTL)
	var busy *Busy
	if !errors.As(err, &busy) || busy.Owner != "host-a-1" || !busy.Since.Equal(since) {
		t.Fatalf("second terminal: %v", err)
	}

	// The live terminal keeps its lock alive.
	rdb.PExpire(ctx, key, time.Second)
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= time.Second {
		t.Fatalf("refresh left TTL %v", ttl)
	}

	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := Lock(ctx, rdb, key, "host-b-2", since, LockTTL)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	// A terminal whose lock was taken over learns it, and its release leaves the
	// other's lock alone.
	if err := a.Refresh(ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("refresh of a lost lock: %v", err)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if v := rdb.Get(ctx, key).Val(); v == "" {
		t.Fatal("a stale release deleted another terminal's lock")
	}
	_ = b.Release(ctx)
}
