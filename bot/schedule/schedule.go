// Package schedule runs the dialogs' jobs (the morning check-in, the reminder, weekly
// digests, once-per-class posts) for every class, in the class's time zone, on school
// days only (or on the weekdays a job names), and fires the timers dialog steps set. A job runs once per (job, class, day) however many Kring processes share
// one Redis: each run is claimed with SET NX and marked done when it finishes. A run
// that dies half-way is taken over when its claim's lease ends; the per-person event
// ids of Engine.RunJob make the second run skip everyone already served.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/store"
	"github.com/redis/go-redis/v9"
)

// Runner runs one job for one class on one day; the Engine implements it.
type Runner interface {
	RunJob(ctx context.Context, d dialog.Dialog, job dialog.Job, class *config.Class, date config.Date) (int, error)
}

// TimerRunner fires the timers dialog steps set; the Engine implements it.
type TimerRunner interface {
	// FireDue fires up to n due timers.
	FireDue(ctx context.Context, n int) (int, error)
	// NextTimer is when the earliest timer is due (zero: none).
	NextTimer(ctx context.Context) (time.Time, error)
	// TimerArmed is signalled when a step set a timer.
	TimerArmed() <-chan struct{}
}

// Scheduler computes and runs due jobs.
type Scheduler struct {
	// Timers, if set, are fired by Run and RunDue beside the jobs.
	Timers  TimerRunner
	school  *config.School
	dialogs []dialog.Dialog
	runner  Runner
	st      *store.Store
	clk     clock.Clock
	log     *slog.Logger
	owner   string
	// Lease is how long a claim protects a running job before another process may take over.
	Lease time.Duration
	// DoneTTL is how long a finished job's marker is kept (longer than any catch-up window).
	DoneTTL time.Duration
	// Observer, if set, is told how many people each job served and could not reach.
	Observer Observer
}

// Observer sees each job's outcome (metrics). Methods must not block.
type Observer interface {
	JobRan(job string, served, unreachable int)
}

// Reacher is implemented by a Runner that can tell which people no connected platform
// reaches (the Engine): a job reports them instead of skipping them silently.
type Reacher interface {
	Unreached(people []*config.Person) []string
}

// New returns a scheduler; owner names this process in claims (host and pid, say).
func New(school *config.School, dialogs []dialog.Dialog, runner Runner, st *store.Store, clk clock.Clock, log *slog.Logger, owner string) *Scheduler {
	return &Scheduler{school: school, dialogs: dialogs, runner: runner, st: st, clk: clk, log: log, owner: owner,
		Lease: 10 * time.Minute, DoneTTL: 72 * time.Hour}
}

// Due is one job occurrence that should run.
type Due struct {
	Dialog dialog.Dialog
	Job    dialog.Job
	Class  *config.Class
	Date   config.Date
	At     time.Time
}

// Key names the occurrence in Redis.
func (d Due) Key() string {
	return fmt.Sprintf("j:%s.%s:%s:%s", d.Dialog.Name(), d.Job.Name, d.Class.ID, d.Date)
}

// DefaultGrace is how late a job may still run when its dialog sets no Grace.
const DefaultGrace = 4 * time.Hour

// DueAt lists the occurrences due at now: the job's time has passed today (class time
// zone), today is a school day, and the job's grace has not run out. Running late
// (after a restart) still runs the day's jobs within their grace; yesterday's are not
// caught up.
func (s *Scheduler) DueAt(now time.Time) []Due {
	var out []Due
	for _, c := range s.school.Classes {
		local := now.In(c.Location)
		today := config.DateOf(local)
		if !c.IsSchoolDay(today) {
			continue
		}
		for _, cj := range s.jobsOf(c) {
			if !cj.job.RunsOn(today.Weekday()) {
				continue
			}
			at := cj.job.At.On(today, c.Location)
			grace := cj.job.Grace
			if grace <= 0 {
				grace = DefaultGrace
			}
			if !now.Before(at) && now.Before(at.Add(grace)) {
				out = append(out, Due{Dialog: cj.dialog, Job: cj.job, Class: c, Date: today, At: at})
			}
		}
	}
	return out
}

type classJob struct {
	dialog dialog.Dialog
	job    dialog.Job
}

// jobsOf lists the daily jobs every scheduled dialog runs for class c.
func (s *Scheduler) jobsOf(c *config.Class) []classJob {
	var out []classJob
	for _, d := range s.dialogs {
		if sd, ok := d.(dialog.Scheduled); ok {
			for _, j := range sd.Jobs(c) {
				out = append(out, classJob{dialog: d, job: j})
			}
		}
	}
	return out
}

// Next returns the earliest job time after now (for sleeping until then), looking up to
// ten weeks ahead (a summer holiday); zero when there is none.
func (s *Scheduler) Next(now time.Time) time.Time {
	var best time.Time
	for _, c := range s.school.Classes {
		today := config.DateOf(now.In(c.Location))
		for i := 0; i < 70; i++ {
			day := today.AddDays(i)
			if !c.IsSchoolDay(day) {
				continue
			}
			for _, cj := range s.jobsOf(c) {
				if !cj.job.RunsOn(day.Weekday()) {
					continue
				}
				at := cj.job.At.On(day, c.Location)
				if at.After(now) && (best.IsZero() || at.Before(best)) {
					best = at
				}
			}
			if !best.IsZero() && best.Before(day.AddDays(1).On(c.Location)) {
				break
			}
		}
	}
	return best
}

// TimerBatch is how many timers one claim takes.
const TimerBatch = 64

// FireTimers fires every timer due now, in claims of TimerBatch.
func (s *Scheduler) FireTimers(ctx context.Context) (int, error) {
	if s.Timers == nil {
		return 0, nil
	}
	total := 0
	for {
		n, err := s.Timers.FireDue(ctx, TimerBatch)
		total += n
		if err != nil || n < TimerBatch || ctx.Err() != nil {
			return total, err
		}
	}
}

// NextDue is the earliest job time or timer due after now (zero: none), so a
// simulated clock can walk through both in order.
func (s *Scheduler) NextDue(ctx context.Context, now time.Time) time.Time {
	next := s.Next(now)
	if s.Timers == nil {
		return next
	}
	t, err := s.Timers.NextTimer(ctx)
	if err != nil || t.IsZero() {
		return next
	}
	if !t.After(now) {
		// Already due: it fires at the next tick, now.
		t = now
	}
	if next.IsZero() || t.Before(next) {
		return t
	}
	return next
}

// RunDue runs every job occurrence due now that no process has claimed and fires the
// due timers, and returns how many jobs it ran.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	ran := 0
	var errs []error
	if _, err := s.FireTimers(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, d := range s.DueAt(s.clk.Now()) {
		ok, err := s.claim(ctx, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		n, err := s.runner.RunJob(ctx, d.Dialog, d.Job, d.Class, d.Date)
		var unreached []string
		if r, ok := s.runner.(Reacher); ok {
			unreached = r.Unreached(s.school.Members(d.Class.ID, d.Job.Audience))
		}
		job := d.Dialog.Name() + "." + d.Job.Name
		level := slog.LevelInfo
		if len(unreached) > 0 {
			level = slog.LevelWarn
		}
		s.log.Log(ctx, level, "job ran", "job", job, "class", d.Class.ID, "date", d.Date.String(), "people", n,
			"unreachable", len(unreached), "unreachable_people", strings.Join(unreached, ","), "err", err)
		if s.Observer != nil {
			s.Observer.JobRan(job, n, len(unreached))
		}
		if err != nil {
			// Give the claim back so this or another process tries again at its next
			// tick, not only when the lease lapses (a restart mid-morning would otherwise
			// hold the remaining check-ins back for the whole lease).
			errs = append(errs, fmt.Errorf("job %s: %w", d.Key(), err))
			if rerr := s.release(context.WithoutCancel(ctx), d); rerr != nil {
				errs = append(errs, rerr)
			}
			continue
		}
		if err := s.st.Client().Set(ctx, s.st.Key(d.Key()), "done", s.DoneTTL).Err(); err != nil {
			errs = append(errs, fmt.Errorf("mark %s done: %w", d.Key(), err))
		}
		ran++
	}
	return ran, errors.Join(errs...)
}

func (s *Scheduler) claim(ctx context.Context, d Due) (bool, error) {
	ok, err := s.st.Client().SetArgs(ctx, s.st.Key(d.Key()), "run:"+s.owner, redis.SetArgs{Mode: "NX", TTL: s.Lease}).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", d.Key(), err)
	}
	return ok == "OK", nil
}

// releaseScript deletes a claim only while it is still this process's.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

func (s *Scheduler) release(ctx context.Context, d Due) error {
	if err := releaseScript.Run(ctx, s.st.Client(), []string{s.st.Key(d.Key())}, "run:"+s.owner).Err(); err != nil {
		return fmt.Errorf("release %s: %w", d.Key(), err)
	}
	return nil
}

// Run runs due jobs until ctx is done, waking at each job time and at least every
// minute (to notice config-independent catch-up after a pause).
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("scheduler", "err", err)
		}
		now := s.clk.Now()
		wait := time.Minute
		if next := s.Next(now); !next.IsZero() && next.Sub(now) < wait {
			wait = next.Sub(now)
		}
		var armed <-chan struct{}
		if s.Timers != nil {
			armed = s.Timers.TimerArmed()
			next, err := s.Timers.NextTimer(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("scheduler: next timer", "err", err)
			}
			if !next.IsZero() && next.Sub(now) < wait {
				wait = max(next.Sub(now), 0)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clk.After(wait):
		case <-armed:
		}
	}
}
