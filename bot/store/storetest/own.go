package storetest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stall makes the Redis at url stop answering for d (DEBUG SLEEP) and returns once
// it verifiably stalls; the returned channel closes when Redis answers again. Only for
// a server from OwnRedis.
func Stall(t testing.TB, url string, d time.Duration) <-chan struct{} {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	sleepOpt := *opt
	sleepOpt.ReadTimeout = -1        // wait for the whole sleep
	opt.ContextTimeoutEnabled = true // the probe must give up on a sleeping server
	sleeper, probe := redis.NewClient(&sleepOpt), redis.NewClient(opt)
	woke := make(chan struct{})
	go func() {
		defer close(woke)
		defer sleeper.Close()
		_ = sleeper.Do(context.Background(), "DEBUG", "SLEEP", strconv.FormatFloat(d.Seconds(), 'f', 3, 64)).Err()
	}()
	defer probe.Close()
	for {
		// A PING that times out shows the server is asleep; one that answers came first.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := probe.Ping(ctx).Err()
		cancel()
		if err != nil {
			return woke
		}
		select {
		case <-woke:
			t.Fatal("DEBUG SLEEP returned before the server was seen stalled (is DEBUG enabled?)")
		default:
		}
	}
}

// OwnRedis starts a redis-server of the test's own on a free local port, for tests
// that stall, stop or break Redis (never the shared one), and returns its URL. The
// server ends with the test. The test is skipped when redis-server is not installed.
func OwnRedis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed: this test needs a Redis of its own")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--enable-debug-command", "local", "--dir", t.TempDir(), "--logfile", filepath.Join(t.TempDir(), "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if c.Ping(ctx).Err() == nil {
			return url
		}
		select {
		case <-ctx.Done():
			t.Fatalf("own redis-server on port %d did not answer", port)
		case <-time.After(20 * time.Millisecond): // waiting for a process to start listening
		}
	}
}
