package shell

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A terminal drives time itself: its simulated clock decides when jobs are due and
// when outbox leases run out. Two terminals on one shared Redis would run the same
// school on two different clocks (three terminals delivered 62 check-ins to 60 pupils),
// so a terminal holds a lock in Redis while it runs and a second one is refused. The
// lock expires on its own when a terminal dies, so a crash does not block the next one
// for longer than LockTTL.

// LockTTL is how long the lock outlives a terminal that stopped refreshing it.
const LockTTL = 30 * time.Second

// Busy is the refusal of a second terminal: who holds the lock, and since when.
type Busy struct {
	Owner string
	Since time.Time
}

func (b *Busy) Error() string {
	return fmt.Sprintf("another terminal (%s) has been running on this Redis and prefix since %s", b.Owner, b.Since.Format(time.DateTime))
}

// ErrLost means the lock expired and was taken or cleared while this terminal ran
// (the process was suspended for longer than LockTTL, say).
var ErrLost = errors.New("the terminal lock was lost")

// Held is a terminal lock this process holds.
type Held struct {
	rdb   redis.UniversalClient
	key   string
	value string
	ttl   time.Duration
}

// refresh extends the lock if it is still ours; release deletes it if it is.
var (
	refreshScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
)

// Lock takes the terminal lock at key for owner (host and process), or returns *Busy
// when another terminal holds it. now is the wall-clock time, shown to the next one.
func Lock(ctx context.Context, rdb redis.UniversalClient, key, owner string, now time.Time, ttl time.Duration) (*Held, error) {
	value := strconv.FormatInt(now.Unix(), 10) + " " + owner
	ok, err := rdb.SetNX(ctx, key, value, ttl).Result()
	if err != nil {
		return nil, fmt.Errorf("take the terminal lock %s: %w", key, err)
	}
	if !ok {
		cur, err := rdb.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			// Released between the two calls: try once more.
			return Lock(ctx, rdb, key, owner, now, ttl)
		}
		if err != nil {
			return nil, fmt.Errorf("read the terminal lock %s: %w", key, err)
		}
		b := &Busy{Owner: cur}
		if ts, who, ok := strings.Cut(cur, " "); ok {
			if sec, err := strconv.ParseInt(ts, 10, 64); err == nil {
				b.Owner, b.Since = who, time.Unix(sec, 0)
			}
		}
		return nil, b
	}
	return &Held{rdb: rdb, key: key, value: value, ttl: ttl}, nil
}

// Refresh extends the lock by its TTL; ErrLost when it is no longer ours.
func (h *Held) Refresh(ctx context.Context) error {
	n, err := refreshScript.Run(ctx, h.rdb, []string{h.key}, h.value, h.ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("refresh the terminal lock: %w", err)
	}
	if n == 0 {
		return ErrLost
	}
	return nil
}

// Keep refreshes the lock three times per TTL until ctx ends, reporting each failure
// to warn (a Redis hiccup is retried at the next tick). It runs in real time on
// purpose: the lock guards against other processes, not simulated time.
func (h *Held) Keep(ctx context.Context, warn func(error)) {
	t := time.NewTicker(h.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := h.Refresh(ctx); err != nil && ctx.Err() == nil {
				warn(err)
			}
		}
	}
}

// Release deletes the lock if it is still ours.
func (h *Held) Release(ctx context.Context) error {
	if err := releaseScript.Run(ctx, h.rdb, []string{h.key}, h.value).Err(); err != nil {
		return fmt.Errorf("release the terminal lock: %w", err)
	}
	return nil
}
