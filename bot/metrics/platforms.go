package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kring-school/kring/bot/chat"
)

// Pauser is implemented by adapters whose platform can refuse all of Kring's sending
// for a while (a ban, a revoked token): reason is "" when sending is not paused.
type Pauser interface {
	Paused() (reason string, until time.Time)
}

var pausedDesc = prometheus.NewDesc("kring_platform_paused",
	"1 while the platform refuses Kring's sending (reason: banned, unauthorized, rate-limited); messages wait in the outbox.",
	[]string{"platform", "reason"}, nil)

var pausedSecondsDesc = prometheus.NewDesc("kring_platform_paused_seconds",
	"Seconds until sending on the platform is tried again (0 when not paused).",
	[]string{"platform"}, nil)

type pauseCollector struct{ adapters []chat.Adapter }

func (c *pauseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pausedDesc
	ch <- pausedSecondsDesc
}

func (c *pauseCollector) Collect(ch chan<- prometheus.Metric) {
	for _, a := range c.adapters {
		p, ok := a.(Pauser)
		if !ok {
			continue
		}
		reason, until := p.Paused()
		v, left := 0.0, 0.0
		if reason != "" {
			v, left = 1, max(time.Until(until).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, v, string(a.Platform()), reason)
		ch <- prometheus.MustNewConstMetric(pausedSecondsDesc, prometheus.GaugeValue, left, string(a.Platform()))
	}
}

// WatchPlatforms adds kring_platform_paused for the adapters that implement Pauser.
// Call it once.
func (m *Metrics) WatchPlatforms(adapters []chat.Adapter) {
	m.reg.MustRegister(&pauseCollector{adapters: adapters})
}

// JobRan implements schedule.Observer: kring_job_people_total{job,outcome} counts the
// people a scheduled job served and those no connected platform reaches.
func (m *Metrics) JobRan(job string, served, unreachable int) {
	m.jobPeople.WithLabelValues(job, "served").Add(float64(served))
	m.jobPeople.WithLabelValues(job, "unreachable").Add(float64(unreachable))
}
