package bench

import (
	"fmt"
	"runtime"
	"time"

	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/dialogs/checkin"
)

// MoodInput builds the input of the step that pureStep measures: a self-led pupil in
// the middle of the check-in presses mood 4, so the step decodes the saved state,
// records the mood, asks for today's goal and encodes the state again (the same step
// as dialogs/checkin's BenchmarkStep). It gets there through the dialog itself.
func MoodInput(school *config.School, cat *i18n.Catalog) (dialog.Input, error) {
	p, ok := school.Person(pupilID(0))
	if !ok {
		return dialog.Input{}, fmt.Errorf("no pupil %s", pupilID(0))
	}
	c, _ := school.Class(p.Class())
	now := benchDay().In(c.Location)
	d := checkin.New()
	in := dialog.Input{
		Kind: dialog.Start, Now: now, Today: config.DateOf(now), School: school, Person: p, Class: c,
		L: cat.For(school.LocaleFor(p)), Caps: nullAdapter{}.Capabilities(), Job: checkin.JobCheckin,
		Profile: map[string]string{},
	}
	for _, press := range []struct{ action, value string }{{"", ""}, {"checkin.open", "skip"}} {
		if press.action != "" {
			in.Kind, in.Job, in.Action, in.Value = dialog.Choice, "", press.action, press.value
		}
		res, err := d.Step(in)
		if err != nil {
			return dialog.Input{}, err
		}
		if res.State == nil || len(res.Messages) != 1 {
			return dialog.Input{}, fmt.Errorf("check-in did not move on at %q", press.action)
		}
		in.State = res.State
	}
	in.Action, in.Value = "checkin.mood", "4"
	return in, nil
}

// pureStep times the mood step with no I/O: ns and allocations per step.
func pureStep(rep *Report, school *config.School, cat *i18n.Catalog) error {
	in, err := MoodInput(school, cat)
	if err != nil {
		return fmt.Errorf("pure step: %w", err)
	}
	d := checkin.New()
	step := func() error {
		res, err := d.Step(in)
		if err != nil {
			return err
		}
		if len(res.Messages) != 1 || res.State == nil {
			return fmt.Errorf("pure step: mood not taken: %+v", res)
		}
		return nil
	}
	// Warm up, then size the timed loop to about half a second.
	n := 1
	for {
		start := time.Now()
		for range n {
			if err := step(); err != nil {
				return err
			}
		}
		if el := time.Since(start); el > 100*time.Millisecond || n >= 1<<24 {
			n = int(float64(n) * float64(500*time.Millisecond) / float64(max(el, time.Microsecond)))
			break
		}
		n *= 2
	}
	n = max(n, 1000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range n {
		if err := step(); err != nil {
			return err
		}
	}
	el := time.Since(start)
	runtime.ReadMemStats(&after)
	per := el / time.Duration(n)
	allocs := float64(after.Mallocs-before.Mallocs) / float64(n)
	bytes := float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
	for col := range rep.Columns {
		v, a, b := Value{}, Value{}, Value{}
		if col == 0 {
			v, a, b = dur(per), num(allocs, "%.0f"), num(bytes, "%.0f B")
		}
		rep.set(col, "step.time", "1. pure check-in step (mood answer, no I/O): time", "well under 10 µs", v)
		rep.set(col, "step.allocs", "1. pure check-in step: allocations", "", a)
		rep.set(col, "step.bytes", "1. pure check-in step: bytes allocated", "", b)
	}
	rep.note("The pure step touches no store, so it has one figure; %d timed steps.", n)
	return nil
}
