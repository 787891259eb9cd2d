package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

const (
	testTeam   = "T0KRING"
	testSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	botToken   = "xoxb-test-bot"
	appToken   = "xapp-1-test-app"
)

var loadCatalog = sync.OnceValues(i18n.Load)

func testCatalog(t testing.TB) *i18n.Catalog {
	t.Helper()
	c, err := loadCatalog()
	if err != nil {
		t.Fatalf("catalogs: %v", err)
	}
	return c
}

// testSchool: class 2b (Dutch, channel C02B) and 3a (English, channel C03A); pupils
// anna (2b) and emma (3a) with mentor mees; bram is on the roster without Slack.
func testSchool(t testing.TB) *config.School {
	t.Helper()
	s := &config.School{
		ID: "test",
		Classes: []*config.Class{
			{ID: "2b", Name: "2B", Locale: "nl"},
			{ID: "3a", Name: "3A", Locale: "en"},
		},
		People: []*config.Person{
			{ID: "anna", Name: "Anna de Vries", Roles: []config.Role{config.Pupil}, Classes: []string{"2b"}, Mentor: "mees", Slack: "U0ANNA"},
			{ID: "emma", Name: "Emma Smith", Roles: []config.Role{config.Pupil}, Classes: []string{"3a"}, Mentor: "mees", Slack: "U0EMMA"},
			{ID: "bram", Name: "Bram Jansen", Roles: []config.Role{config.Pupil}, Classes: []string{"2b"}, Mentor: "mees"},
			{ID: "mees", Name: "Mees de Boer", Roles: []config.Role{config.Mentor, config.Teacher}, Classes: []string{"2b"}, Slack: "U0MEES"},
		},
	}
	s.Slack.Team = testTeam
	s.Classes[0].Slack.Channel = "C02B"
	s.Classes[1].Slack.Channel = "C03A"
	if err := s.Prepare(); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return s
}

var testCommands = []dialog.CommandSpec{
	{Name: "checkin"},
	{Name: "away"},
	{Name: "level", Roles: []config.Role{config.Mentor}, Options: []dialog.OptionSpec{{Name: "pupil", Kind: dialog.OptPerson, Required: true}, {Name: "level", Kind: dialog.OptChoice}}},
}

func quietLog() *slog.Logger {
	if testing.Verbose() {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// recorder is a chat.Handler that records events and answers with replies(ev).
type recorder struct {
	mu      sync.Mutex
	events  []chat.Event
	ch      chan chat.Event
	replies func(ev chat.Event) []chat.Message
	kv      chat.KV
}

func newRecorder() *recorder {
	return &recorder{ch: make(chan chat.Event, 256), kv: chat.NewMemKV(time.Now)}
}

// Commands, KV, Home and LocaleOf complete chat.Engine: no commands of its own (the rig
// passes them as an option), one in-memory KV, no home data (the plain page is shown),
// and no language choices (the school file's apply).
func (r *recorder) Commands() []chat.Command { return nil }

func (r *recorder) KV(chat.Platform) chat.KV { return r.kv }

func (r *recorder) Home(context.Context, string) (chat.Home, error) {
	return chat.Home{}, fmt.Errorf("the recorder has no home pages")
}

func (r *recorder) LocaleOf(*config.Person) string { return "" }

func (r *recorder) Handle(_ context.Context, ev chat.Event) []chat.Message {
	r.mu.Lock()
	r.events = append(r.events, ev)
	f := r.replies
	r.mu.Unlock()
	r.ch <- ev
	if f != nil {
		return f(ev)
	}
	return nil
}

// next waits for the next event.
func (r *recorder) next(t testing.TB) chat.Event {
	t.Helper()
	select {
	case ev := <-r.ch:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event reached the handler")
		return chat.Event{}
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// rig is an adapter connected to a fake Slack.
type rig struct {
	t     testing.TB
	fake  *fakeslack.Server
	a     *Adapter
	h     *recorder
	ctx   context.Context
	runOK chan error
}

type rigOption func(*Options, *fakeslack.Options)

// newRig starts a fake Slack and an adapter on it in mode (socket or http), running
// with a recording handler.
func newRig(t testing.TB, mode string, opts ...rigOption) *rig {
	t.Helper()
	fo := fakeslack.Options{Team: testTeam, BotToken: botToken, AppToken: appToken}
	o := Options{
		BotToken: botToken, AppToken: appToken, SigningSecret: testSecret, Mode: mode,
		School: testSchool(t), Commands: testCommands, Catalog: testCatalog(t), Log: quietLog(),
		Pace: Pace{PerChannel: 1000, ChannelBurst: 1000, Methods: fastMethods()},
	}
	for _, f := range opts {
		f(&o, &fo)
	}
	fake := fakeslack.New(fo)
	t.Cleanup(fake.Close)
	o.APIURL = fake.APIURL
	o.HTTPClient = &http.Client{Transport: localOnly{}, Timeout: 10 * time.Second}
	a, err := New(o)
	if err != nil {
		t.Fatalf("new adapter: %v", err)
	}
	h := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{t: t, fake: fake, a: a, h: h, ctx: ctx, runOK: make(chan error, 1)}
	go func() { r.runOK <- a.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.runOK:
			if err != nil {
				t.Errorf("Run returned %v on shutdown, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after shutdown")
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if mode == ModeSocket {
		if err := fake.WaitConnected(wctx); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-a.ready:
	case <-wctx.Done():
		t.Fatal("adapter not ready")
	}
	return r
}

// localOnly refuses every request that would leave this machine: no test touches
// the internet, whatever a payload's URLs say.
type localOnly struct{}

func (localOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if h := r.URL.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, fmt.Errorf("test tried to reach %s", r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// fastMethods lifts every method limit, for tests that are not about pacing.
func fastMethods() map[string]MethodLimit {
	m := map[string]MethodLimit{}
	for k := range defaultMethods {
		m[k] = MethodLimit{PerMinute: 1e6, Burst: 1000}
	}
	m["response_url"] = MethodLimit{PerMinute: 1e6, Burst: 1000}
	return m
}

func (r *rig) wait(cond func() bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	if err := r.fake.WaitFor(ctx, cond); err != nil {
		r.t.Fatal(err)
	}
}

// envelope sends a Socket Mode envelope and waits for its ack payload.
func (r *rig) envelope(e fakeslack.Envelope) json.RawMessage {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	id, err := r.fake.Send(ctx, e)
	if err != nil {
		r.t.Fatal(err)
	}
	p, err := r.fake.Ack(ctx, id)
	if err != nil {
		r.t.Fatalf("envelope %s (%s) not acknowledged: %v", id, e.Type, err)
	}
	return p
}

// settle waits until every event acknowledged so far has been processed. The work of
// an envelope is registered before its ack is sent, so after an ack this sees it.
func (r *rig) settle() { r.a.work.Wait() }

// lastMessage returns the newest message in channel.
func (r *rig) lastMessage(channel string) fakeslack.Message {
	r.t.Helper()
	ms := r.fake.Messages(channel)
	if len(ms) == 0 {
		r.t.Fatalf("no message in %s", channel)
	}
	return ms[len(ms)-1]
}

// mrkdwnTexts concatenates what Slack parses as mrkdwn in a message: the fallback
// text and every mrkdwn text object (plain_text is never parsed for mentions or links).
func mrkdwnTexts(m fakeslack.Message) string {
	var b strings.Builder
	b.WriteString(m.Text)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok && x["type"] == "mrkdwn" {
				b.WriteString("\n" + s)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var blocks any
	_ = json.Unmarshal(m.Blocks, &blocks)
	walk(blocks)
	return b.String()
}

// visible concatenates every text a reader could see in a message: the fallback text
// and every text field of its blocks.
func visible(m fakeslack.Message) string {
	var b strings.Builder
	b.WriteString(m.Text)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				b.WriteString("\n" + s)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var blocks any
	_ = json.Unmarshal(m.Blocks, &blocks)
	walk(blocks)
	return b.String()
}

var _ clock.Clock = clock.Real{}
