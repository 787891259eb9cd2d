package metrics_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/metrics"
	krt "github.com/kring-school/kring/bot/runtime"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/storetest"
	"github.com/kring-school/kring/dialogs/checkin"
)

// scrape fetches url and returns every sample as "name{labels}" -> value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// assemble builds a real runtime on the test Redis with m observing it.
func assemble(t *testing.T, rdb redis.UniversalClient, prefix string, rec *bottest.Recorder) (*krt.Runtime, *metrics.Metrics, *clock.Fake) {
	t.Helper()
	m := metrics.New()
	clk := clock.NewFake(bottest.Monday0750)
	rt, err := krt.New(krt.Options{
		School: bottest.ExampleSchool(t), Redis: rdb, Prefix: prefix, Clock: clk,
		Dialogs: []dialog.Dialog{checkin.New()}, Adapters: []chat.Adapter{rec}, Owner: "test",
		Log: slog.New(slog.DiscardHandler), EngineObserver: m, OutboxObserver: m,
	})
	if err != nil {
		t.Fatalf("runtime: %v", err)
	}
	m.WatchOutbox(rt.Outbox)
	return rt, m, clk
}

func wrapConflict() error { return fmt.Errorf("commit: %w", store.ErrConflict) }

func checkinCommand(id, user string) chat.Event {
	return chat.Event{ID: id, Platform: chat.Shell, User: user, DM: true, Kind: chat.KindCommand, Command: "checkin"}
}

func TestMetricsCountStepsDeliveriesAndOutboxDepth(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	ctx := context.Background()
	throttle := true
	rec := &bottest.Recorder{Fail: func(chat.Delivery) error {
		if throttle {
			throttle = false
			return &chat.RetryError{After: 0, Err: errors.New("429")}
		}
		return nil
	}}
	rt, m, clk := assemble(t, rdb, prefix, rec)
	srv := httptest.NewServer(metrics.Handler(m, nil))
	defer srv.Close()

	if r := rt.Engine.Handle(ctx, checkinCommand("ev-1", "anna")); len(r) != 0 {
		t.Fatalf("check-in command failed: %q", r[0].Text)
	}
	if r := rt.Engine.Handle(ctx, checkinCommand("ev-1", "anna")); len(r) != 0 {
		t.Fatalf("duplicate event answered: %q", r[0].Text)
	}
	s := scrape(t, srv.URL+"/metrics")
	want := map[string]float64{
		`kring_events_total{kind="command"}`:                             2,
		`kring_steps_total{dialog="checkin",outcome="ok"}`:               1,
		`kring_step_duration_seconds_count{dialog="checkin"}`:            1,
		`kring_duplicate_events_total`:                                   1,
		`kring_outbox_depth`:                                             1,
		`kring_outbox_dead`:                                              0,
		`kring_store_up`:                                                 1,
		`kring_step_duration_seconds_bucket{dialog="checkin",le="+Inf"}`: 1,
	}
	for k, v := range want {
		if got, ok := s[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if _, ok := s["go_goroutines"]; !ok {
		t.Error("Go runtime metrics missing")
	}

	// First send is throttled and put back; the second try delivers.
	if _, err := rt.Deliverer.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, err := rt.Deliverer.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.Sent()) != 1 {
		t.Fatalf("sent %d messages, want 1", len(rec.Sent()))
	}
	s = scrape(t, srv.URL+"/metrics")
	want = map[string]float64{
		`kring_outbox_delivered_total{platform="shell"}`:                  1,
		`kring_outbox_retries_total{platform="shell",reason="throttled"}`: 1,
		`kring_outbox_throttled_total{platform="shell"}`:                  1,
		`kring_outbox_depth`: 0,
	}
	for k, v := range want {
		if got, ok := s[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
}

func TestStepOutcomesAndAlerts(t *testing.T) {
	m := metrics.New()
	srv := httptest.NewServer(metrics.Handler(m, nil))
	defer srv.Close()
	m.Step("checkin", time.Millisecond, nil)
	m.Step("checkin", time.Millisecond, errors.New("commit: boom"))
	m.Step("checkin", 2*time.Millisecond, wrapConflict())
	m.Conflict()
	m.Alert("checkin", 2)
	m.Alert("checkin", 0)
	m.Failed(chat.Discord, "unreachable")
	m.Retried(chat.Slack, false)
	s := scrape(t, srv.URL+"/metrics")
	want := map[string]float64{
		`kring_steps_total{dialog="checkin",outcome="ok"}`:                   1,
		`kring_steps_total{dialog="checkin",outcome="error"}`:                1,
		`kring_steps_total{dialog="checkin",outcome="conflict"}`:             1,
		`kring_step_conflicts_total`:                                         1,
		`kring_alerts_total{dialog="checkin"}`:                               2,
		`kring_outbox_failed_total{platform="discord",reason="unreachable"}`: 1,
		`kring_outbox_retries_total{platform="slack",reason="error"}`:        1,
		`kring_step_duration_seconds_bucket{dialog="checkin",le="0.001"}`:    2,
		`kring_step_duration_seconds_bucket{dialog="checkin",le="0.0025"}`:   3,
	}
	for k, v := range want {
		if got, ok := s[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if _, ok := s["kring_outbox_depth"]; ok {
		t.Error("outbox depth reported without an outbox")
	}
}

func TestStoreDownLeavesDepthOutAndReportsIt(t *testing.T) {
	rdb := deadRedis(t)
	_, m, _ := assemble(t, rdb, "unused", &bottest.Recorder{})
	srv := httptest.NewServer(metrics.Handler(m, metrics.Health(rdb, nil)))
	defer srv.Close()
	s := scrape(t, srv.URL+"/metrics")
	if s["kring_store_up"] != 0 {
		t.Errorf("kring_store_up = %v with Redis down, want 0", s["kring_store_up"])
	}
	if _, ok := s["kring_outbox_depth"]; ok {
		t.Error("outbox depth reported although Redis is down")
	}
	code, body := get(t, srv.URL+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "redis unreachable") {
		t.Errorf("/healthz with Redis down = %d %q, want 503 naming redis", code, body)
	}
}

// deadRedis is a client for a port nothing listens on.
func deadRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// connector is an adapter that says whether it is connected.
type connector struct {
	bottest.Recorder
	up bool
}

func (c *connector) Connected() bool { return c.up }

func TestHealthzChecksRedisAndAdapters(t *testing.T) {
	rdb, _ := storetest.Redis(t)
	disc := &connector{Recorder: bottest.Recorder{P: chat.Discord}, up: true}
	plain := &bottest.Recorder{P: chat.Slack}
	m := metrics.New()
	srv := httptest.NewServer(metrics.Handler(m, metrics.Health(rdb, []chat.Adapter{disc, plain})))
	defer srv.Close()

	if code, body := get(t, srv.URL+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz healthy = %d %q, want 200 ok", code, body)
	}
	disc.up = false
	code, body := get(t, srv.URL+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "discord: not connected") || strings.Contains(body, "slack") {
		t.Fatalf("/healthz with Discord down = %d %q, want 503 naming discord only", code, body)
	}
	if code, _ := get(t, srv.URL+"/nothing"); code != http.StatusNotFound {
		t.Errorf("unknown path = %d, want 404", code)
	}
}

func TestServeShutsDownWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- metrics.ServeListener(ctx, ln, metrics.New(), nil) }()
	if code, body := get(t, "http://"+addr+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v, want nil", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		t.Fatal("still listening after shutdown")
	}
}

func TestServeReportsBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = metrics.Serve(context.Background(), ln.Addr().String(), metrics.New(), nil)
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("Serve on a busy address = %v, want a listen error", err)
	}
}

func TestProbeAsksHealthz(t *testing.T) {
	healthy := true
	health := func(context.Context) error {
		if healthy {
			return nil
		}
		return errors.New("redis unreachable: connection refused")
	}
	srv := httptest.NewServer(metrics.Handler(metrics.New(), health))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	ctx := context.Background()
	if err := metrics.Probe(ctx, "0.0.0.0:"+port); err != nil {
		t.Fatalf("probe of a healthy Kring: %v", err)
	}
	healthy = false
	err := metrics.Probe(ctx, "127.0.0.1:"+port)
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "redis unreachable") {
		t.Fatalf("probe of an unhealthy Kring = %v, want 503 with the reason", err)
	}
	if err := metrics.Probe(ctx, "nonsense"); err == nil {
		t.Fatal("probe of a bad address succeeded")
	}
}
