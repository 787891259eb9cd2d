package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
	krt "github.com/kring-school/kring/bot/runtime"
	"github.com/kring-school/kring/dialogs/checkin"
)

// StepsPerCheckIn is how many events one pupil's check-in takes in the engine bench.
const StepsPerCheckIn = 5

// CheckInEvents are the events of one self-led pupil's whole check-in, as a platform
// delivers them: the checkin command, skip the open question, mood 4, a typed goal,
// no help needed. Each is one Engine step that commits state and queues a reply.
func CheckInEvents(run, pupil string) []chat.Event {
	base := chat.Event{Platform: chat.Shell, User: pupil, DM: true}
	evs := []chat.Event{base, base, base, base, base}
	evs[0].Kind, evs[0].Command = chat.KindCommand, checkin.CmdCheckin
	evs[1].Kind, evs[1].Action, evs[1].Value = chat.KindButton, "checkin.open", "skip"
	evs[2].Kind, evs[2].Action, evs[2].Value = chat.KindButton, "checkin.mood", "4"
	evs[3].Kind, evs[3].Text = chat.KindMessage, "Hoofdstuk 3 van wiskunde afmaken en de woordjes leren"
	evs[4].Kind, evs[4].Action, evs[4].Value = chat.KindButton, "checkin.help", "no"
	for i := range evs {
		evs[i].ID = run + ":" + pupil + ":" + strconv.Itoa(i)
	}
	return evs
}

// newRuntime assembles Kring on t under prefix with the given adapters.
func newRuntime(t *target, prefix string, school *config.School, cat *i18n.Catalog, clk clock.Clock, adapters ...chat.Adapter) (*krt.Runtime, error) {
	if len(adapters) == 0 {
		adapters = []chat.Adapter{nullAdapter{}}
	}
	return krt.New(krt.Options{
		School: school, Redis: t.rdb, Prefix: prefix, Clock: clk, Catalog: cat,
		Dialogs: []dialog.Dialog{checkin.New()}, Adapters: adapters, Log: quietLog(), Owner: "bench",
	})
}

// engineSteps measures Engine.Handle at each concurrency level, and the plain Redis
// ceiling at the same level right after.
func engineSteps(ctx context.Context, rep *Report, col int, t *target, school *config.School, cat *i18n.Catalog, o Options, progress func(string, ...any)) error {
	prefix := newPrefix("engine")
	rep.Prefixes = append(rep.Prefixes, prefix)
	defer func() { _ = deletePrefix(context.WithoutCancel(ctx), t.rdb, prefix) }()
	rt, err := newRuntime(t, prefix, school, cat, clock.NewFake(benchDay()))
	if err != nil {
		return err
	}
	eng := rt.Engine
	// Warm up: load the commit script into the server (EVALSHA's first NOSCRIPT costs one
	// more round trip, once per server) and open connections.
	for _, ev := range CheckInEvents("warm", pupilID(0)) {
		if r := eng.Handle(ctx, ev); len(r) > 0 {
			return fmt.Errorf("warm-up step failed: %s", r[0].Text)
		}
	}
	var totalSteps, totalRT int64
	for li, c := range o.Concurrency {
		first := 1 + li*o.StepPupils
		if err := warmPool(ctx, t, c); err != nil {
			return err
		}
		rt0 := t.rt.Count()
		lat, el, failed, err := runSteps(ctx, eng, c, first, o.StepPupils, "c"+strconv.Itoa(c))
		if err != nil {
			return err
		}
		steps := int64(len(lat))
		rts := t.rt.Count() - rt0
		totalSteps += steps
		totalRT += rts
		if failed > 0 {
			return fmt.Errorf("%d of %d steps at concurrency %d answered with an error", failed, steps, c)
		}
		if err := checkRecorded(ctx, rt, pupilID(first+o.StepPupils-1)); err != nil {
			return err
		}
		sortDurations(lat)
		stepRate := float64(steps) / el.Seconds()
		progress("%s: %d pupils at once: %d steps in %s, p50 %s, p99 %s, %.0f steps/s, %.2f round trips/step",
			t.name, c, steps, el.Round(time.Millisecond), percentile(lat, .5), percentile(lat, .99), stepRate, float64(rts)/float64(steps))

		ceil, err := ceiling(ctx, t, prefix, c, o.Ceiling)
		if err != nil {
			return err
		}
		progress("%s: plain SET/GET, %d at once: %.0f round trips/s", t.name, c, ceil)

		p50, p99 := percentile(lat, .5), percentile(lat, .99)
		cs := strconv.Itoa(c)
		rep.set(col, "engine.c"+cs+".p50", fmt.Sprintf("2. engine step, %d at once: p50", c), "", dur(p50))
		rep.set(col, "engine.c"+cs+".p99", fmt.Sprintf("2. engine step, %d at once: p99", c), "", dur(p99))
		rep.set(col, "engine.c"+cs+".rate", fmt.Sprintf("2. engine step, %d at once: steps/s", c), "", num(stepRate, "%.0f"))
		rep.set(col, "redis.c"+cs+".rate", fmt.Sprintf("2. ceiling: plain SET/GET round trips/s, %d at once", c), "", num(ceil, "%.0f"))
		rep.set(col, "ratio.c"+cs, fmt.Sprintf("2. **Kring steps/s ÷ Redis round trips/s, %d at once**", c), "headline", num(stepRate/ceil, "%.3f"))
	}
	perStep := float64(totalRT) / float64(totalSteps)
	rep.set(col, "engine.rtt", "2. engine step: Redis round trips per step", "≤ 2", num(perStep, "%.2f"))
	return nil
}

// runSteps runs the whole check-in of pupils first..first+n-1 with c pupils at a
// time and returns each step's latency, the wall time and how many steps failed.
func runSteps(ctx context.Context, eng interface {
	Handle(context.Context, chat.Event) []chat.Message
}, c, first, n int, run string) ([]time.Duration, time.Duration, int64, error) {
	work := make(chan int)
	var (
		mu     sync.Mutex
		all    = make([]time.Duration, 0, n*StepsPerCheckIn)
		failed atomic.Int64
		wg     sync.WaitGroup
	)
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, (n/c+1)*StepsPerCheckIn)
			for p := range work {
				for _, ev := range CheckInEvents(run, pupilID(p)) {
					t0 := time.Now()
					r := eng.Handle(ctx, ev)
					lat = append(lat, time.Since(t0))
					if len(r) > 0 {
						failed.Add(1)
					}
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	for p := first; p < first+n; p++ {
		select {
		case work <- p:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	el := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, 0, 0, err
	}
	return all, el, failed.Load(), nil
}

// checkRecorded makes sure the steps did their work: the pupil's check-in is stored as done.
func checkRecorded(ctx context.Context, rt *krt.Runtime, pupil string) error {
	recs, err := rt.Engine.RecentCheckIns(ctx, pupil, 1)
	if err != nil {
		return err
	}
	if len(recs) != 1 || recs[0].Status != record.Done || recs[0].Mood != 4 {
		return fmt.Errorf("pupil %s: check-in not recorded as done with mood 4: %+v", pupil, recs)
	}
	return nil
}

// warmPool opens c connections, as a process that has been running a while has.
func warmPool(ctx context.Context, t *target, c int) error {
	var wg sync.WaitGroup
	errs := make(chan error, c)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := t.rdb.Ping(ctx).Err(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// ceiling runs c loops of SET then GET, one round trip each, for d and returns round trips/s.
func ceiling(ctx context.Context, t *target, prefix string, c int, d time.Duration) (float64, error) {
	var ops atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, c)
	value := make([]byte, 400) // about the size of a pupil's saved check-in state
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	start := time.Now()
	deadline := start.Add(d)
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := prefix + ":ceiling:" + strconv.Itoa(i)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := t.rdb.Set(ctx, key, value, 0).Err(); err != nil {
					errs <- err
					return
				}
				if err := t.rdb.Get(ctx, key).Err(); err != nil {
					errs <- err
					return
				}
				ops.Add(2)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, fmt.Errorf("ceiling: %w", err)
	}
	return float64(ops.Load()) / el.Seconds(), nil
}
