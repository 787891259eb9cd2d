// Package bottest assembles a real Kring (Engine, outbox, scheduler, check-in dialog)
// on a real Redis key prefix with a fake clock, for end-to-end tests of the core and
// the adapters. It also offers the embedded store, so a suite can run on both, and a
// recording adapter for tests that need no platform.
package bottest

import (
	"context"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	krt "github.com/kring-school/kring/bot/runtime"
	"github.com/kring-school/kring/bot/store/embedded"
	"github.com/kring-school/kring/bot/store/storetest"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/redis/go-redis/v9"
)

// Monday0750 is a school Monday morning before the check-in (Europe/Amsterdam).
var Monday0750 = time.Date(2026, 11, 23, 7, 50, 0, 0, mustLoc("Europe/Amsterdam"))

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// RepoFile returns the path of a file relative to the repository root.
func RepoFile(rel string) string {
	_, me, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(me), "..", "..", rel)
}

// ExampleSchool loads examples/school.yaml.
func ExampleSchool(t testing.TB) *config.School {
	t.Helper()
	s, err := config.Load(RepoFile("examples/school.yaml"))
	if err != nil {
		t.Fatalf("load example school: %v", err)
	}
	return s
}

// Store is a Redis to run a suite on.
type Store struct {
	Name string
	Open func(t testing.TB, clk clock.Clock) (redis.UniversalClient, string)
}

// Stores returns the real Redis and the embedded store, so one suite runs on both.
func Stores() []Store {
	return []Store{
		{Name: "redis", Open: func(t testing.TB, _ clock.Clock) (redis.UniversalClient, string) { return storetest.Redis(t) }},
		{Name: "embedded", Open: Embedded},
	}
}

// Embedded opens an embedded store in a temporary directory, closed when the test ends.
func Embedded(t testing.TB, clk clock.Clock) (redis.UniversalClient, string) {
	t.Helper()
	srv, err := embedded.Open(filepath.Join(t.TempDir(), "kring.json"), clk, nil)
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	rdb := srv.NewClient()
	t.Cleanup(func() {
		_ = rdb.Close()
		_ = srv.Close()
	})
	return rdb, storetest.Prefix(t)
}

// Options configure a Harness; every field has a default.
type Options struct {
	School   *config.School
	Adapters []chat.Adapter
	Dialogs  []dialog.Dialog
	Start    time.Time
	// Redis and Prefix, when set, are used instead of a fresh prefix on the test Redis.
	Redis  redis.UniversalClient
	Prefix string
	Clock  *clock.Fake
	// EngineObserver, when set, sees the Engine's steps (metrics tests).
	EngineObserver bot.Observer
	// Log, when set, receives the runtime's logs (tests that check what is logged).
	Log *slog.Logger
}

// Harness is a running Kring under test.
type Harness struct {
	T       testing.TB
	Clock   *clock.Fake
	Redis   redis.UniversalClient
	Prefix  string
	School  *config.School
	Catalog *i18n.Catalog
	*krt.Runtime
}

// New assembles a Kring for t. Adapters are not started; call their Run yourself, or
// drive the Engine directly with Handle.
func New(t testing.TB, o Options) *Harness {
	t.Helper()
	if o.School == nil {
		o.School = ExampleSchool(t)
	}
	if o.Start.IsZero() {
		o.Start = Monday0750
	}
	if o.Clock == nil {
		o.Clock = clock.NewFake(o.Start)
	}
	if o.Redis == nil {
		o.Redis, o.Prefix = storetest.Redis(t)
	}
	if o.Dialogs == nil {
		o.Dialogs = []dialog.Dialog{checkin.New()}
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatalf("catalogs: %v", err)
	}
	if o.Log == nil {
		o.Log = testLog()
	}
	rt, err := krt.New(krt.Options{
		School: o.School, Redis: o.Redis, Prefix: o.Prefix, Clock: o.Clock, Catalog: cat,
		Dialogs: o.Dialogs, Adapters: o.Adapters, Owner: "test", Log: o.Log, EngineObserver: o.EngineObserver,
	})
	if err != nil {
		t.Fatalf("runtime: %v", err)
	}
	return &Harness{T: t, Clock: o.Clock, Redis: o.Redis, Prefix: o.Prefix, School: o.School, Catalog: cat, Runtime: rt}
}

// testLog is quiet unless the tests run with -v.
func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.Default()
	}
	return slog.New(slog.DiscardHandler)
}

// Tick runs due jobs and delivers due messages; it fails the test on error.
func (h *Harness) Tick() {
	h.T.Helper()
	if err := h.Runtime.Tick(context.Background()); err != nil {
		h.T.Fatalf("tick: %v", err)
	}
}

// At moves the clock to hh:mm today (class time zone) and ticks.
func (h *Harness) At(hhmm string) {
	h.T.Helper()
	tod, err := config.ParseTimeOfDay(hhmm)
	if err != nil {
		h.T.Fatal(err)
	}
	now := h.Clock.Now().In(Monday0750.Location())
	h.Clock.Set(tod.On(config.DateOf(now), now.Location()))
	h.Tick()
}

// Recorder is a chat.Adapter that records what it is asked to send (for engine tests
// that need no platform). Fail, when set, decides the error of each Send.
type Recorder struct {
	P    chat.Platform
	Caps chat.Capabilities
	Fail func(d chat.Delivery) error

	mu   sync.Mutex
	sent []chat.Delivery
}

// Platform implements chat.Adapter.
func (r *Recorder) Platform() chat.Platform {
	if r.P == "" {
		return chat.Shell
	}
	return r.P
}

// Capabilities implements chat.Adapter.
func (r *Recorder) Capabilities() chat.Capabilities { return r.Caps }

// Run implements chat.Adapter; it waits for ctx.
func (r *Recorder) Run(ctx context.Context, _ chat.Engine) error {
	<-ctx.Done()
	return nil
}

// Send records d.
func (r *Recorder) Send(_ context.Context, d chat.Delivery) error {
	if r.Fail != nil {
		if err := r.Fail(d); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, d)
	return nil
}

// Sent returns a copy of everything sent so far.
func (r *Recorder) Sent() []chat.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Delivery(nil), r.sent...)
}

// To returns the messages sent to a user (platform id; roster id on the shell).
func (r *Recorder) To(user string) []chat.Message {
	var out []chat.Message
	for _, d := range r.Sent() {
		if d.Address.User == user {
			out = append(out, d.Message)
		}
	}
	return out
}

// Reset forgets what was sent.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = nil
}
