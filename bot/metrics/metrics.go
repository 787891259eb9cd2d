// Package metrics exposes what a running Kring does as Prometheus metrics and serves
// them, with a health check, on a local operations address.
//
// A Metrics value is both a bot.Observer (events, steps, conflicts, duplicates, step
// latency) and an outbox.Observer (deliveries, retries, throttling, failures); the
// outbox depth and dead-letter count are read from Redis at scrape time, so every
// process reports the same shared queue. Each Metrics has a registry of its own: no
// global state, so tests and several runtimes in one process never collide.
//
// The metrics (all prefixed kring_):
//
//	events_total{kind}                      events received from the platforms
//	steps_total{dialog,outcome}             dialog steps: ok, conflict, duplicate, error
//	step_duration_seconds{dialog}           load + decide + commit of one step (histogram)
//	step_conflicts_total                    commits retried because another process won
//	duplicate_events_total                  platform re-deliveries dropped by event id
//	outbox_delivered_total{platform}        messages the platform accepted
//	outbox_retries_total{platform,reason}   sends put back for later: throttled or error
//	outbox_throttled_total{platform}        sends refused with a retry hint (429, 5xx)
//	outbox_failed_total{platform,reason}    messages given up on: unreachable, permanent, gave-up
//	outbox_depth                            messages queued (due or waiting to retry)
//	outbox_dead                             messages in the dead-letter set
//	store_up                                1 when the outbox depth could be read
//	alerts_total{dialog}                    private alerts to mentors and care staff
//	job_people_total{job,outcome}           people a job served, and those it could not reach
//	platform_paused{platform,reason}        1 while a platform refuses sending (banned, unauthorized)
//	platform_paused_seconds{platform}       seconds until sending is tried again
//
// plus the Go runtime and process collectors (go_*, process_*).
package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/outbox"
	"github.com/kring-school/kring/bot/store"
)

// Depther reads the outbox's size; *outbox.Outbox implements it.
type Depther interface {
	Depth(ctx context.Context) (queued, dead int64, err error)
}

// The step outcomes of kring_steps_total.
const (
	OutcomeOK        = "ok"
	OutcomeConflict  = "conflict"
	OutcomeDuplicate = "duplicate"
	OutcomeError     = "error"
)

// StepBuckets are the bounds of the step latency histogram, in seconds: a step on a
// local Redis takes a few hundred microseconds, a slow or remote one tens of ms.
var StepBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// DepthTimeout bounds the Redis read behind the outbox gauges at scrape time.
const DepthTimeout = 2 * time.Second

// Metrics collects Kring's metrics in a registry of its own.
type Metrics struct {
	reg *prometheus.Registry

	events      *prometheus.CounterVec
	steps       *prometheus.CounterVec
	stepSeconds *prometheus.HistogramVec
	conflicts   prometheus.Counter
	duplicates  prometheus.Counter
	delivered   *prometheus.CounterVec
	retries     *prometheus.CounterVec
	throttled   *prometheus.CounterVec
	failed      *prometheus.CounterVec
	alerts      *prometheus.CounterVec
	jobPeople   *prometheus.CounterVec
	panics      *prometheus.CounterVec
}

var (
	_ bot.Observer    = (*Metrics)(nil)
	_ outbox.Observer = (*Metrics)(nil)
)

// New returns metrics with an empty registry of their own. Call WatchOutbox once the
// outbox exists to add its gauges.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_events_total", Help: "Events received from the platforms, by kind.",
		}, []string{"kind"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_steps_total", Help: "Dialog steps by dialog and outcome (ok, conflict, duplicate, error).",
		}, []string{"dialog", "outcome"}),
		stepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kring_step_duration_seconds", Help: "Time of one dialog step: load, decide, commit.",
			Buckets: StepBuckets,
		}, []string{"dialog"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kring_step_conflicts_total", Help: "Commits retried because another process changed the person first.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kring_duplicate_events_total", Help: "Platform re-deliveries of an event already handled, dropped.",
		}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_outbox_delivered_total", Help: "Messages the platform accepted.",
		}, []string{"platform"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_outbox_retries_total", Help: "Sends put back in the outbox for a later try, by reason (throttled, error).",
		}, []string{"platform", "reason"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_outbox_throttled_total", Help: "Sends the platform refused with a retry hint (429 rate limit, 5xx).",
		}, []string{"platform"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_outbox_failed_total", Help: "Messages given up on, by reason (unreachable, gave-up).",
		}, []string{"platform", "reason"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_dialog_panics_total", Help: "Dialog steps that panicked (recovered; the event was marked handled), by dialog.",
		}, []string{"dialog"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_alerts_total", Help: "Private alerts sent to mentors and care staff, by dialog.",
		}, []string{"dialog"}),
		jobPeople: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kring_job_people_total", Help: "People a scheduled job served, and those it could not reach (no id on any connected platform).",
		}, []string{"job", "outcome"}),
	}
	m.reg.MustRegister(m.events, m.steps, m.stepSeconds, m.conflicts, m.duplicates,
		m.delivered, m.retries, m.throttled, m.failed, m.alerts, m.jobPeople, m.panics,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchOutbox adds the outbox gauges (depth, dead letters, store_up), read from d at
// every scrape. Call it once.
func (m *Metrics) WatchOutbox(d Depther) {
	m.reg.MustRegister(&depthCollector{d: d})
}

// Registry returns the registry, for serving or for registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Event implements bot.Observer.
func (m *Metrics) Event(kind chat.EventKind) { m.events.WithLabelValues(string(kind)).Inc() }

// Step implements bot.Observer.
func (m *Metrics) Step(dialog string, d time.Duration, err error) {
	outcome := OutcomeOK
	switch {
	case err == nil:
	case errors.Is(err, store.ErrConflict):
		outcome = OutcomeConflict
	case errors.Is(err, store.ErrDuplicate):
		outcome = OutcomeDuplicate
	default:
		outcome = OutcomeError
	}
	m.steps.WithLabelValues(dialog, outcome).Inc()
	m.stepSeconds.WithLabelValues(dialog).Observe(d.Seconds())
}

// Conflict implements bot.Observer.
func (m *Metrics) Conflict() { m.conflicts.Inc() }

// Panic counts a dialog step that panicked (bot.PanicObserver).
func (m *Metrics) Panic(dialog string) { m.panics.WithLabelValues(dialog).Inc() }

// Duplicate implements bot.Observer.
func (m *Metrics) Duplicate() { m.duplicates.Inc() }

// Alert counts n staff-only messages (alerts, relayed help requests) a step of dialog
// queued; the Engine calls it through bot.AlertObserver.
func (m *Metrics) Alert(dialog string, n int) {
	if n > 0 {
		m.alerts.WithLabelValues(dialog).Add(float64(n))
	}
}

// Delivered implements outbox.Observer.
func (m *Metrics) Delivered(p chat.Platform, _ int) { m.delivered.WithLabelValues(string(p)).Inc() }

// Retried implements outbox.Observer.
func (m *Metrics) Retried(p chat.Platform, throttled bool) {
	reason := "error"
	if throttled {
		reason = "throttled"
		m.throttled.WithLabelValues(string(p)).Inc()
	}
	m.retries.WithLabelValues(string(p), reason).Inc()
}

// Failed implements outbox.Observer.
func (m *Metrics) Failed(p chat.Platform, reason string) {
	m.failed.WithLabelValues(string(p), reason).Inc()
}

// depthCollector reads the shared outbox's size from Redis at scrape time.
type depthCollector struct{ d Depther }

var (
	depthDesc = prometheus.NewDesc("kring_outbox_depth", "Messages in the outbox: due now or waiting for a retry.", nil, nil)
	deadDesc  = prometheus.NewDesc("kring_outbox_dead", "Messages given up on, kept in the dead-letter set for an operator.", nil, nil)
	upDesc    = prometheus.NewDesc("kring_store_up", "1 when Redis answered the outbox depth read of this scrape, else 0.", nil, nil)
)

func (c *depthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- deadDesc
	ch <- upDesc
}

func (c *depthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), DepthTimeout)
	defer cancel()
	queued, dead, err := c.d.Depth(ctx)
	if err != nil {
		// Leave the gauges out rather than report a queue of zero that is not known.
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(queued))
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(dead))
}
