// Package runtime wires the parts of a running Kring: the store, the Engine, the outbox
// deliverer, the scheduler and the adapters, and runs them until shutdown. The binary
// and the end-to-end tests build on it, so both run the same assembly.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/link"
	"github.com/kring-school/kring/bot/outbox"
	"github.com/kring-school/kring/bot/report"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/bot/schedule"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/dialogs/alerts"
	"github.com/kring-school/kring/dialogs/help"
	"github.com/kring-school/kring/dialogs/inbox"
	"github.com/kring-school/kring/dialogs/language"
	"github.com/redis/go-redis/v9"
)

// Options configure a Runtime.
type Options struct {
	School *config.School
	Redis  redis.UniversalClient
	// Prefix is the deployment's key prefix (default "kring").
	Prefix  string
	Clock   clock.Clock
	Catalog *i18n.Catalog
	// Dialogs are the conversations; the help dialog is added for them.
	Dialogs []dialog.Dialog
	// Adapters are the platforms, in order of preference for reaching a person.
	Adapters []chat.Adapter
	Log      *slog.Logger
	// Owner names this process in scheduler claims.
	Owner string
	// Serial serves scheduled jobs and deliveries one at a time, in roster and queue
	// order: the terminal class uses it so what it prints is the same every run.
	Serial bool
	// Alerts finds safeguarding phrases in pupils' texts (default: bot/safeguard's
	// built-in phrases and the school's alert words).
	Alerts func(school *config.School, text string) []string
	// EngineObserver and OutboxObserver receive metrics events (optional).
	EngineObserver bot.Observer
	OutboxObserver outbox.Observer
}

// Runtime is one assembled Kring process.
type Runtime struct {
	Store     *store.Store
	Engine    *bot.Engine
	Outbox    *outbox.Outbox
	Deliverer *outbox.Deliverer
	Scheduler *schedule.Scheduler
	// Links are the accounts linked at runtime (codes, Slack e-mail), over the file's ids.
	Links    *link.Links
	adapters []chat.Adapter
	log      *slog.Logger
}

// New assembles a Runtime.
func New(o Options) (*Runtime, error) {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Catalog == nil {
		c, err := i18n.Load()
		if err != nil {
			return nil, fmt.Errorf("load catalogs: %w", err)
		}
		o.Catalog = c
	}
	st := store.New(o.Redis, o.Prefix, o.School.ID, o.School.Retention.Std())
	ob := outbox.New(st, o.Clock)
	if o.Alerts == nil {
		// The built-in safeguarding phrases plus the school's alert words, compiled once.
		o.Alerts = new(safeguard.Cache).Words
	}
	links := link.New(o.School, st, o.Clock, o.Log, link.Policy{})
	linkSvc := link.NewService(links, o.Catalog, nil)
	// Every deployment has /help, /language and the link commands; /help lists every
	// command, its own too.
	own := append(append([]dialog.Dialog{language.New(o.Catalog)}, o.Dialogs...), linkSvc)
	dialogs := append([]dialog.Dialog{help.New(own...)}, own...)
	hasInbox, hasAlerts := false, false
	for _, d := range o.Dialogs {
		hasInbox = hasInbox || d.Name() == inbox.Name
		hasAlerts = hasAlerts || d.Name() == alerts.Name
	}
	if !hasAlerts {
		// Every safeguarding alert is an open record with a re-send timer of this dialog.
		dialogs = append(dialogs, alerts.New())
	}
	if !hasInbox {
		// Typed text no conversation expects must still reach a person or be answered.
		ib := inbox.New()
		for _, d := range o.Dialogs {
			if a, ok := d.(dialog.Asker); ok {
				// "It's a question" starts a question to the right teacher.
				ib.Questions = a
			}
		}
		dialogs = append(dialogs, ib)
	}
	jobWorkers := 0 // the Engine's default
	if o.Serial {
		jobWorkers = 1
	}
	eng, err := bot.New(bot.Options{
		School: o.School, Store: st, Outbox: ob, Clock: o.Clock, Catalog: o.Catalog,
		Dialogs: dialogs, Adapters: o.Adapters, Log: o.Log, Observer: o.EngineObserver,
		JobWorkers: jobWorkers, Inbox: inbox.Name, Alerts: o.Alerts,
		Periods: func(ctx context.Context, pupils []*config.Person, from, to config.Date) ([]dialog.PupilPeriod, error) {
			ds, err := report.LoadSummary(ctx, st, o.School, pupils, from, to)
			if err != nil {
				return nil, err
			}
			out := make([]dialog.PupilPeriod, len(ds))
			for i, d := range ds {
				out[i] = dialog.PupilPeriod{Pupil: d.Pupil.ID, CheckIns: d.CheckIns, Help: d.Help, OpenAlerts: d.OpenAlerts, Questions: d.Questions}
			}
			return out, nil
		},
		Directory: links, Onboarding: linkSvc,
	})
	if err != nil {
		return nil, err
	}
	linkSvc.Bind(eng.Notify, eng.LocaleOf)
	del := outbox.NewDeliverer(ob, o.Adapters, o.Log)
	del.Unreachable = eng.Unreachable
	del.Gate = eng.Gate
	del.Reached = eng.Reached
	del.Observer = o.OutboxObserver
	if o.Serial {
		del.Workers = 1
	}
	sched := schedule.New(o.School, dialogs, eng, st, o.Clock, o.Log, o.Owner)
	sched.Timers = eng
	if jo, ok := o.EngineObserver.(schedule.Observer); ok {
		sched.Observer = jo
	}
	return &Runtime{Store: st, Engine: eng, Outbox: ob, Deliverer: del, Scheduler: sched, Links: links, adapters: o.Adapters, log: o.Log}, nil
}

// Tick runs the jobs due now and delivers every message due now, synchronously. The
// terminal class and tests drive a simulated morning with it.
func (r *Runtime) Tick(ctx context.Context) error {
	_, jerr := r.Scheduler.RunDue(ctx)
	_, derr := r.Deliverer.DeliverDue(ctx)
	return errors.Join(jerr, derr)
}

// Run runs the adapters, the deliverer and the scheduler until ctx is done or an
// adapter fails for good. On shutdown every part finishes what it is doing; queued
// messages stay in the outbox for the next start.
func (r *Runtime) Run(ctx context.Context, background bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(r.adapters)+3)
	if background {
		wg.Add(3)
		go func() { defer wg.Done(); errs <- r.Deliverer.Run(ctx) }()
		go func() { defer wg.Done(); errs <- r.Scheduler.Run(ctx) }()
		go func() { defer wg.Done(); errs <- r.Links.Run(ctx) }()
	} else if err := r.Links.Refresh(ctx); err != nil {
		r.log.Warn("links not loaded; the school file's ids are used", "err", err)
	}
	for _, a := range r.adapters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := a.Run(ctx, r.Engine)
			if err != nil && ctx.Err() == nil {
				err = fmt.Errorf("%s adapter: %w", a.Platform(), err)
			}
			errs <- err
			// One platform ending (the terminal closing, a revoked token) ends the process:
			// a bot that silently lost a platform would drop check-ins.
			cancel()
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}
