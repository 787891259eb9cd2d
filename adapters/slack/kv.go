package slack

import (
	"context"
	"sync"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
)

// Keys the adapter keeps in its chat.KV. The store adds its own prefix per platform.
const (
	// kvDM caches a user's DM channel id: conversations.open is a Tier 3 method, and a
	// morning fan-out must not open one DM per pupil per day.
	kvDM = "dm:"
	// kvForm holds a pending form by message id until its modal is submitted.
	kvForm = "form:"
	// kvThread maps a class's logical thread key to the ts of its parent message.
	kvThread = "thread:"
	// kvSent marks the text part of a message with an image as posted, so a retry
	// after a failed upload does not post the text twice.
	kvSent = "sent:"
)

const (
	dmTTL   = 90 * 24 * time.Hour
	formTTL = 14 * 24 * time.Hour
	sentTTL = 48 * time.Hour
)

// memKV is the in-process KV used when none is given (tests, trying Kring out).
type memKV struct {
	mu  sync.Mutex
	clk clock.Clock
	m   map[string]memEntry
}

type memEntry struct {
	v   string
	exp time.Time
}

func newMemKV(clk clock.Clock) *memKV { return &memKV{clk: clk, m: map[string]memEntry{}} }

var _ chat.KV = (*memKV)(nil)

// Get returns the value under key, if it has not expired.
func (k *memKV) Get(_ context.Context, key string) (string, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.m[key]
	if !ok || (!e.exp.IsZero() && k.clk.Now().After(e.exp)) {
		return "", false, nil
	}
	return e.v, true, nil
}

// Set stores value under key; ttl 0 keeps it.
func (k *memKV) Set(_ context.Context, key, value string, ttl time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := memEntry{v: value}
	if ttl > 0 {
		e.exp = k.clk.Now().Add(ttl)
	}
	k.m[key] = e
	return nil
}
