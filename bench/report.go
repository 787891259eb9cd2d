package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/report"
	"github.com/kring-school/kring/bot/store"
)

// periodReport seeds a school year of check-ins for one pupil and times `kring report`'s
// work for it: the two pipelined reads, figures, the chart, HTML and Markdown. Peak
// memory is the Go heap's highest point above the heap before the run, sampled every
// half millisecond while the report is made.
func periodReport(ctx context.Context, rep *Report, col int, t *target, school *config.School, cat *i18n.Catalog, o Options, progress func(string, ...any)) error {
	prefix := newPrefix("report")
	rep.Prefixes = append(rep.Prefixes, prefix)
	defer func() { _ = deletePrefix(context.WithoutCancel(ctx), t.rdb, prefix) }()
	st := store.New(t.rdb, prefix, school.ID, school.Retention.Std())
	pupil, ok := school.Person(pupilID(0))
	if !ok {
		return fmt.Errorf("no pupil %s", pupilID(0))
	}
	days, err := seedYear(ctx, st, []string{pupil.ID}, o.Days)
	if err != nil {
		return err
	}
	from, to := days[len(days)-1], days[0]
	progress("%s: seeded %d check-ins for one pupil", t.name, len(days))
	L := cat.For("nl")
	one := func() (int, error) {
		ds, err := report.Load(ctx, st, school, []*config.Person{pupil}, from, to)
		if err != nil {
			return 0, err
		}
		page, err := report.Build(ds[0], L, pupil, benchDay())
		if err != nil {
			return 0, err
		}
		var n countWriter
		if err := page.HTML(&n); err != nil {
			return 0, err
		}
		if err := page.Markdown(&n); err != nil {
			return 0, err
		}
		if page.Figures.Done+page.Figures.Missed != len(days) {
			return 0, fmt.Errorf("report counted %d check-ins, seeded %d", page.Figures.Done+page.Figures.Missed, len(days))
		}
		return int(n), nil
	}
	var times []time.Duration
	var peak, allocs uint64
	size := 0
	rt0 := t.rt.Count()
	for range o.DigestRuns {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		var high atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(500 * time.Microsecond)
			defer tick.Stop()
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > high.Load() {
						high.Store(ms.HeapAlloc)
					}
				}
			}
		}()
		start := time.Now()
		n, err := one()
		el := time.Since(start)
		close(stop)
		wg.Wait()
		runtime.ReadMemStats(&m1)
		if err != nil {
			return err
		}
		size = n
		times = append(times, el)
		if h := max(high.Load(), m1.HeapAlloc); h > m0.HeapAlloc && h-m0.HeapAlloc > peak {
			peak = h - m0.HeapAlloc
		}
		allocs += m1.TotalAlloc - m0.TotalAlloc
	}
	rts := float64(t.rt.Count()-rt0) / float64(o.DigestRuns)
	sortDurations(times)
	med := percentile(times, .5)
	progress("%s: report: %s, peak heap +%d bytes, %d bytes written, %.0f round trips", t.name, med, peak, size, rts)
	what := fmt.Sprintf("6. period report, one pupil × %d days (HTML + Markdown + chart)", len(days))
	rep.set(col, "report.time", what+": time", "", dur(med))
	rep.set(col, "report.peak", what+": peak heap above start", "", mib(int64(peak)))
	rep.set(col, "report.bytes", what+": bytes allocated", "", mib(int64(allocs/uint64(o.DigestRuns))))
	rep.set(col, "report.rtt", what+": round trips", "", num(rts, "%.0f"))
	return nil
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
