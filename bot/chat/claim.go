package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Claim reports whether owner may act first on key for the next ttl: several Kring
// processes share one bot, and something that must happen once per deployment (start a
// class thread) is done by the one that claims it. Over a OnceKV shared by the
// processes one owner wins until the claim expires; the winner asking again (a retry
// of its own) still wins, and a winner that dies frees the key when ttl runs out. A KV
// without SetNX belongs to one process, which always wins.
func Claim(ctx context.Context, kv KV, key, owner string, ttl time.Duration) (bool, error) {
	once, ok := kv.(OnceKV)
	if !ok {
		return true, nil
	}
	won, err := once.SetNX(ctx, key, owner, ttl)
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	if won {
		return true, nil
	}
	v, ok, err := kv.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	if !ok {
		// Expired between the two calls: try once more rather than wait a round.
		won, err := once.SetNX(ctx, key, owner, ttl)
		if err != nil {
			return false, fmt.Errorf("claim %s: %w", key, err)
		}
		return won, nil
	}
	return v == owner, nil
}

// NewOwner returns a random id for one process's claims.
func NewOwner() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on the platforms Go supports
	return hex.EncodeToString(b)
}
