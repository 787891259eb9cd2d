package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Connect opens the Redis named by one URL (the KRING_REDIS_URL setting):
//
//	redis://[user:password@]host:6379/0                    a single server (rediss:// for TLS)
//	redis+sentinel://[user:password@]host:26379/0?master_name=mymaster&addr=host2:26379
//	                                                        Sentinel: the sentinels and the master's name
//	redis+cluster://[user:password@]host:7000?addr=host2:7000&addr=host3:7000
//	                                                        Cluster: some of its nodes
//
// The +sentinel and +cluster forms take go-redis's query options (dial_timeout ...)
// and also come in rediss+ spellings for TLS. It pings the server before returning.
func Connect(ctx context.Context, raw string) (redis.UniversalClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url's error quotes the whole URL, password included: say what is wrong only.
		return nil, errors.New("redis url: not a valid URL (a password with special characters must be percent-encoded)")
	}
	base, mode, _ := strings.Cut(u.Scheme, "+")
	if base != "redis" && base != "rediss" {
		return nil, fmt.Errorf("redis url: scheme %q: use redis://, rediss://, redis+sentinel:// or redis+cluster://", u.Scheme)
	}
	u.Scheme = base
	plain := u.String()
	var rdb redis.UniversalClient
	switch mode {
	case "":
		o, err := redis.ParseURL(plain)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", err)
		}
		// Without it go-redis ignores context deadlines on a stalled server, and a
		// Discord interaction (3 s) or a health check would wait for Redis.
		o.ContextTimeoutEnabled = true
		rdb = redis.NewClient(o)
	case "sentinel":
		o, err := redis.ParseFailoverURL(plain)
		if err != nil {
			return nil, fmt.Errorf("redis sentinel url: %w", err)
		}
		if o.MasterName == "" {
			return nil, fmt.Errorf("redis sentinel url: add ?master_name=NAME")
		}
		o.ContextTimeoutEnabled = true
		rdb = redis.NewFailoverClient(o)
	case "cluster":
		o, err := redis.ParseClusterURL(plain)
		if err != nil {
			return nil, fmt.Errorf("redis cluster url: %w", err)
		}
		o.ContextTimeoutEnabled = true
		rdb = redis.NewClusterClient(o)
	default:
		return nil, fmt.Errorf("redis url: unknown mode %q: use +sentinel or +cluster", mode)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis at %s: %w", Redact(raw), err)
	}
	return rdb, nil
}

// Redact hides the passwords of a Redis URL (user info and the password and
// sentinel_password options) so it can be logged.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}
