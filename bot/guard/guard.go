// Package guard keeps one platform's sending within what the platform allows, for the
// whole deployment rather than per process, so that Kring never gets itself banned.
//
// A Guard paces requests in three layers: a per-process token bucket (the operator's
// upper bound, e.g. KRING_DISCORD_RATE), a deployment-wide GCRA limiter in Redis
// (github.com/go-redis/redis_rate, one bucket for the platform's global limit and one
// per route bucket such as one channel's messages), and a shared pause. The pause is set
// when the platform says stop for everyone: a global 429 (pause for its Retry-After), a
// route 429 (that route only), a ban (Discord answers 429 without rate-limit headers
// when Cloudflare blocks the IP: pause for minutes, doubling while it lasts) or a
// revoked token (401: pause for an hour, re-checked by one request). While paused, Wait
// returns a *chat.PausedError at once, without a request, in every process; the outbox
// then keeps its messages untouched. When the pause ends one process makes a single
// probe request; the others wait until it succeeded or the pause was renewed.
//
// A ban or revoked token is an episode: OnPause is called once in the deployment when
// it starts, OnResume once when a request succeeds again.
//
// Keys (under the deployment's prefix; the GCRA keys carry redis_rate's own "rate:"
// in front):
//
//	guard:PLATFORM:pause          reason of the platform-wide pause (TTL: until it ends)
//	guard:PLATFORM:route:ROUTE    a route paused by its own 429 (TTL: its Retry-After)
//	guard:PLATFORM:episode        reason of the open ban/401 episode (TTL 7 days)
//	guard:PLATFORM:strikes        consecutive bans, for the backoff (TTL 1 hour)
//	guard:PLATFORM:probe          who may make the probe request after a pause (TTL 30 s)
//	rate:PREFIX guard:PLATFORM:gcra:global, ...:gcra:ROUTE    GCRA state
package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/kring-school/kring/bot/chat"
)

// The reasons of a pause.
const (
	ReasonGlobal       = "rate-limited"
	ReasonBanned       = "banned"
	ReasonUnauthorized = "unauthorized"
)

// Ban backoff: the first ban pauses a minute (or the platform's Retry-After when
// longer), each further one in a row twice as long, up to half an hour.
const (
	BanMin = time.Minute
	BanMax = 30 * time.Minute
	// UnauthorizedPause is how long a refused token stops sending before one request
	// checks it again (an operator has to put a new token in place and restart).
	UnauthorizedPause = time.Hour
	probeTTL          = 30 * time.Second
	episodeTTL        = 7 * 24 * time.Hour
)

// Limit is a rate: Rate requests per Period with bursts of up to Burst.
type Limit = redis_rate.Limit

// Options configure a Guard.
type Options struct {
	Platform chat.Platform
	// Redis holds the shared state; nil keeps everything in this process.
	Redis redis.UniversalClient
	// Prefix is the deployment's key prefix (the store's, e.g. "kring:{school}:").
	Prefix string
	// Local is this process's upper bound in requests per second (0: none).
	Local float64
	// Global is the deployment's limit over all processes (zero: none).
	Global Limit
	Log    *slog.Logger
	// Now tells the time of pauses (default time.Now; tests pass a fake clock's). Pacing
	// always runs on the wall clock, like the platforms' limits and Redis's TIME.
	Now func() time.Time
	// BanMin is the first pause for a ban (default BanMin).
	BanMin time.Duration
	// OnPause is called once per episode when a ban or revoked token starts sending
	// pauses; OnResume once when it is over. Both must not block for long.
	OnPause  func(ctx context.Context, reason string, until time.Time)
	OnResume func(ctx context.Context, reason string)
}

// Guard paces and pauses one platform's requests. It is safe for concurrent use.
type Guard struct {
	o     Options
	local *rate.Limiter
	gcra  *redis_rate.Limiter
	log   *slog.Logger

	mu          sync.Mutex
	pausedUntil time.Time
	reason      string
	checked     time.Time // when the shared pause was last read
	probing     bool      // this process holds the probe
	episodeOpen string    // this process's view of the open episode (without Redis)
}

// New returns a Guard.
func New(o Options) *Guard {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BanMin <= 0 {
		o.BanMin = BanMin
	}
	g := &Guard{o: o, log: o.Log}
	if g.log == nil {
		g.log = slog.Default()
	}
	if o.Local > 0 {
		g.local = rate.NewLimiter(rate.Limit(o.Local), 1)
	}
	if o.Redis != nil {
		g.gcra = redis_rate.NewLimiter(o.Redis)
	}
	return g
}

func (g *Guard) key(s string) string { return g.o.Prefix + "guard:" + string(g.o.Platform) + ":" + s }

// Paused reports the platform-wide pause as this process last saw it.
func (g *Guard) Paused() (reason string, until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.o.Now().Before(g.pausedUntil) {
		return g.reason, g.pausedUntil
	}
	return "", time.Time{}
}

// Wait returns when a request on route (e.g. "POST /channels/42/messages"; "" for none)
// may be made under routeLimit (zero: no route limit), or a *chat.PausedError when the
// platform refuses sending for now. It also waits out a route's own pause.
func (g *Guard) Wait(ctx context.Context, route string, routeLimit Limit) error {
	for {
		err := g.checkPause(ctx)
		var pe *chat.PausedError
		if errors.As(err, &pe) && pe.Reason == ReasonGlobal && pe.After < time.Minute {
			// A global 429 lasts moments: wait it out rather than hand the message back.
			if err := sleep(ctx, pe.After); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if g.local != nil {
			if err := g.local.Wait(ctx); err != nil {
				return err
			}
		}
		// A pause announced while waiting for the turn is waited out too, so requests
		// queued behind the limiter do not run into it.
		g.mu.Lock()
		paused := g.o.Now().Before(g.pausedUntil)
		g.mu.Unlock()
		if !paused {
			break
		}
	}
	if g.gcra == nil {
		return nil
	}
	if route != "" {
		if err := g.waitRoutePause(ctx, route); err != nil {
			return err
		}
	}
	if !g.o.Global.IsZero() {
		if err := g.take(ctx, "gcra:global", g.o.Global); err != nil {
			return err
		}
	}
	if route != "" && !routeLimit.IsZero() {
		if err := g.take(ctx, "gcra:"+route, routeLimit); err != nil {
			return err
		}
	}
	return nil
}

// take waits for one request's turn in a shared GCRA bucket.
func (g *Guard) take(ctx context.Context, bucket string, l Limit) error {
	for {
		res, err := g.gcra.Allow(ctx, g.key(bucket), l)
		if err != nil {
			// Without Redis the per-process bound still holds; a send must not fail for it.
			g.log.Warn("shared rate limit unavailable; pacing by this process only", "err", err)
			return nil
		}
		if res.Allowed > 0 {
			return nil
		}
		if err := sleep(ctx, res.RetryAfter); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Check returns a *chat.PausedError while the platform is paused, without pacing: for
// requests that are outside the global limit (interaction answers) but not outside a ban.
func (g *Guard) Check(ctx context.Context) error {
	err := g.checkPause(ctx)
	var pe *chat.PausedError
	if errors.As(err, &pe) && pe.Reason == ReasonGlobal {
		return nil
	}
	return err
}

// checkPause returns a *chat.PausedError while the platform is paused. The shared
// state is read at most every 250ms per process. After a pause, only the process that
// wins the probe may send until a request succeeded.
func (g *Guard) checkPause(ctx context.Context) error {
	g.mu.Lock()
	now := g.o.Now()
	if now.Before(g.pausedUntil) {
		err := &chat.PausedError{After: g.pausedUntil.Sub(now), Reason: g.reason, Err: fmt.Errorf("%s sending paused", g.o.Platform)}
		g.mu.Unlock()
		return err
	}
	fresh := now.Sub(g.checked) < 250*time.Millisecond
	probing := g.probing
	if g.o.Redis == nil && g.episodeOpen != "" {
		g.probing = true // the pause ended: the next request tells whether it is over
	}
	g.mu.Unlock()
	if g.o.Redis == nil || fresh || probing {
		return nil
	}
	pipe := g.o.Redis.Pipeline()
	paused := pipe.Get(ctx, g.key("pause"))
	episode := pipe.Get(ctx, g.key("episode"))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		g.log.Warn("read shared pause", "err", err)
		return nil
	}
	g.mu.Lock()
	g.checked = now
	reason, ms, _ := strings.Cut(paused.Val(), "|")
	until, _ := strconv.ParseInt(ms, 10, 64)
	if d := time.UnixMilli(until).Sub(now); paused.Err() == nil && d > 0 {
		g.pausedUntil, g.reason = now.Add(d), reason
		err := &chat.PausedError{After: d, Reason: reason, Err: fmt.Errorf("%s sending paused", g.o.Platform)}
		g.mu.Unlock()
		return err
	}
	g.mu.Unlock()
	if episode.Err() != nil {
		return nil // no ban or revoked token open: send freely
	}
	// An episode is open and its pause ended: one probe for the whole deployment.
	ok, err := g.o.Redis.SetNX(ctx, g.key("probe"), "1", probeTTL).Result()
	if err != nil {
		return nil
	}
	if !ok {
		return &chat.PausedError{After: probeTTL / 3, Reason: episode.Val(), Err: fmt.Errorf("%s: another process is checking whether sending works again", g.o.Platform)}
	}
	g.mu.Lock()
	g.probing = true
	g.mu.Unlock()
	return nil
}

func (g *Guard) waitRoutePause(ctx context.Context, route string) error {
	d, err := g.o.Redis.PTTL(ctx, g.key("route:"+route)).Result()
	if err != nil || d <= 0 {
		return nil
	}
	return sleep(ctx, d)
}

// RouteLimited records a 429 for one route bucket: every process waits it out.
func (g *Guard) RouteLimited(ctx context.Context, route string, after time.Duration) {
	if g.o.Redis == nil || route == "" || after <= 0 {
		return
	}
	if err := g.o.Redis.Set(ctx, g.key("route:"+route), "1", after).Err(); err != nil {
		g.log.Warn("share route rate limit", "err", err)
	}
}

// GlobalLimited records a global 429: every process pauses for after.
func (g *Guard) GlobalLimited(ctx context.Context, after time.Duration) {
	g.pause(ctx, ReasonGlobal, after)
}

// Banned records a ban (429 without rate-limit headers) and returns how long sending
// now pauses: at least retryAfter, doubling with every ban in a row.
func (g *Guard) Banned(ctx context.Context, retryAfter time.Duration) time.Duration {
	strikes := int64(1)
	if g.o.Redis != nil {
		pipe := g.o.Redis.TxPipeline()
		n := pipe.Incr(ctx, g.key("strikes"))
		pipe.Expire(ctx, g.key("strikes"), time.Hour)
		if _, err := pipe.Exec(ctx); err == nil {
			strikes = n.Val()
		}
	} else {
		g.mu.Lock()
		if g.episodeOpen == ReasonBanned {
			strikes = 2 // a ban in a row in this process
		}
		g.mu.Unlock()
	}
	d := g.o.BanMin * time.Duration(math.Pow(2, float64(min(strikes-1, 10))))
	d = min(max(d, retryAfter), BanMax)
	g.episode(ctx, ReasonBanned, d)
	return d
}

// Unauthorized records a refused token: sending pauses for UnauthorizedPause.
func (g *Guard) Unauthorized(ctx context.Context) time.Duration {
	g.episode(ctx, ReasonUnauthorized, UnauthorizedPause)
	return UnauthorizedPause
}

// episode pauses for d and opens an episode, calling OnPause if it is new.
func (g *Guard) episode(ctx context.Context, reason string, d time.Duration) {
	g.pause(ctx, reason, d)
	g.mu.Lock()
	first := g.episodeOpen == ""
	g.episodeOpen = reason
	g.probing = false
	g.mu.Unlock()
	if g.o.Redis != nil {
		ok, err := g.o.Redis.SetNX(ctx, g.key("episode"), reason, episodeTTL).Result()
		first = err != nil || ok
	}
	until := g.o.Now().Add(d)
	g.log.Error("platform refuses Kring's requests; all sending paused", "reason", reason, "until", until.UTC().Format(time.RFC3339), "new_episode", first)
	if first && g.o.OnPause != nil {
		g.o.OnPause(ctx, reason, until)
	}
}

func (g *Guard) pause(ctx context.Context, reason string, d time.Duration) {
	until := g.o.Now().Add(d)
	g.mu.Lock()
	if until.After(g.pausedUntil) {
		g.pausedUntil, g.reason = until, reason
	}
	g.mu.Unlock()
	if g.o.Redis == nil {
		return
	}
	// The end is kept as a time, so every process (and a test's clock) agrees on it;
	// the TTL only cleans up.
	pipe := g.o.Redis.TxPipeline()
	pipe.Set(ctx, g.key("pause"), reason+"|"+strconv.FormatInt(until.UnixMilli(), 10), d+time.Minute)
	pipe.Del(ctx, g.key("probe"))
	if _, err := pipe.Exec(ctx); err != nil {
		g.log.Warn("share pause", "err", err)
	}
}

// OK records a request the platform accepted: an open episode is over.
func (g *Guard) OK(ctx context.Context) {
	g.mu.Lock()
	probing := g.probing
	reason := g.episodeOpen
	g.probing, g.episodeOpen = false, ""
	g.mu.Unlock()
	if !probing {
		return
	}
	if g.o.Redis != nil {
		pipe := g.o.Redis.TxPipeline()
		get := pipe.GetDel(ctx, g.key("episode"))
		pipe.Del(ctx, g.key("probe"), g.key("strikes"))
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			g.log.Warn("end pause episode", "err", err)
			return
		}
		reason = get.Val()
	}
	if reason == "" {
		return
	}
	g.log.Info("platform accepts Kring's requests again; sending resumed", "reason", reason)
	if g.o.OnResume != nil {
		g.o.OnResume(ctx, reason)
	}
}
