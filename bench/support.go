package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/embedded"
)

// RoundTrips is a go-redis hook that counts round trips to the server: one per command
// and one per pipeline or transaction. The handshake of a new connection (HELLO,
// CLIENT SETINFO, AUTH, SELECT) is not counted: it happens once per connection, not
// per step.
type RoundTrips struct{ n atomic.Int64 }

// Count returns the round trips so far.
func (r *RoundTrips) Count() int64 { return r.n.Load() }

// DialHook implements redis.Hook.
func (r *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (r *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd.Name()) {
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (r *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if !handshake(c.Name()) {
				r.n.Add(1)
				break
			}
		}
		return next(ctx, cmds)
	}
}

func handshake(name string) bool {
	switch name {
	case "hello", "client", "auth", "select":
		return true
	}
	return false
}

// target is one store the benchmark runs on: a real Redis or the embedded one.
type target struct {
	name string
	rdb  redis.UniversalClient
	rt   *RoundTrips
	// version names the server, e.g. "Redis 7.2.4".
	version string
	close   func()
}

// openRedis connects to the Redis at url (single, Sentinel or Cluster URL, as Kring does).
func openRedis(ctx context.Context, url string) (*target, error) {
	rdb, err := store.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	rt := &RoundTrips{}
	rdb.AddHook(rt)
	v := "Redis"
	if info, err := rdb.Info(ctx, "server").Result(); err == nil {
		if s := infoField(info, "redis_version"); s != "" {
			v = "Redis " + s
		}
	}
	return &target{name: "redis", rdb: rdb, rt: rt, version: v, close: func() { _ = rdb.Close() }}, nil
}

// openEmbedded starts the embedded store on a file in a temporary directory.
func openEmbedded(clk clock.Clock) (*target, error) {
	dir, err := os.MkdirTemp("", "kring-bench-*")
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	srv, err := embedded.Open(filepath.Join(dir, "kring.json"), clk, quietLog())
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	rdb := srv.NewClient()
	rt := &RoundTrips{}
	rdb.AddHook(rt)
	v := "embedded"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/alicebob/miniredis/v2" {
				v = "embedded (miniredis " + d.Version + ")"
			}
		}
	}
	return &target{name: "embedded", rdb: rdb, rt: rt, version: v, close: func() {
		_ = rdb.Close()
		_ = srv.Close()
		_ = os.RemoveAll(dir)
	}}, nil
}

func infoField(info, field string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// newPrefix returns a key prefix no one else uses, so the benchmark never touches a
// deployment's data; deletePrefix removes it afterwards.
func newPrefix(part string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "kring-bench-" + hex.EncodeToString(b[:]) + "-" + part
}

// deletePrefix removes every key under prefix with SCAN and UNLINK (never FLUSH).
func deletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		var batch []string
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := c.Unlink(ctx, batch...).Err()
			batch = batch[:0]
			return err
		}
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 1000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return del(ctx, c) })
	}
	return del(ctx, rdb)
}

// nullAdapter is a terminal-like platform that accepts every message at once: for the
// parts that measure the core, not a platform.
type nullAdapter struct{}

func (nullAdapter) Platform() chat.Platform { return chat.Shell }
func (nullAdapter) Capabilities() chat.Capabilities {
	return chat.Capabilities{Buttons: true, MaxButtons: 5}
}
func (nullAdapter) Run(ctx context.Context, _ chat.Engine) error { <-ctx.Done(); return nil }
func (nullAdapter) Send(context.Context, chat.Delivery) error    { return nil }

// offsetClock is the wall clock moved to a chosen moment: time passes for real (leases,
// Retry-After), but the school day is the one the benchmark picked.
type offsetClock struct{ d time.Duration }

func newOffsetClock(at time.Time) offsetClock { return offsetClock{d: time.Until(at)} }

func (c offsetClock) Now() time.Time                         { return time.Now().Add(c.d) }
func (c offsetClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// School builds a school of pupils in classes (self-led pupils, so no day plan is
// needed), one mentor per class who also teaches it, with Discord ids for everyone.
func School(pupils, classes int) (*config.School, error) {
	if classes < 1 || pupils < classes {
		return nil, fmt.Errorf("school: %d pupils in %d classes", pupils, classes)
	}
	s := &config.School{ID: "bench", Name: "Bench College", Locale: "nl", Timezone: "Europe/Amsterdam"}
	s.Discord.Guild = "200000000000000001"
	for c := range classes {
		id := "c" + strconv.Itoa(c)
		cl := &config.Class{ID: id, Name: "Klas " + strconv.Itoa(c)}
		cl.Discord.Channel = strconv.Itoa(300000000000000000 + c)
		s.Classes = append(s.Classes, cl)
		s.People = append(s.People, &config.Person{
			ID: "m" + strconv.Itoa(c), Name: "Mentor " + strconv.Itoa(c), Roles: []config.Role{config.Mentor, config.Teacher},
			Classes: []string{id}, Discord: strconv.Itoa(400000000000000000 + c),
		})
	}
	for p := range pupils {
		c := p % classes
		s.People = append(s.People, &config.Person{
			ID: pupilID(p), Name: "Leerling " + strconv.Itoa(p) + " Jansen", Roles: []config.Role{config.Pupil},
			Classes: []string{"c" + strconv.Itoa(c)}, Mentor: "m" + strconv.Itoa(c), Level: config.SelfLed,
			Discord: strconv.Itoa(500000000000000000 + p),
		})
	}
	if err := s.Prepare(); err != nil {
		return nil, err
	}
	return s, nil
}

func pupilID(n int) string { return "p" + strconv.Itoa(n) }

// benchDay is a school Monday morning after the check-in time (08:15 Amsterdam).
func benchDay() time.Time {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		loc = time.FixedZone("CET", 3600)
	}
	return time.Date(2026, time.November, 23, 8, 30, 0, 0, loc)
}

// percentile returns the p-th percentile (0..1) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}

// rss returns the process's resident set size from /proc/self/status (Linux), in bytes.
func rss() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb * 1024, true
				}
			}
		}
	}
	return 0, false
}

// settle collects garbage and returns freed memory to the OS, so RSS and heap
// figures reflect what is live.
func settle() runtime.MemStats {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms
}

// cpuModel returns the CPU model name from /proc/cpuinfo (Linux), else the architecture.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
