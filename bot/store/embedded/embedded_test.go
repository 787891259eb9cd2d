package embedded

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot/clock"
)

var t0 = time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)

// logBuffer collects log output; the flusher goroutine may log concurrently.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openTest opens a server without the background flusher, so a test decides when
// snapshots are written. The server is closed at cleanup if the test did not.
func openTest(t testing.TB, path string, clk clock.Clock, logs *logBuffer) *Server {
	t.Helper()
	var log *slog.Logger
	if logs != nil {
		log = slog.New(slog.NewTextHandler(logs, nil))
	}
	s, err := open(path, clk, log, nil)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newClient(t testing.TB, s *Server) redis.UniversalClient {
	t.Helper()
	c := s.NewClient()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantTTL(t *testing.T, c redis.UniversalClient, key string, want time.Duration) {
	t.Helper()
	got, err := c.PTTL(context.Background(), key).Result()
	must(t, err)
	if got != want {
		t.Errorf("PTTL %s = %v, want %v", key, got, want)
	}
}

func TestRoundTripAllTypesWithTTLs(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "data", "kring.json")
	s := openTest(t, path, clk, nil)
	c := newClient(t, s)

	binary := "\x00\xff\xfe raw \x80 bytes"
	must(t, c.Set(ctx, "str", "héllo <b>&</b>", time.Hour).Err())
	must(t, c.Set(ctx, "empty", "", 0).Err())
	must(t, c.Set(ctx, "bin", binary, 0).Err())
	must(t, c.Set(ctx, "short", "gone after restart", time.Minute).Err())
	must(t, c.HSet(ctx, "hash", "f1", "v1", "f2", "v2", binary, binary).Err())
	must(t, c.Expire(ctx, "hash", 2*time.Hour).Err())
	must(t, c.HSet(ctx, "hfield", "keep", "1", "drop", "2").Err())
	must(t, c.HExpire(ctx, "hfield", 90*time.Second, "drop").Err())
	must(t, c.HExpire(ctx, "hfield", 3*time.Hour, "keep").Err())
	must(t, c.RPush(ctx, "list", "c", "a", "b", "a").Err())
	must(t, c.SAdd(ctx, "set", "x", "y", "z").Err())
	must(t, c.ZAdd(ctx, "zset",
		redis.Z{Score: 1.5, Member: "a"},
		redis.Z{Score: math.Inf(-1), Member: "low"},
		redis.Z{Score: math.Inf(1), Member: "high"},
		redis.Z{Score: 0.1, Member: "tenth"}).Err())
	must(t, c.Eval(ctx, `redis.call('SET', KEYS[1], ARGV[1]); redis.call('HSET', KEYS[2], 'n', ARGV[1]); return 1`,
		[]string{"{lua}:s", "{lua}:h"}, "from lua").Err())
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.IncrBy(ctx, "counter", 5)
		p.SAdd(ctx, "set", "w")
		p.Expire(ctx, "counter", 30*time.Minute)
		return nil
	})
	must(t, err)
	must(t, s.Close())

	// Down for two minutes: "short" and the field "drop" expire meanwhile.
	clk.Advance(2 * time.Minute)
	s2 := openTest(t, path, clk, nil)
	c2 := newClient(t, s2)

	for key, want := range map[string]string{"str": "héllo <b>&</b>", "empty": "", "bin": binary, "{lua}:s": "from lua", "counter": "5"} {
		got, err := c2.Get(ctx, key).Result()
		if err != nil || got != want {
			t.Errorf("GET %s = %q, %v; want %q", key, got, err, want)
		}
	}
	if err := c2.Get(ctx, "short").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET short after its TTL passed while down: err = %v, want redis.Nil", err)
	}
	wantTTL(t, c2, "str", time.Hour-2*time.Minute)
	wantTTL(t, c2, "hash", 2*time.Hour-2*time.Minute)
	wantTTL(t, c2, "counter", 30*time.Minute-2*time.Minute)
	wantTTL(t, c2, "list", -1) // no TTL

	hash, err := c2.HGetAll(ctx, "hash").Result()
	must(t, err)
	if want := map[string]string{"f1": "v1", "f2": "v2", binary: binary}; !mapsEqual(hash, want) {
		t.Errorf("HGETALL hash = %q, want %q", hash, want)
	}
	hf, err := c2.HGetAll(ctx, "hfield").Result()
	must(t, err)
	if want := map[string]string{"keep": "1"}; !mapsEqual(hf, want) {
		t.Errorf("HGETALL hfield = %q, want %q (field TTL passed while down)", hf, want)
	}
	fttl, err := c2.HPTTL(ctx, "hfield", "keep").Result()
	must(t, err)
	if want := (3*time.Hour - 2*time.Minute).Milliseconds(); len(fttl) != 1 || fttl[0] != want {
		t.Errorf("HPTTL hfield keep = %v, want [%d]", fttl, want)
	}
	lua, err := c2.HGet(ctx, "{lua}:h", "n").Result()
	if err != nil || lua != "from lua" {
		t.Errorf("HGET {lua}:h n = %q, %v", lua, err)
	}
	list, err := c2.LRange(ctx, "list", 0, -1).Result()
	must(t, err)
	if want := []string{"c", "a", "b", "a"}; !slices.Equal(list, want) {
		t.Errorf("LRANGE list = %q, want %q", list, want)
	}
	set, err := c2.SMembers(ctx, "set").Result()
	must(t, err)
	slices.Sort(set)
	if want := []string{"w", "x", "y", "z"}; !slices.Equal(set, want) {
		t.Errorf("SMEMBERS set = %q, want %q", set, want)
	}
	z, err := c2.ZRangeWithScores(ctx, "zset", 0, -1).Result()
	must(t, err)
	wantZ := []redis.Z{{Score: math.Inf(-1), Member: "low"}, {Score: 0.1, Member: "tenth"}, {Score: 1.5, Member: "a"}, {Score: math.Inf(1), Member: "high"}}
	if !slices.Equal(z, wantZ) {
		t.Errorf("ZRANGE zset WITHSCORES = %v, want %v", z, wantZ)
	}

	// TTLs keep running on the fake clock after the restart.
	clk.Advance(time.Hour - 2*time.Minute)
	if err := c2.Get(ctx, "str").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET str after its restored TTL: err = %v, want redis.Nil", err)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestTTLHonouredWhileRunning(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	s := openTest(t, filepath.Join(t.TempDir(), "kring.json"), clk, nil)
	c := newClient(t, s)

	must(t, c.Set(ctx, "k", "v", 10*time.Second).Err())
	clk.Advance(9 * time.Second)
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET k before its TTL = %q, %v", got, err)
	}
	wantTTL(t, c, "k", time.Second)
	clk.Advance(2 * time.Second)
	if err := c.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET k after its TTL: err = %v, want redis.Nil", err)
	}

	// EXPIREAT is measured against the same clock.
	must(t, c.Set(ctx, "at", "v", 0).Err())
	must(t, c.ExpireAt(ctx, "at", clk.Now().Add(time.Minute)).Err())
	wantTTL(t, c, "at", time.Minute)
	now, err := c.Time(ctx).Result()
	must(t, err)
	if !now.Equal(clk.Now()) {
		t.Errorf("TIME = %v, want the Kring clock %v", now, clk.Now())
	}
}

func TestTTLResolution(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	s := openTest(t, filepath.Join(t.TempDir(), "kring.json"), clk, nil)
	c := newClient(t, s)

	must(t, c.Set(ctx, "k", "v", 50*time.Millisecond).Err())
	clk.Advance(60 * time.Millisecond) // past the deadline, but less than one tick
	if err := c.Get(ctx, "k").Err(); err != nil {
		t.Fatalf("GET k within one TTLResolution tick: %v (the clock should not have moved yet)", err)
	}
	clk.Advance(TTLResolution)
	if err := c.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET k a tick later: err = %v, want redis.Nil", err)
	}
}

func TestCrashLosesOnlyUnflushedWrites(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "kring.json")

	s1 := openTest(t, path, clk, nil)
	c1 := newClient(t, s1)
	must(t, c1.Set(ctx, "A", "1", 0).Err())
	must(t, s1.Flush())
	must(t, c1.Set(ctx, "B", "2", 0).Err())
	s1.abandon()
	if err := c1.Set(ctx, "C", "3", 0).Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("SET after the server went away: err = %v, want ErrClosed", err)
	}

	s2 := openTest(t, path, clk, nil)
	c2 := newClient(t, s2)
	if got, err := c2.Get(ctx, "A").Result(); err != nil || got != "1" {
		t.Errorf("GET A after crash = %q, %v; want the flushed value", got, err)
	}
	if err := c2.Get(ctx, "B").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET B after crash: err = %v, want redis.Nil (written after the last flush)", err)
	}

	must(t, c2.Set(ctx, "B", "2", 0).Err())
	must(t, s2.Close())
	s3 := openTest(t, path, clk, nil)
	c3 := newClient(t, s3)
	got, err := c3.MGet(ctx, "A", "B").Result()
	must(t, err)
	if want := []any{"1", "2"}; !slices.Equal(got, want) {
		t.Errorf("MGET A B after clean close = %v, want %v", got, want)
	}
}

func TestSecondOpenOfSameFileFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kring.json")
	openTest(t, path, clock.NewFake(t0), nil)
	_, err := open(path, clock.NewFake(t0), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), path) {
		t.Fatalf("second open: err = %v, want an 'in use' error naming %s", err, path)
	}
}

func TestConcurrentTransfersGiveConsistentSnapshots(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	dir := t.TempDir()
	path := filepath.Join(dir, "kring.json")
	s := openTest(t, path, clk, nil)
	c := newClient(t, s)

	const total, workers, perWorker = 100000, 8, 250
	must(t, c.MSet(ctx, "{acct}:a", total, "{acct}:b", 0).Err())

	var done atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				// Half through MULTI/EXEC, half through Lua: both must be atomic to a snapshot.
				if i%2 == 0 {
					_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.DecrBy(ctx, "{acct}:a", 1)
						p.IncrBy(ctx, "{acct}:b", 1)
						p.HIncrBy(ctx, "{acct}:log", "worker"+string(rune('0'+w)), 1)
						return nil
					})
					if err != nil {
						t.Errorf("transfer: %v", err)
						return
					}
				} else {
					err := c.Eval(ctx, `redis.call('DECRBY', KEYS[1], 1); redis.call('INCRBY', KEYS[2], 1); return 1`,
						[]string{"{acct}:a", "{acct}:b"}).Err()
					if err != nil {
						t.Errorf("lua transfer: %v", err)
						return
					}
				}
				done.Add(1)
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()

	// Take snapshots while the transfers run, each after some progress, and keep them.
	var snaps [][]byte
	last := int64(-1)
	for running := true; running; {
		select {
		case <-finished:
			running = false
		default:
		}
		if n := done.Load(); n == last && running {
			runtime.Gosched()
			continue
		} else {
			last = n
		}
		must(t, s.Flush())
		b, err := os.ReadFile(path)
		must(t, err)
		snaps = append(snaps, b)
	}
	if len(snaps) < 2 {
		t.Fatalf("only %d snapshots taken", len(snaps))
	}

	// Load every snapshot into a fresh server and check the invariant there.
	seen := map[string]bool{}
	for i, b := range snaps {
		p := filepath.Join(dir, "snap", "s.json")
		must(t, os.MkdirAll(filepath.Dir(p), 0o700))
		must(t, os.WriteFile(p, b, 0o600))
		fs, err := open(p, clk, nil, nil)
		must(t, err)
		fc := fs.NewClient()
		v, err := fc.MGet(ctx, "{acct}:a", "{acct}:b").Result()
		must(t, err)
		a, b := atoi(t, v[0]), atoi(t, v[1])
		if a+b != total {
			t.Errorf("snapshot %d: a=%d b=%d, sum %d, want %d", i, a, b, a+b, total)
		}
		seen[v[0].(string)] = true
		fc.Close()
		fs.abandon()
	}
	if len(seen) < 2 {
		t.Errorf("all %d snapshots hold the same state; the test did not interleave", len(snaps))
	}
	got, err := c.Get(ctx, "{acct}:b").Int()
	must(t, err)
	if got != workers*perWorker {
		t.Errorf("b = %d after all transfers, want %d", got, workers*perWorker)
	}
}

func atoi(t *testing.T, v any) int {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("value %v is not a string", v)
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("value %q is not a number", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// A new connection's handshake (HELLO) runs through the client's hooks, nested inside
// the command that needed the connection. With a Flush waiting for the write lock, a
// second read lock there would deadlock.
func TestNewConnectionWhileFlushWaits(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	s := openTest(t, filepath.Join(t.TempDir(), "kring.json"), clk, nil)
	c := s.NewClient()
	defer c.Close()

	flushed := make(chan error, 1)
	var once sync.Once
	c.AddHook(dialHook(func() {
		once.Do(func() {
			go func() { flushed <- s.Flush() }()
			// The command that dials holds the read lock, so TryRLock fails exactly
			// when the Flush is waiting for the write lock.
			for s.mu.TryRLock() {
				s.mu.RUnlock()
				runtime.Gosched()
			}
		})
	}))

	result := make(chan error, 1)
	go func() { result <- c.Set(ctx, "k", "v", 0).Err() }()
	// A watchdog, not a timing assertion: a deadlock would otherwise hang until the
	// test binary's timeout.
	select {
	case err := <-result:
		must(t, err)
	case <-time.After(time.Minute):
		t.Fatal("SET on a new connection deadlocked against a waiting Flush")
	}
	must(t, <-flushed)
}

// dialHook runs f before each dial, inside the hooks installed by NewClient.
type dialHook func()

func (f dialHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		f()
		return next(ctx, network, addr)
	}
}
func (dialHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (dialHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func TestFlusherWritesOnlyWhenDirty(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "kring.json")
	ticks := make(chan time.Time) // unbuffered: a second send returns once the first tick was handled
	s, err := open(path, clk, nil, ticks)
	must(t, err)
	defer s.Close()
	c := newClient(t, s)
	tick := func() { ticks <- t0; ticks <- t0 }

	tick()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("flusher wrote a snapshot with nothing changed (stat: %v)", err)
	}
	must(t, c.Set(ctx, "k", "v", 0).Err())
	tick()
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), `"key":"k"`) {
		t.Fatalf("after a write and a tick the file = %q, %v; want key k", b, err)
	}
	must(t, os.Remove(path))
	must(t, c.Get(ctx, "k").Err()) // reads do not make the store dirty
	tick()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("flusher wrote a snapshot after only reads (stat: %v)", err)
	}
	must(t, c.Del(ctx, "k").Err())
	tick()
	if b, err := os.ReadFile(path); err != nil || strings.Contains(string(b), `"key":"k"`) {
		t.Fatalf("after DEL and a tick the file = %q, %v; want no key k", b, err)
	}
}

func TestCorruptFileIsAnError(t *testing.T) {
	for name, content := range map[string]string{
		"not json":        "{\"version\":1,\"keys\":[{\"key\":",
		"other version":   `{"version":2,"keys":[]}`,
		"unknown type":    `{"version":1,"keys":[{"key":"k","type":"pudding"}]}`,
		"bad base64":      `{"version":1,"keys":[{"key":"!!","type":"string","string":"x","encoding":"base64"}]}`,
		"duplicate key":   `{"version":1,"keys":[{"key":"k","type":"string","string":"x"},{"key":"k","type":"string","string":"y"}]}`,
		"trailing rubble": `{"version":1,"keys":[]} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kring.json")
			must(t, os.WriteFile(path, []byte(content), 0o600))
			s, err := open(path, clock.NewFake(t0), nil, nil)
			if err == nil {
				s.Close()
				t.Fatal("open of a corrupt file succeeded")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "move it away") {
				t.Errorf("error %q should name %s and say to move it away", err, path)
			}
			// The file must be left as it was, for the admin to inspect.
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Errorf("corrupt file was changed to %q", b)
			}
			// And the lock released, so a fixed file can be opened by the same process.
			must(t, os.Remove(path))
			s2, err := open(path, clock.NewFake(t0), nil, nil)
			must(t, err)
			s2.Close()
		})
	}
}

func TestPermissions(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "kring.json")
	s := openTest(t, path, clock.NewFake(t0), nil)
	c := newClient(t, s)
	must(t, c.Set(ctx, "pupil", "words", 0).Err())
	must(t, s.Flush())

	fi, err := os.Stat(path)
	must(t, err)
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("data file mode %v, want 0600", perm)
	}
	di, err := os.Stat(dir)
	must(t, err)
	if perm := di.Mode().Perm(); perm != 0o700 {
		t.Errorf("created directory mode %v, want 0700", perm)
	}
	entries, err := os.ReadDir(dir)
	must(t, err)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestUnsupportedTypesAreSkippedWithOneWarning(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "kring.json")
	logs := &logBuffer{}
	s := openTest(t, path, clk, logs)
	c := newClient(t, s)
	must(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "outbox", Values: []string{"text", "secret-pupil-words"}}).Err())
	must(t, c.Set(ctx, "k", "secret-pupil-words", 0).Err())
	must(t, s.Flush())
	must(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "outbox", Values: []string{"text", "more"}}).Err())
	must(t, s.Flush())
	must(t, s.Close())

	out := logs.String()
	if n := strings.Count(out, "type=stream"); n != 1 {
		t.Errorf("%d warnings about streams, want 1; log:\n%s", n, out)
	}
	if strings.Contains(out, "secret-pupil-words") {
		t.Errorf("a value reached the log:\n%s", out)
	}
	if !strings.Contains(out, "store=embedded") || !strings.Contains(out, "path="+path) || !strings.Contains(out, "keys=0") {
		t.Errorf("open not logged with store, path and key count:\n%s", out)
	}

	s2 := openTest(t, path, clk, nil)
	c2 := newClient(t, s2)
	if n, err := c2.Exists(ctx, "outbox").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS outbox = %d, %v; want 0 (streams are not kept)", n, err)
	}
	if got, err := c2.Get(ctx, "k").Result(); err != nil || got != "secret-pupil-words" {
		t.Errorf("GET k = %q, %v", got, err)
	}
}

func TestClosedServerRefusesCommands(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "kring.json"), clock.NewFake(t0), nil)
	c := newClient(t, s)
	must(t, c.Ping(ctx).Err())
	must(t, s.Close())
	if err := c.Set(ctx, "k", "v", 0).Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("SET after Close: err = %v, want ErrClosed", err)
	}
	if err := s.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: err = %v, want ErrClosed", err)
	}
	must(t, s.Close()) // a second Close is harmless
}

func TestOpenWithRealTicker(t *testing.T) {
	// Open (not open) starts the real flusher; only its start and stop are checked here.
	path := filepath.Join(t.TempDir(), "kring.json")
	s, err := Open(path, clock.Real{}, nil)
	must(t, err)
	if s.Path() != path || s.Addr() == "" {
		t.Errorf("Path %q Addr %q", s.Path(), s.Addr())
	}
	c := s.NewClient()
	defer c.Close()
	must(t, c.Set(context.Background(), "k", "v", time.Hour).Err())
	must(t, s.Close())
	b, err := os.ReadFile(path)
	must(t, err)
	if !strings.Contains(string(b), `"key":"k"`) {
		t.Errorf("file after Close = %s", b)
	}
}

// TestOtherProcessesCannotRead: a client that is not made by NewClient (another local
// process that found the port) is refused.
func TestOtherProcessesCannotRead(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "k.json"), clock.NewFake(time.Unix(1e9, 0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ours := s.NewClient()
	defer ours.Close()
	ctx := context.Background()
	if err := ours.Set(ctx, "secret", "pupil words", 0).Err(); err != nil {
		t.Fatal(err)
	}
	stranger := redis.NewClient(&redis.Options{Addr: s.Addr(), DisableIdentity: true, MaxRetries: -1})
	defer stranger.Close()
	if v, err := stranger.Get(ctx, "secret").Result(); err == nil {
		t.Fatalf("a client without the password read %q", v)
	}
}
