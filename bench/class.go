package bench

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	krt "github.com/kring-school/kring/bot/runtime"
	"github.com/kring-school/kring/dialogs/debate"
	"github.com/kring-school/kring/dialogs/discussion"
	"github.com/kring-school/kring/dialogs/terms"
)

// ClassSize is how many pupils answer one prompt and vote in one debate at once.
const ClassSize = 30

// classTalk measures part 6: a class of 30 answers one discussion prompt at the same
// moment (each answer is two steps: the answer button, then the typed text), then
// votes in one debate (one step), spread over two engines on one store. Per round it
// records the time until all 30 are committed; per pupil the latency of their answer
// or vote. Every round checks that all 30 answers and votes were kept.
func classTalk(ctx context.Context, rep *Report, col int, t *target, _ *config.School, cat *i18n.Catalog, o Options, progress func(string, ...any)) error {
	prefix := newPrefix("class")
	rep.Prefixes = append(rep.Prefixes, prefix)
	defer func() { _ = deletePrefix(context.WithoutCancel(ctx), t.rdb, prefix) }()
	school, err := School(ClassSize, 1)
	if err != nil {
		return err
	}
	clk := clock.NewFake(benchDay().Add(3 * time.Hour))
	var engines []*krt.Runtime
	for range 2 {
		rt, err := krt.New(krt.Options{School: school, Redis: t.rdb, Prefix: prefix, Clock: clk, Catalog: cat,
			Dialogs:  []dialog.Dialog{discussion.New(), debate.New(), terms.New()},
			Adapters: []chat.Adapter{nullAdapter{}}, Log: quietLog(), Owner: "bench"})
		if err != nil {
			return err
		}
		engines = append(engines, rt)
	}
	// Ten rounds of 30 are quick even in --quick and give 300 latencies per kind.
	const rounds = 10
	kinds := []struct {
		key, label, cmd string
		events          func(run, id, pupil string, i int) []chat.Event
		kept            func(fields map[string]string) int
	}{
		{"prompt", "7. class: 30 pupils answer one prompt at once (2 engines)", "discuss", answerEvents, countPrefix("m:")},
		{"debate", "7. class: 30 pupils vote in one debate at once (2 engines)", "debate", voteEvents, countPrefix("s:v1.")},
	}
	for _, k := range kinds {
		var walls, lat []time.Duration
		for r := range rounds {
			run := fmt.Sprintf("%s-%d", k.key, r)
			teacher := chat.Event{ID: run + ":start", Platform: chat.Shell, User: "m0", DM: true, Kind: chat.KindCommand,
				Command: k.cmd, ArgText: "Stelling " + strconv.Itoa(r)}
			if res := engines[0].Engine.Handle(ctx, teacher); len(res) > 0 {
				return fmt.Errorf("%s: start: %s", run, res[0].Text)
			}
			id, key, err := current(ctx, t, prefix, k.key)
			if err != nil {
				return err
			}
			wall, l, err := together(ctx, engines, func(i int) []chat.Event { return k.events(run, id, pupilID(i), i) })
			if err != nil {
				return fmt.Errorf("%s: %w", run, err)
			}
			fields, err := t.rdb.HGetAll(ctx, key).Result()
			if err != nil {
				return err
			}
			if n := k.kept(fields); n != ClassSize {
				return fmt.Errorf("%s: %d of %d kept", run, n, ClassSize)
			}
			walls, lat = append(walls, wall), append(lat, l...)
			closeAction := discussion.Name + ".close"
			if k.key == "debate" {
				closeAction = debate.Name + ".close"
			}
			cl := chat.Event{ID: run + ":close", Platform: chat.Shell, User: "m0", DM: true, Kind: chat.KindButton, Action: closeAction, Value: id}
			if res := engines[1].Engine.Handle(ctx, cl); len(res) > 0 {
				return fmt.Errorf("%s: close: %s", run, res[0].Text)
			}
		}
		sortDurations(walls)
		sortDurations(lat)
		progress("%s: %s: all committed in %s (median of %d), p99 per pupil %s", t.name, k.key, percentile(walls, .5), rounds, percentile(lat, .99))
		rep.set(col, "class."+k.key+".all", k.label+": time until all committed (median)", "", dur(percentile(walls, .5)))
		rep.set(col, "class."+k.key+".p99", k.label+": p99 per pupil", "", dur(percentile(lat, .99)))
	}
	return nil
}

func countPrefix(p string) func(map[string]string) int {
	return func(f map[string]string) int {
		n := 0
		for k := range f {
			if strings.HasPrefix(k, p) {
				n++
			}
		}
		return n
	}
}

// answerEvents are one pupil's answer: the answer button, then the typed text.
func answerEvents(run, id, pupil string, i int) []chat.Event {
	base := chat.Event{Platform: chat.Shell, User: pupil, DM: true}
	a, b := base, base
	a.ID, a.Kind, a.Action, a.Value = run+":"+pupil+":a", chat.KindButton, discussion.Name+".answer", id
	b.ID, b.Kind, b.Text = run+":"+pupil+":b", chat.KindMessage, "Mijn antwoord, nummer "+strconv.Itoa(i)
	return []chat.Event{a, b}
}

// voteEvents are one pupil's vote before the debate.
func voteEvents(run, id, pupil string, i int) []chat.Event {
	return []chat.Event{{ID: run + ":" + pupil, Platform: chat.Shell, User: pupil, DM: true, Kind: chat.KindButton,
		Action: debate.Name + ".vote", Value: id + ":1:" + debate.Votes[i%len(debate.Votes)]}}
}

// current finds the prompt or debate the teacher just started, from the class's board.
func current(ctx context.Context, t *target, prefix, kind string) (id, key string, err error) {
	board, rec := prefix+":{bench}:discb:c0", prefix+":{bench}:disc:"
	if kind == "debate" {
		board, rec = prefix+":{bench}:debb:c0", prefix+":{bench}:deb:"
	}
	f, err := t.rdb.HGetAll(ctx, board).Result()
	if err != nil {
		return "", "", err
	}
	var ids []string
	for k, v := range f {
		if id, ok := strings.CutPrefix(k, "f:p."); ok && v != "" {
			ids = append(ids, id)
		}
	}
	if kind == "debate" && f["f:current"] != "" {
		ids = append(ids, f["f:current"])
	}
	sort.Strings(ids)
	if len(ids) != 1 {
		return "", "", fmt.Errorf("%s: %d open on the board, want 1", kind, len(ids))
	}
	return ids[0], rec + ids[0], nil
}

// together runs every pupil's events at the same moment (a goroutine each, released
// together), alternating the two engines, and returns the time until the last commit
// and each pupil's latency.
func together(ctx context.Context, engines []*krt.Runtime, events func(i int) []chat.Event) (time.Duration, []time.Duration, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		lat  []time.Duration
		errs []string
		gate = make(chan struct{})
	)
	for i := range ClassSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := events(i)
			<-gate
			t0 := time.Now()
			for _, ev := range evs {
				if res := engines[i%len(engines)].Engine.Handle(ctx, ev); len(res) > 0 {
					mu.Lock()
					errs = append(errs, ev.ID+": "+res[0].Text)
					mu.Unlock()
				}
			}
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	wall := time.Since(start)
	if len(errs) > 0 {
		return 0, nil, fmt.Errorf("%d steps failed, first: %s", len(errs), errs[0])
	}
	return wall, lat, nil
}
