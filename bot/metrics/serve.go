package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot/chat"
)

// HealthTimeout bounds one health check.
const HealthTimeout = 2 * time.Second

// ShutdownGrace is how long Serve lets scrapes in progress finish after ctx ends.
const ShutdownGrace = 5 * time.Second

// Connector is implemented by adapters that can tell whether their platform
// connection is up (a Discord gateway session, a Slack socket).
type Connector interface {
	Connected() bool
}

// Health returns the check behind /healthz: Redis answers a PING within HealthTimeout,
// every adapter that implements Connector is connected (adapters without it are taken
// as connected), and no platform refuses Kring's sending (a ban or a refused token).
func Health(rdb redis.UniversalClient, adapters []chat.Adapter) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, HealthTimeout)
		defer cancel()
		var errs []error
		if err := rdb.Ping(ctx).Err(); err != nil {
			errs = append(errs, fmt.Errorf("redis unreachable: %w", err))
		}
		for _, a := range adapters {
			if c, ok := a.(Connector); ok && !c.Connected() {
				errs = append(errs, fmt.Errorf("%s: not connected", a.Platform()))
			}
			// A global rate limit lasts moments; a ban or a refused token needs attention.
			if p, ok := a.(Pauser); ok {
				if reason, until := p.Paused(); reason != "" && reason != "rate-limited" {
					errs = append(errs, fmt.Errorf("%s: sending paused (%s) until %s; messages wait in the outbox", a.Platform(), reason, until.UTC().Format(time.RFC3339)))
				}
			}
		}
		return errors.Join(errs...)
	}
}

// Handler serves /metrics from m and /healthz from health (nil: always healthy).
// /healthz answers 200 "ok", or 503 with the reason.
func Handler(m *Metrics, health func(ctx context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A failing collector must not hide every other metric.
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       10 * time.Second,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if health != nil {
			if err := health(r.Context()); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "unhealthy: %v\n", err)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "Kring operations: /healthz, /metrics")
	})
	return mux
}

// Serve listens on addr (host:port; keep it on a local or private address: the
// metrics name dialogs and platforms, never people) and serves Handler until ctx is
// done, then shuts down gracefully. It returns an error only when it cannot listen or
// the server fails.
func Serve(ctx context.Context, addr string, m *Metrics, health func(ctx context.Context) error) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, m, health)
}

// ServeListener is Serve on a listener the caller opened; it closes ln.
func ServeListener(ctx context.Context, ln net.Listener, m *Metrics, health func(ctx context.Context) error) error {
	srv := &http.Server{
		Handler:           Handler(m, health),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("metrics: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: serve: %w", err)
	}
	return nil
}

// Probe asks the /healthz of a Kring process listening on addr (its metrics address)
// and returns nil when it answers 200. A container health check runs it as
// `kring healthcheck`, since the image has no shell or curl. An unspecified host
// (":9090", "0.0.0.0:9090") is asked on the loopback address.
func Probe(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("health probe: address %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, HealthTimeout+time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("health probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health probe: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health probe: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
