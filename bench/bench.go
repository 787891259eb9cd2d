// Package bench measures Kring's speed and prints one table, the driver behind
// `kring bench`. It runs every part on a real Redis and, in a second column, on the
// embedded store, in one process, against addresses on this machine only:
//
//  1. Pure dialog step: one check-in answer (the mood) with no I/O: ns and allocations.
//  2. Engine step: Engine.Handle of one event (load, decide, commit, queue) with 1, 8
//     and 64 pupils at once: p50, p99, steps/s, and Redis round trips per step
//     (counted by a go-redis hook). In the same run a plain SET/GET loop over go-redis
//     at the same concurrency measures the server's own ceiling; Kring steps/s divided
//     by Redis round trips/s is the headline ratio.
//  3. Fan-out: a school of 10,000 pupils in 330 classes gets its morning check-in: the
//     scheduler queues every DM (time), then the outbox delivers them through the real
//     Discord adapter to a local fake Discord that enforces a global rate limit:
//     achieved request rate against the limit, and the 429s received.
//  4. Digest: a mentor's view of 30 mentees with a school year (190 days) of
//     check-ins each: read through Engine.RecentCheckIns, then mood trend and
//     sparkline per mentee: time, allocations and round trips.
//  5. Memory: the process's RSS and Go heap with 10,000 check-ins open (state in
//     Redis), and how much starting them added.
//  6. Period report: `kring report` for one pupil over a school year (190 days): read,
//     figures, chart, HTML and Markdown: time, peak heap and round trips.
//  7. Class conversations: 30 pupils answer one discussion prompt at the same moment,
//     then vote in one debate, over two engines on one store: the time until all 30
//     are committed and the p99 latency per pupil (every answer and vote checked).
//
// All keys live under a fresh prefix ("kring-bench-<random>-...") that is deleted at
// the end; the benchmark never flushes a database.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
)

// Options size and steer a run. Zero sizes take the defaults (or the quick sizes).
type Options struct {
	// RedisURL is the Redis to measure (KRING_REDIS_URL forms: single, Sentinel, Cluster).
	RedisURL string
	// Embedded adds the embedded store's column.
	Embedded bool
	// Quick uses small sizes, so a smoke test finishes in seconds.
	Quick bool

	// Pupils and Classes size the fan-out school (10,000 in 330).
	Pupils, Classes int
	// StepPupils is how many pupils do a whole check-in (5 steps) per concurrency level.
	StepPupils int
	// Concurrency lists the engine step's levels (1, 8, 64).
	Concurrency []int
	// Ceiling is how long the plain SET/GET loop runs per level.
	Ceiling time.Duration
	// Limit is the fake Discord's global limit in requests per second (Discord's: 50).
	Limit int
	// Pace is the Discord adapter's request rate; 0 keeps the adapter's default ratio
	// (48 of 50).
	Pace float64
	// Mentees and Days size the digest (30 mentees, 190 school days).
	Mentees, Days int
	// DigestRuns is how many digests are timed.
	DigestRuns int

	// Progress receives a line per part and periodic updates of long parts.
	Progress io.Writer
}

func (o *Options) defaults() {
	def := func(v *int, full, quick int) {
		if *v == 0 {
			*v = full
			if o.Quick {
				*v = quick
			}
		}
	}
	def(&o.Pupils, 10000, 300)
	def(&o.Classes, 330, 10)
	def(&o.StepPupils, 2000, 40)
	def(&o.Limit, 50, 200)
	def(&o.Mentees, 30, 30)
	def(&o.Days, 190, 20)
	def(&o.DigestRuns, 20, 3)
	if len(o.Concurrency) == 0 {
		o.Concurrency = []int{1, 8, 64}
	}
	if o.Ceiling == 0 {
		o.Ceiling = 2 * time.Second
		if o.Quick {
			o.Ceiling = 200 * time.Millisecond
		}
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Value is one cell of the table.
type Value struct {
	// V is the figure in the row's unit; Text is how it is shown ("" for no figure).
	V    float64
	Text string
}

// Row is one figure, measured per store.
type Row struct {
	// Key names the figure for programs and tests, e.g. "engine.c8.p99".
	Key    string
	Label  string
	Target string
	// Values has one cell per column, in Report.Columns order.
	Values []Value
}

// Report is the outcome of a run.
type Report struct {
	Started time.Time
	// Machine describes the CPU, cores and OS; Go the toolchain.
	Machine, Go string
	// Columns are the stores measured ("redis", "embedded"); Versions name them.
	Columns, Versions []string
	Rows              []Row
	// Notes explain figures worth a word (limits, targets missed).
	Notes []string
	// Options are the sizes the run used.
	Options Options
	// Prefixes are the key prefixes the run wrote under; each is deleted when its part ends.
	Prefixes []string
}

// Row returns the row with key, if any.
func (r *Report) Row(key string) (Row, bool) {
	for _, row := range r.Rows {
		if row.Key == key {
			return row, true
		}
	}
	return Row{}, false
}

// set records the figure of key in column col, adding the row on first use.
func (r *Report) set(col int, key, label, target string, v Value) {
	for i := range r.Rows {
		if r.Rows[i].Key == key {
			r.Rows[i].Values[col] = v
			return
		}
	}
	row := Row{Key: key, Label: label, Target: target, Values: make([]Value, len(r.Columns))}
	row.Values[col] = v
	r.Rows = append(r.Rows, row)
}

func (r *Report) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	for _, x := range r.Notes {
		if x == n {
			return
		}
	}
	r.Notes = append(r.Notes, n)
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Run measures everything and returns the report. It stops early, with what it has,
// when ctx ends.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	if o.RedisURL == "" {
		return nil, errors.New("bench: no Redis URL")
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, fmt.Errorf("bench: catalogs: %w", err)
	}
	rep := &Report{
		Started: time.Now(),
		Machine: fmt.Sprintf("%s, %d cores, %s/%s", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH),
		Go:      runtime.Version(),
		Options: o,
	}
	progress := func(format string, args ...any) {
		fmt.Fprintf(o.Progress, "bench: "+format+"\n", args...)
	}

	var targets []func() (*target, error)
	targets = append(targets, func() (*target, error) { return openRedis(ctx, o.RedisURL) })
	rep.Columns = append(rep.Columns, "redis")
	if o.Embedded {
		targets = append(targets, func() (*target, error) { return openEmbedded(clock.Real{}) })
		rep.Columns = append(rep.Columns, "embedded")
	}
	rep.Versions = make([]string, len(rep.Columns))

	progress("school of %d pupils in %d classes", o.Pupils, o.Classes)
	school, err := School(o.Pupils, o.Classes)
	if err != nil {
		return nil, err
	}
	if need := 1 + len(o.Concurrency)*o.StepPupils; need > o.Pupils {
		return nil, fmt.Errorf("bench: %d pupils per engine level need a school of at least %d pupils", o.StepPupils, need)
	}

	progress("pure dialog step")
	if err := pureStep(rep, school, cat); err != nil {
		return rep, err
	}
	for col, open := range targets {
		t, err := open()
		if err != nil {
			return rep, fmt.Errorf("bench: open %s: %w", rep.Columns[col], err)
		}
		rep.Versions[col] = t.version
		err = runTarget(ctx, rep, col, t, school, cat, o, progress)
		t.close()
		if err != nil {
			return rep, fmt.Errorf("bench: %s: %w", t.name, err)
		}
	}
	return rep, nil
}

func runTarget(ctx context.Context, rep *Report, col int, t *target, school *config.School, cat *i18n.Catalog, o Options, progress func(string, ...any)) error {
	parts := []struct {
		name string
		run  func(context.Context, *Report, int, *target, *config.School, *i18n.Catalog, Options, func(string, ...any)) error
	}{
		{"engine step", engineSteps},
		{"fan-out and memory", fanOut},
		{"digest", digest},
		{"period report", periodReport},
		{"class conversations", classTalk},
	}
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return err
		}
		progress("%s: %s", t.name, p.name)
		if err := p.run(ctx, rep, col, t, school, cat, o, progress); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return nil
}

// Markdown writes the report as a Markdown table with its header lines and notes.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Kring benchmark, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- machine: %s\n", r.Machine)
	fmt.Fprintf(&b, "- Go: %s\n", r.Go)
	for i, c := range r.Columns {
		fmt.Fprintf(&b, "- %s: %s\n", c, r.Versions[i])
	}
	o := r.Options
	fmt.Fprintf(&b, "- sizes: %d pupils in %d classes; %d pupils × 5 steps per engine level; fake Discord limit %d req/s; digest %d mentees × %d days",
		o.Pupils, o.Classes, o.StepPupils, o.Limit, o.Mentees, o.Days)
	if o.Quick {
		b.WriteString(" (--quick)")
	}
	b.WriteString("\n\n")
	b.WriteString("| figure |")
	for _, c := range r.Columns {
		fmt.Fprintf(&b, " %s |", c)
	}
	b.WriteString(" target |\n|---|")
	for range r.Columns {
		b.WriteString("---:|")
	}
	b.WriteString("---|\n")
	rows := append([]Row(nil), r.Rows...)
	// Parts run in the order that suits measuring; the table follows the numbering.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Label[0] < rows[j].Label[0] })
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s |", row.Label)
		for _, v := range row.Values {
			t := v.Text
			if t == "" {
				t = "—"
			}
			fmt.Fprintf(&b, " %s |", t)
		}
		fmt.Fprintf(&b, " %s |\n", row.Target)
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Formatting helpers for cells.

func dur(d time.Duration) Value {
	var t string
	switch {
	case d < time.Microsecond:
		t = fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		t = fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		t = fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		t = fmt.Sprintf("%.2f s", d.Seconds())
	}
	return Value{V: d.Seconds(), Text: t}
}

func num(v float64, format string) Value { return Value{V: v, Text: fmt.Sprintf(format, v)} }

func count(n int64) Value { return Value{V: float64(n), Text: thousands(n)} }

func mib(bytes int64) Value {
	return Value{V: float64(bytes) / (1 << 20), Text: fmt.Sprintf("%.1f MiB", float64(bytes)/(1<<20))}
}

// thousands writes n with thin separators: 12,345.
func thousands(n int64) string {
	s := fmt.Sprintf("%d", n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
