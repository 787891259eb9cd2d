// Package storetest gives tests a real Redis to work on: the server named by the
// KRING_TEST_REDIS environment variable (a redis:// URL; .ci/run sets it), with a key
// prefix of the test's own so test packages can share one server in parallel. It never
// flushes a database; it deletes only its own prefix when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// EnvURL names the environment variable with the test Redis URL.
const EnvURL = "KRING_TEST_REDIS"

// DefaultURL is used when EnvURL is unset: the local server of a developer machine.
const DefaultURL = "redis://127.0.0.1:6379/0"

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// Redis returns a client for the test Redis and a fresh key prefix. When EnvURL is set
// and the server does not answer, the test fails; when it is unset and no local server
// answers, the test is skipped with a message saying how to run it.
func Redis(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	url := os.Getenv(EnvURL)
	explicit := url != ""
	if !explicit {
		url = DefaultURL
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s=%q: %v", EnvURL, url, err)
	}
	rdb := redis.NewClient(opt)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if explicit {
			t.Fatalf("test Redis %s not reachable: %v", url, err)
		}
		t.Skipf("no Redis at %s (%v): start one or set %s; bash .ci/run does both", url, err, EnvURL)
	}
	prefix := Prefix(t)
	t.Cleanup(func() {
		DeletePrefix(context.Background(), rdb, prefix)
		_ = rdb.Close()
	})
	return rdb, prefix
}

// Prefix returns a key prefix unique to this test run.
func Prefix(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := unsafe.ReplaceAllString(t.Name(), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return "test:" + strings.Trim(name, "_") + ":" + hex.EncodeToString(b[:])
}

// DeletePrefix removes every key under prefix (SCAN + UNLINK, never FLUSH).
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) {
	iter := rdb.Scan(ctx, 0, prefix+":*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			rdb.Unlink(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		rdb.Unlink(ctx, batch...)
	}
}
