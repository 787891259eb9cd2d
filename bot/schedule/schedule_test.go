package schedule_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/schedule"
	"github.com/kring-school/kring/dialogs/checkin"
)

var ams, _ = time.LoadLocation("Europe/Amsterdam")

func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, ams)
}

// dueNames lists "dialog.job" of every occurrence due at t.
func dueNames(h *bottest.Harness, t time.Time) []string {
	var out []string
	for _, d := range h.Scheduler.DueAt(t) {
		out = append(out, d.Dialog.Name()+"."+d.Job.Name+"@"+d.Date.String())
	}
	return out
}

func TestDueJobsFollowSchoolDaysAndHolidays(t *testing.T) {
	h := bottest.New(t, bottest.Options{})
	cases := []struct {
		name string
		t    time.Time
		want int
	}{
		{"monday before check-in", at(2026, 11, 23, 8, 14), 0},
		{"monday at check-in", at(2026, 11, 23, 8, 15), 1},
		{"monday after reminder", at(2026, 11, 23, 10, 0), 2},
		{"friday", at(2026, 11, 27, 9, 0), 1},
		{"monday afternoon: both jobs past their grace", at(2026, 11, 23, 14, 30), 0},
		{"monday evening", at(2026, 11, 23, 19, 0), 0},
		{"saturday", at(2026, 11, 28, 9, 0), 0},
		{"sunday", at(2026, 11, 29, 11, 0), 0},
		{"first day of christmas holiday (saturday)", at(2026, 12, 19, 9, 0), 0},
		{"monday in christmas holiday", at(2026, 12, 21, 9, 0), 0},
		{"last day of holiday", at(2027, 1, 3, 9, 0), 0},
		{"first school day after", at(2027, 1, 4, 9, 0), 1},
	}
	for _, c := range cases {
		if got := dueNames(h, c.t); len(got) != c.want {
			t.Errorf("%s: due %v, want %d jobs", c.name, got, c.want)
		}
	}
}

func TestNextSkipsWeekendAndHoliday(t *testing.T) {
	h := bottest.New(t, bottest.Options{})
	// Friday before Christmas, after the day's last job (the silent-days check at day_end).
	got := h.Scheduler.Next(at(2026, 12, 18, 17, 0))
	if want := at(2027, 1, 4, 8, 15); !got.Equal(want) {
		t.Fatalf("next job after the last day before the holiday = %v, want %v", got, want)
	}
}

// sundaySchool is a class with school on Sunday, so the daylight-saving days (always
// Sundays in Europe) are school days and the schedule's wall-clock times are tested.
func sundaySchool(t *testing.T, checkin, reminder string) *config.School {
	s := bottest.ExampleSchool(t)
	c := s.Classes[0]
	c.Schedule.Days = append(c.Schedule.Days, config.Weekday(time.Sunday))
	var err error
	if c.Schedule.CheckIn, err = config.ParseTimeOfDay(checkin); err != nil {
		t.Fatal(err)
	}
	if c.Schedule.Reminder, err = config.ParseTimeOfDay(reminder); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDaylightSavingDays(t *testing.T) {
	s := sundaySchool(t, "08:15", "10:00")
	h := bottest.New(t, bottest.Options{School: s})
	// Spring forward (2026-03-29): 08:15 local is 06:15 UTC; the day before it was 07:15 UTC.
	if got := h.Scheduler.Next(at(2026, 3, 29, 0, 30)); !got.Equal(time.Date(2026, 3, 29, 6, 15, 0, 0, time.UTC)) {
		t.Fatalf("spring forward: check-in at %v UTC, want 06:15 UTC", got.UTC())
	}
	if got := h.Scheduler.Next(at(2026, 3, 27, 0, 30)); !got.Equal(time.Date(2026, 3, 27, 7, 15, 0, 0, time.UTC)) {
		t.Fatalf("the Friday before spring forward: check-in at %v UTC, want 07:15 UTC", got.UTC())
	}
	// Fall back (2026-10-25): 08:15 local is 07:15 UTC again.
	if got := h.Scheduler.Next(at(2026, 10, 25, 0, 30)); !got.Equal(time.Date(2026, 10, 25, 7, 15, 0, 0, time.UTC)) {
		t.Fatalf("fall back: check-in at %v UTC, want 07:15 UTC", got.UTC())
	}
	// A job set inside the hour that does not exist on the spring day (02:10) still runs
	// once that day, and a job in the repeated hour of the autumn day runs once.
	s2 := sundaySchool(t, "02:10", "02:50")
	h2 := bottest.New(t, bottest.Options{School: s2})
	if got := dueNames(h2, at(2026, 3, 29, 4, 0)); len(got) != 2 {
		t.Fatalf("spring day at 04:00: due %v, want both jobs", got)
	}
	rec := &bottest.Recorder{}
	h3 := bottest.New(t, bottest.Options{School: s2, Adapters: []chat.Adapter{rec}, Start: time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)})
	for _, utc := range []string{"00:11", "00:51", "01:11", "01:51", "03:00"} {
		tod, _ := config.ParseTimeOfDay(utc)
		h3.Clock.Set(tod.On(config.Date{Year: 2026, Month: 10, Day: 25}, time.UTC))
		h3.Tick()
	}
	if got := rec.To("anna"); len(got) != 2 {
		t.Fatalf("autumn day with jobs in the repeated hour: anna got %d messages, want check-in and reminder once", len(got))
	}
}

func TestSchoolWeekSendsOneCheckInAndOneReminderPerDay(t *testing.T) {
	rec := &bottest.Recorder{}
	h := bottest.New(t, bottest.Options{Adapters: []chat.Adapter{rec}})
	// Walk a whole week minute by minute around the job times, ticking often.
	for day := 0; day < 7; day++ {
		for _, hhmm := range []string{"07:00", "08:14", "08:15", "08:16", "09:00", "10:00", "10:01", "16:00"} {
			tod, _ := config.ParseTimeOfDay(hhmm)
			d := config.Date{Year: 2026, Month: 11, Day: 23}.AddDays(day)
			h.Clock.Set(tod.On(d, ams))
			h.Tick()
		}
	}
	// Nobody answers: every pupil gets a check-in and a reminder on each of 5 school days.
	for _, p := range h.School.Members("2B", config.Pupil) {
		if got := len(rec.To(p.ID)); got != 10 {
			t.Errorf("%s got %d messages in a week, want 10", p.ID, got)
		}
	}
	for _, d := range rec.Sent() {
		if d.Address.Channel != "" {
			t.Fatalf("a job posted to a channel (non-responders must never be named there): %+v", d)
		}
	}
}

func TestTwoProcessesRunEachJobOnce(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	clk := clock.NewFake(at(2026, 11, 23, 7, 0))
	recA, recB := &bottest.Recorder{}, &bottest.Recorder{}
	a := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{recA}, Dialogs: []dialog.Dialog{checkin.New()}})
	b := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{recB}, Dialogs: []dialog.Dialog{checkin.New()}})
	for _, hhmm := range []string{"08:15", "10:00"} {
		tod, _ := config.ParseTimeOfDay(hhmm)
		clk.Set(tod.On(config.Date{Year: 2026, Month: 11, Day: 23}, ams))
		var wg sync.WaitGroup
		for _, h := range []*bottest.Harness{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); h.Tick() }()
		}
		wg.Wait()
	}
	count := map[string]int{}
	for _, d := range append(recA.Sent(), recB.Sent()...) {
		count[d.Address.User]++
	}
	for _, p := range a.School.Members("2B", config.Pupil) {
		if count[p.ID] != 2 {
			t.Errorf("%s got %d messages from two processes, want exactly one check-in and one reminder", p.ID, count[p.ID])
		}
	}
}

func TestCrashedRunIsTakenOverWithoutDoubles(t *testing.T) {
	rec := &bottest.Recorder{}
	h := bottest.New(t, bottest.Options{Adapters: []chat.Adapter{rec}})
	h.Clock.Set(at(2026, 11, 23, 8, 15))
	ctx := context.Background()
	due := h.Scheduler.DueAt(h.Clock.Now())
	key := h.Store.Key(due[0].Key())
	// Another process claimed the job, served every pupil, and died before marking it done.
	if err := h.Redis.Set(ctx, key, "run:dead", h.Scheduler.Lease).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.RunJob(ctx, due[0].Dialog, due[0].Job, due[0].Class, due[0].Date); err != nil {
		t.Fatal(err)
	}
	h.Tick()
	pupils := h.School.Members("2B", config.Pupil)
	if n := len(rec.Sent()); n != len(pupils) {
		t.Fatalf("sent %d while the dead process held the claim, want %d from its run only", n, len(pupils))
	}
	// Its claim lapses (real Redis expiry; deleted here instead of waiting); the job runs again.
	h.Redis.Del(ctx, key)
	h.Tick()
	if n := len(rec.Sent()); n != len(pupils) {
		t.Fatalf("the take-over sent %d messages in all, want still %d (each pupil once)", n, len(pupils))
	}
	if v := h.Redis.Get(ctx, key).Val(); v != "done" {
		t.Fatalf("claim after the take-over = %q, want done", v)
	}
}

// failingRunner fails its first run, then succeeds.
type failingRunner struct{ runs int }

func (f *failingRunner) RunJob(context.Context, dialog.Dialog, dialog.Job, *config.Class, config.Date) (int, error) {
	f.runs++
	if f.runs == 1 {
		return 0, errors.New("redis went away")
	}
	return 6, nil
}

func TestFailedRunGivesItsClaimBack(t *testing.T) {
	h := bottest.New(t, bottest.Options{})
	r := &failingRunner{}
	s := schedule.New(h.School, h.Engine.Dialogs(), r, h.Store, h.Clock, slog.New(slog.DiscardHandler), "p1")
	h.Clock.Set(at(2026, 11, 23, 8, 15))
	if _, err := s.RunDue(context.Background()); err == nil {
		t.Fatal("the failed run reported no error")
	}
	if n, err := s.RunDue(context.Background()); err != nil || n != 1 || r.runs != 2 {
		t.Fatalf("second tick ran %d jobs (%v), runner called %d times; want the job retried at once", n, err, r.runs)
	}
}
