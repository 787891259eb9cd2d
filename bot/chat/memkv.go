package chat

import (
	"context"
	"sync"
	"time"
)

// MemKV is an in-process KV for adapters run without Redis (tests, trying Kring out).
// It honours TTLs against the given clock function.
type MemKV struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]memEntry
}

type memEntry struct {
	v   string
	exp time.Time
}

// NewMemKV returns an empty in-memory KV; now tells the time (clock.Clock's Now).
func NewMemKV(now func() time.Time) *MemKV {
	return &MemKV{now: now, m: map[string]memEntry{}}
}

var _ KV = (*MemKV)(nil)

// Get returns the value under key, if it has not expired.
func (k *MemKV) Get(_ context.Context, key string) (string, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.m[key]
	if !ok || (!e.exp.IsZero() && k.now().After(e.exp)) {
		return "", false, nil
	}
	return e.v, true, nil
}

// Set stores value under key; ttl 0 keeps it.
func (k *MemKV) Set(_ context.Context, key, value string, ttl time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := memEntry{v: value}
	if ttl > 0 {
		e.exp = k.now().Add(ttl)
	}
	k.m[key] = e
	return nil
}

// SetNX stores value under key unless a live value is there, and reports whether it did.
func (k *MemKV) SetNX(_ context.Context, key, value string, ttl time.Duration) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e, ok := k.m[key]; ok && (e.exp.IsZero() || !k.now().After(e.exp)) {
		return false, nil
	}
	e := memEntry{v: value}
	if ttl > 0 {
		e.exp = k.now().Add(ttl)
	}
	k.m[key] = e
	return true, nil
}
