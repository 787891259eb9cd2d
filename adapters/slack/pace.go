package slack

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kring-school/kring/bot/clock"
)

// Pace tunes outbound pacing. Zero fields take the defaults below.
//
// Slack limits chat.postMessage to about one message per second per channel
// ("short bursts >1 allowed", rate-limits guide) and every other method per
// workspace by tier: Tier 3 50+/min, Tier 4 100+/min. Kring waits for a slot
// instead of collecting 429s, so a morning fan-out runs at the pace Slack
// accepts; a 429 that happens anyway pauses that key for Retry-After.
type Pace struct {
	// PerChannel is messages a second to one channel (default 1).
	PerChannel float64
	// ChannelBurst is how many messages one channel may get at once (default 3): a
	// check-in step often answers with two or three messages, which Slack's "short
	// bursts" tolerate, while sustained traffic to a channel stays at PerChannel.
	ChannelBurst int
	// Methods overrides the per-minute workspace limit of single methods.
	Methods map[string]MethodLimit
}

// MethodLimit is a per-method workspace limit: PerMinute on average, Burst at once.
type MethodLimit struct {
	PerMinute float64
	Burst     int
}

// Slack's published tiers (docs.slack.dev, "Rate limits"), taken at their lower
// bound. chat.postMessage is "special": per channel as above, and workspace-wide
// "several hundred messages per minute", read here as 300.
var defaultMethods = map[string]MethodLimit{
	"chat.postMessage":             {PerMinute: 300, Burst: 30},
	"chat.postEphemeral":           {PerMinute: 100, Burst: 20}, // Tier 4
	"chat.update":                  {PerMinute: 50, Burst: 10},  // Tier 3
	"conversations.open":           {PerMinute: 50, Burst: 10},  // Tier 3
	"views.publish":                {PerMinute: 100, Burst: 20}, // Tier 4
	"views.update":                 {PerMinute: 100, Burst: 20}, // Tier 4
	"files.getUploadURLExternal":   {PerMinute: 100, Burst: 20}, // Tier 4
	"files.completeUploadExternal": {PerMinute: 100, Burst: 20}, // Tier 4
}

// Methods not paced at all: views.open must run inside the 3-second trigger window,
// and waiting for a slot would only let the trigger expire.
var unpaced = map[string]bool{"views.open": true, "auth.test": true}

type pacer struct {
	clk        clock.Clock
	perChannel rate.Limit
	burst      int
	methods    map[string]MethodLimit

	mu       sync.Mutex
	channels map[string]*rate.Limiter
	byMethod map[string]*rate.Limiter
	// paused holds keys Slack answered 429 for, until when.
	paused map[string]time.Time
}

func newPacer(clk clock.Clock, p Pace) *pacer {
	if p.PerChannel <= 0 {
		p.PerChannel = 1
	}
	if p.ChannelBurst <= 0 {
		p.ChannelBurst = 3
	}
	methods := map[string]MethodLimit{}
	for k, v := range defaultMethods {
		methods[k] = v
	}
	for k, v := range p.Methods {
		methods[k] = v
	}
	return &pacer{
		clk: clk, perChannel: rate.Limit(p.PerChannel), burst: p.ChannelBurst, methods: methods,
		channels: map[string]*rate.Limiter{}, byMethod: map[string]*rate.Limiter{}, paused: map[string]time.Time{},
	}
}

func channelKey(channel string) string { return "ch:" + channel }

// wait blocks until method may be called (for channel, when posting to one) and
// reserves that slot. It never holds a lock while waiting.
func (p *pacer) wait(ctx context.Context, method, channel string) error {
	if unpaced[method] {
		return nil
	}
	for {
		now := p.clk.Now()
		p.mu.Lock()
		until := p.paused[method]
		if channel != "" {
			if t := p.paused[channelKey(channel)]; t.After(until) {
				until = t
			}
		}
		if until.After(now) {
			p.mu.Unlock()
			if err := p.sleep(ctx, until.Sub(now)); err != nil {
				return err
			}
			continue
		}
		var rs []*rate.Reservation
		if l := p.methodLimiter(method); l != nil {
			rs = append(rs, l.ReserveN(now, 1))
		}
		if channel != "" {
			rs = append(rs, p.channelLimiter(channel).ReserveN(now, 1))
		}
		p.mu.Unlock()
		var delay time.Duration
		for _, r := range rs {
			delay = max(delay, r.DelayFrom(now))
		}
		if delay <= 0 {
			return nil
		}
		if err := p.sleep(ctx, delay); err != nil {
			for _, r := range rs {
				r.CancelAt(now)
			}
			return err
		}
		return nil
	}
}

func (p *pacer) sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-p.clk.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pacer) methodLimiter(method string) *rate.Limiter {
	l, ok := p.byMethod[method]
	if ok {
		return l
	}
	m, ok := p.methods[method]
	if !ok {
		// An unknown method gets Tier 3, the common case for write methods.
		m = MethodLimit{PerMinute: 50, Burst: 10}
	}
	l = rate.NewLimiter(rate.Limit(m.PerMinute/60), max(m.Burst, 1))
	p.byMethod[method] = l
	return l
}

func (p *pacer) channelLimiter(channel string) *rate.Limiter {
	l, ok := p.channels[channel]
	if !ok {
		l = rate.NewLimiter(p.perChannel, p.burst)
		p.channels[channel] = l
	}
	return l
}

// pause holds back method (and the channel, for posts) after Slack said 429.
func (p *pacer) pause(method, channel string, d time.Duration) {
	until := p.clk.Now().Add(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	key := method
	if channel != "" && method == "chat.postMessage" {
		// A post's 429 is usually the channel's limit; other channels may go on.
		key = channelKey(channel)
	}
	if until.After(p.paused[key]) {
		p.paused[key] = until
	}
}
