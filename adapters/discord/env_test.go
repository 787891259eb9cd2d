package discord

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

// Discord ids of the test school.
const (
	guildID    = "200000000000000001"
	classChan  = "300000000000000001"
	annaID     = "400000000000000001" // pupil
	bramID     = "400000000000000002" // pupil
	mentorID   = "400000000000000009"
	teacherID  = "400000000000000008"
	strangerID = "499999999999999999" // not on the roster
)

func testSchool(t testing.TB) *config.School {
	t.Helper()
	s := &config.School{ID: "test", Name: "Test School", Locale: "nl"}
	s.Discord.Guild = guildID
	c := &config.Class{ID: "2b", Name: "2B"}
	c.Discord.Channel = classChan
	s.Classes = []*config.Class{c}
	s.People = []*config.Person{
		{ID: "anna", Name: "Anna", Roles: []config.Role{config.Pupil}, Classes: []string{"2b"}, Mentor: "mentor", Discord: annaID},
		{ID: "bram", Name: "Bram", Roles: []config.Role{config.Pupil}, Classes: []string{"2b"}, Mentor: "mentor", Discord: bramID, Locale: "en"},
		{ID: "mentor", Name: "Mevrouw Jansen", Roles: []config.Role{config.Mentor, config.Teacher}, Classes: []string{"2b"}, Discord: mentorID},
		{ID: "teacher", Name: "Meneer De Vries", Roles: []config.Role{config.Teacher}, Classes: []string{"2b"}, Discord: teacherID},
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

// testSpecs are the commands the check-in dialog and the Engine declare.
func testSpecs() []dialog.CommandSpec {
	return []dialog.CommandSpec{
		{Name: "help"},
		{Name: "checkin", Roles: []config.Role{config.Pupil}},
		{Name: "away", Roles: []config.Role{config.Pupil}},
		{Name: "dayplan", Roles: []config.Role{config.Teacher}, Options: []dialog.OptionSpec{
			{Name: "class", Kind: dialog.OptClass},
			{Name: "plan", Kind: dialog.OptText, Required: true},
		}},
		{Name: "level", Roles: []config.Role{config.Mentor}, Options: []dialog.OptionSpec{
			{Name: "pupil", Kind: dialog.OptPerson, Required: true},
			{Name: "level", Kind: dialog.OptChoice, Required: true, Choices: []string{"teacher", "shared", "self"}},
		}},
	}
}

// recorder is a chat.Handler that records events and answers with reply.
type recorder struct {
	mu     sync.Mutex
	events []chat.Event
	ch     chan chat.Event
	reply  func(chat.Event) []chat.Message
	// gate, when set, holds every Handle call until it is closed.
	gate chan struct{}
	// entered receives once per Handle call, before the gate.
	entered chan chat.Event
}

func newRecorder() *recorder {
	return &recorder{ch: make(chan chat.Event, 4096), entered: make(chan chat.Event, 4096)}
}

func (r *recorder) Handle(ctx context.Context, ev chat.Event) []chat.Message {
	select {
	case r.entered <- ev:
	default: // a benchmark that does not read it
	}
	r.mu.Lock()
	gate, reply := r.gate, r.reply
	r.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil
		}
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.ch <- ev
	if reply != nil {
		return reply(ev)
	}
	return nil
}

func (r *recorder) Commands() []dialog.CommandSpec { return testSpecs() }

// KV and Home complete chat.Engine: the adapter's own KV option is used, and Discord
// has no home pages.
func (r *recorder) KV(chat.Platform) chat.KV { return chat.NewMemKV(time.Now) }

func (r *recorder) Home(context.Context, string) (chat.Home, error) { return chat.Home{}, nil }

func (r *recorder) LocaleOf(*config.Person) string { return "" }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// next waits for the next handled event.
func (r *recorder) next(t testing.TB, ctx context.Context) chat.Event {
	t.Helper()
	select {
	case ev := <-r.ch:
		return ev
	case <-ctx.Done():
		t.Fatalf("no event reached the handler: %v", ctx.Err())
	}
	return chat.Event{}
}

// countKV is an in-memory chat.KV that counts reads and writes.
type countKV struct {
	mu   sync.Mutex
	m    map[string]string
	sets int
	// block, when set, makes Get wait until it is closed or ctx ends.
	block chan struct{}
}

func newCountKV() *countKV { return &countKV{m: map[string]string{}} }

func (k *countKV) Get(ctx context.Context, key string) (string, bool, error) {
	k.mu.Lock()
	block := k.block
	k.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return "", false, ctx.Err()
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	return v, ok, nil
}

func (k *countKV) Set(_ context.Context, key, value string, _ time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = value
	k.sets++
	return nil
}

// SetNX makes countKV a chat.OnceKV, as the store's KV is: claims are shared.
func (k *countKV) SetNX(_ context.Context, key, value string, _ time.Duration) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[key]; ok {
		return false, nil
	}
	k.m[key] = value
	k.sets++
	return true, nil
}

func (k *countKV) del(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
}

func (k *countKV) get(key string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.m[key]
}

type env struct {
	t      testing.TB
	ctx    context.Context
	fake   *fakediscord.Server
	a      *Adapter
	h      *recorder
	kv     *countKV
	clk    *clock.Fake
	school *config.School
	cat    *i18n.Catalog
	cancel context.CancelFunc
	done   chan error
}

type envOpt func(*fakediscord.Options, *Options)

// newEnv starts a fake Discord and an adapter running against it, connected and with
// its commands registered.
func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	e := prepareEnv(t, opts...)
	e.start()
	return e
}

// prepareEnv builds the fake and the adapter without running the adapter.
func prepareEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	school := testSchool(t)
	fo := fakediscord.Options{Guild: guildID, Channels: map[string]string{classChan: "klas-2b"}}
	clk := clock.NewFake(time.Now())
	kv := newCountKV()
	ao := Options{
		School: school, Catalog: cat, KV: kv, Clock: clk, Rate: 2000,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&fo, &ao)
	}
	fake := fakediscord.New(fo)
	t.Cleanup(fake.Close)
	ao.Token = fake.Token()
	ao.HTTPClient = fake.Client()
	a, err := New(ao)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return &env{t: t, ctx: ctx, fake: fake, a: a, h: newRecorder(), kv: kv, clk: clk, school: school, cat: cat}
}

func (e *env) start() {
	e.t.Helper()
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan error, 1)
	go func() { e.done <- e.a.Run(runCtx, e.h) }()
	e.t.Cleanup(e.stop)
	if _, err := e.fake.Wait(e.ctx, fakediscord.Route("PUT", "/applications/*/guilds/*/commands")); err != nil {
		e.t.Fatal(err)
	}
}

// stop shuts the adapter down and returns Run's result.
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.cancel = nil
	select {
	case err := <-e.done:
		if err != nil {
			e.t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		e.t.Error("Run did not return after cancel")
	}
	// Every deferred command of every test got its follow-up or had its "thinking…"
	// reply deleted: none is left for Discord to mark "did not respond".
	if ids := e.fake.Unresolved(); len(ids) != 0 {
		e.t.Errorf("%d deferred interactions left unresolved: %v", len(ids), ids)
	}
}

// dmsTo returns the messages Kring posted in user's DM channel.
func (e *env) dmsTo(user string) []map[string]any {
	ch, ok := e.fake.DMChannel(user)
	if !ok {
		return nil
	}
	return e.fake.ChannelMessages(ch)
}

// lastDM returns the newest message in user's DM channel.
func (e *env) lastDM(user string) map[string]any {
	e.t.Helper()
	ms := e.dmsTo(user)
	if len(ms) == 0 {
		e.t.Fatalf("no DM to %s", user)
	}
	return ms[len(ms)-1]
}

// buttonID returns the custom_id of the button labelled label in msg.
func buttonID(t testing.TB, msg map[string]any, label string) string {
	t.Helper()
	for _, b := range fakediscord.Buttons(msg) {
		if b.Label == label {
			return b.CustomID
		}
	}
	t.Fatalf("no button %q in %v", label, fakediscord.Buttons(msg))
	return ""
}

func webhookFor(in fakediscord.Interaction) func(fakediscord.Request) bool {
	return func(r fakediscord.Request) bool {
		return r.Method == "POST" && strings.HasPrefix(r.Path, "/webhooks/") && strings.HasSuffix(r.Path, "/"+in.Token) && r.Status < 300
	}
}

func callbackFor(in fakediscord.Interaction) func(fakediscord.Request) bool {
	return func(r fakediscord.Request) bool {
		return r.Method == "POST" && r.Path == "/interactions/"+in.ID+"/"+in.Token+"/callback"
	}
}

func person(id string) chat.Target { return chat.Target{Kind: chat.ToPerson, Person: id} }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
