package store

import (
	"context"
	"fmt"
	"time"
)

// SetNX stores value under key only if the key is absent, and reports whether it did:
// several processes can agree on who acts first (chat.OnceKV).
func (k *KV) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	ok, err := k.s.rdb.SetNX(ctx, k.s.base+"kv:"+k.platform+":"+key, value, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("kv setnx %s: %w", key, err)
	}
	return ok, nil
}
