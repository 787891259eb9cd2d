package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/adapters/discord"
	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/store"
)

// fanOut queues the morning check-in of the whole school through the scheduler, takes
// the memory figures while every check-in is open, then delivers the DMs through the
// Discord adapter to a local fake Discord that enforces a global rate limit.
func fanOut(ctx context.Context, rep *Report, col int, t *target, school *config.School, cat *i18n.Catalog, o Options, progress func(string, ...any)) error {
	prefix := newPrefix("fanout")
	rep.Prefixes = append(rep.Prefixes, prefix)
	defer func() { _ = deletePrefix(context.WithoutCancel(ctx), t.rdb, prefix) }()
	clk := newOffsetClock(benchDay())
	fake := fakediscord.New(fakediscord.Options{GlobalLimit: o.Limit, Guild: school.Discord.Guild})
	defer fake.Close()
	pace := o.Pace
	if pace <= 0 {
		pace = float64(o.Limit) * discord.DefaultRate / 50
	}
	st := store.New(t.rdb, prefix, school.ID, school.Retention.Std())
	// Kring opened every pupil's DM channel on an earlier day and cached its id: the
	// morning fan-out costs one request per pupil. (The very first day costs two.)
	if err := cacheDMs(ctx, st, school); err != nil {
		return err
	}
	ad, err := discord.New(discord.Options{
		Token: fake.Token(), AppID: fake.AppID(), School: school, Catalog: cat, KV: st.KV(string(chat.Discord)),
		Clock: clk, Log: quietLog(), Rate: pace, HTTPClient: fake.Client(),
	})
	if err != nil {
		return err
	}
	rt, err := newRuntime(t, prefix, school, cat, clk, ad)
	if err != nil {
		return err
	}
	pupils := 0
	for _, p := range school.People {
		if p.Has(config.Pupil) {
			pupils++
		}
	}

	before := settle()
	rss0, _ := rss()
	start := time.Now()
	ran, err := rt.Scheduler.RunDue(ctx)
	queueTime := time.Since(start)
	if err != nil {
		return fmt.Errorf("queue check-ins: %w", err)
	}
	queued, _, err := rt.Outbox.Depth(ctx)
	if err != nil {
		return err
	}
	if ran != len(school.Classes) || queued != int64(pupils) {
		return fmt.Errorf("scheduler ran %d jobs and queued %d DMs, want %d and %d", ran, queued, len(school.Classes), pupils)
	}
	progress("%s: queued %d check-ins in %d classes in %s (%.0f steps/s)", t.name, queued, ran, queueTime.Round(time.Millisecond), float64(queued)/queueTime.Seconds())
	after := settle()
	rss1, haveRSS := rss()

	// Deliver.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	dstart := time.Now()
	go func() { done <- rt.Deliverer.Run(dctx) }()
	limit := time.Duration(float64(pupils)/pace*2*float64(time.Second)) + time.Minute
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	deadline := time.After(limit)
	var finished time.Duration
	for {
		if rt.Deliverer.Delivered() >= int64(pupils) {
			finished = time.Since(dstart)
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("delivery not done after %s: %d of %d delivered", limit, rt.Deliverer.Delivered(), pupils)
		case <-tick.C:
			n := rt.Deliverer.Delivered()
			el := time.Since(dstart)
			progress("%s: delivered %d of %d DMs (%.1f/s), 429s so far %d, about %s to go", t.name, n, pupils,
				float64(n)/el.Seconds(), fake.Count(func(r fakediscord.Request) bool { return r.Status == 429 }),
				(time.Duration(float64(pupils-int(n))/pace) * time.Second).Round(time.Second))
		case <-poll.C:
		}
	}
	cancel()
	<-done
	if left, _, err := rt.Outbox.Depth(ctx); err != nil || left != 0 {
		return fmt.Errorf("outbox holds %d after delivery (%v)", left, err)
	}

	var ok, throttled int64
	var first, last time.Time
	for _, r := range fake.Requests() {
		switch {
		case r.Status == 429:
			throttled++
		case r.Status/100 == 2:
			if !strings.HasPrefix(r.Path, "/channels/") {
				continue
			}
			ok++
			if first.IsZero() || r.Time.Before(first) {
				first = r.Time
			}
			if r.Time.After(last) {
				last = r.Time
			}
		}
	}
	if ok != int64(pupils) {
		return fmt.Errorf("fake Discord accepted %d messages, want %d", ok, pupils)
	}
	achieved := float64(ok-1) / last.Sub(first).Seconds()
	progress("%s: delivered %d DMs in %s: %.2f req/s against a limit of %d (pace %.1f), %d 429s",
		t.name, ok, finished.Round(time.Millisecond), achieved, o.Limit, pace, throttled)

	n := thousands(int64(pupils))
	rep.set(col, "fanout.queue", fmt.Sprintf("3. fan-out: queue %s check-ins in %d classes (scheduler)", n, len(school.Classes)), "", dur(queueTime))
	rep.set(col, "fanout.queue.rate", "3. fan-out: queueing, steps/s", "", num(float64(queued)/queueTime.Seconds(), "%.0f"))
	rep.set(col, "fanout.deliver", fmt.Sprintf("3. fan-out: deliver %s DMs via the Discord adapter", n), "", dur(finished))
	rep.set(col, "fanout.rate", fmt.Sprintf("3. fan-out: achieved request rate (limit %d/s, adapter pace %s/s)", o.Limit, strconv.FormatFloat(pace, 'f', -1, 64)), "", num(achieved, "%.2f/s"))
	rep.set(col, "fanout.fraction", "3. fan-out: achieved ÷ limit", "≥ 0.95", num(achieved/float64(o.Limit), "%.3f"))
	rep.set(col, "fanout.pace", "3. fan-out: achieved ÷ adapter pace", "", num(achieved/pace, "%.3f"))
	rep.set(col, "fanout.429", "3. fan-out: 429s received", "0 after the first", count(throttled))

	rep.set(col, "memory.rss", fmt.Sprintf("5. memory: process RSS with %s check-ins open", n), "state in Redis", rssValue(rss1, haveRSS))
	rep.set(col, "memory.rss.added", "5. memory: RSS added by opening them", "", rssValue(rss1-rss0, haveRSS))
	rep.set(col, "memory.heap", "5. memory: Go heap in use with them open", "", mib(int64(after.HeapInuse)))
	rep.set(col, "memory.heap.added", "5. memory: Go heap added by opening them", "", mib(int64(after.HeapInuse)-int64(before.HeapInuse)))
	if pace < float64(o.Limit)*0.95 {
		rep.note("Fan-out: the Discord adapter paces itself at %s requests/s, %.0f%% of the fake's limit of %d (its default keeps %d of Discord's 50), so achieved ÷ limit cannot reach 0.95; achieved ÷ pace shows how fully the outbox uses the pace. `--pace` sets another pace.",
			strconv.FormatFloat(pace, 'f', -1, 64), 100*pace/float64(o.Limit), o.Limit, discord.DefaultRate)
	}
	return nil
}

func rssValue(b int64, ok bool) Value {
	if !ok {
		return Value{Text: "n/a"}
	}
	return mib(b)
}

// cacheDMs stores a DM channel id for every pupil in the Discord adapter's cache, as a
// running Kring has after its first day. The fake accepts any channel id when it is
// given no channel list.
func cacheDMs(ctx context.Context, st *store.Store, school *config.School) error {
	pipe := st.Client().Pipeline()
	n := 0
	for i, p := range school.People {
		if p.Discord == "" {
			continue
		}
		pipe.Set(ctx, st.Key("kv:"+string(chat.Discord)+":dm:"+p.Discord), strconv.Itoa(600000000000000000+i), 0)
		n++
		if n%1000 == 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return fmt.Errorf("cache DM channels: %w", err)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("cache DM channels: %w", err)
	}
	return nil
}
