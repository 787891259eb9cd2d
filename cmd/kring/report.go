package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/report"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/bot/store"
)

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, false)
	pupil := fs.String("pupil", "", "the pupil's roster id")
	class := fs.String("class", "", "a class id: one report per pupil of the class you may see")
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (default: four weeks before --to)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD (default: today)")
	out := fs.String("out", ".", "directory to write the reports to")
	as := fs.String("as", os.Getenv("KRING_AS"), "who asks: your roster id; the report is refused for pupils you may not see, and audited (env KRING_AS)")
	lang := fs.String("lang", "", "language of the report, nl or en (default: the pupil's)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: kring report --as ID (--pupil ID | --class ID) [--from DATE] [--to DATE] [--out DIR]

Writes the period report of a pupil, for the progress conversation with pupil and
parents: mood over the period (chart and sparkline), check-ins answered, missed and
away, goals and how they went, help requests, the pupil's own words, their questions to
teachers, nods and messages with the mentor, and the mentor's notes. Two files per
pupil in --out: report-ID-FROM-TO.html (self-contained, printable) and .md.
An anonymous question is shown to the pupil, and to staff only when
policy.teacher_sees_anonymous_name is true.

Only the pupil, their mentor, the care contacts, and the class's teachers when
policy.teachers_see_checkins is true may get a pupil's report; every report written is
recorded in the audit log. The files hold a minor's words: keep them where only the
people of the conversation can read them, and delete them afterwards.

Flags:
`)
		fs.PrintDefaults()
		envHelp(stderr, cmdReportName)
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kring report: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if (*pupil == "") == (*class == "") {
		fmt.Fprintln(stderr, "kring report: give either --pupil ID or --class ID")
		return 2
	}
	if *as == "" {
		fmt.Fprintln(stderr, "kring report: say who you are with --as ID (your roster id): reports are only for those who may see the pupil, and audited")
		return 2
	}
	if *lang != "" && *lang != "nl" && *lang != "en" {
		fmt.Fprintf(stderr, "kring report: --lang %q: use nl or en\n", *lang)
		return 2
	}
	log, err := c.logger(stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	school, err := c.school()
	if err != nil {
		return exitErr(stderr, err)
	}
	viewer, ok := school.Person(*as)
	if !ok {
		return exitErr(stderr, fmt.Errorf("--as %q is not on the roster of %s", *as, c.config))
	}
	loc, err := time.LoadLocation(school.Timezone)
	if err != nil {
		return exitErr(stderr, err)
	}
	clk := clock.Real{}
	period, err := parsePeriod(*from, *to, config.DateOf(clk.Now().In(loc)))
	if err != nil {
		return exitErr(stderr, err)
	}

	var pupils []*config.Person
	var refused []string
	if *pupil != "" {
		p, ok := school.FindPerson(*pupil)
		if !ok {
			return exitErr(stderr, fmt.Errorf("--pupil %q is not on the roster", *pupil))
		}
		if err := report.Allowed(school, viewer, p); err != nil {
			return exitErr(stderr, fmt.Errorf("refused: %w", err))
		}
		pupils = []*config.Person{p}
	} else {
		if _, ok := school.Class(*class); !ok {
			return exitErr(stderr, fmt.Errorf("--class %q is not a class of %s", *class, c.config))
		}
		for _, p := range school.Members(*class, config.Pupil) {
			if report.Allowed(school, viewer, p) == nil {
				pupils = append(pupils, p)
			} else {
				refused = append(refused, p.ID)
			}
		}
		if len(pupils) == 0 {
			return exitErr(stderr, fmt.Errorf("refused: %s may see none of the pupils of %s", viewer.ID, *class))
		}
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return exitErr(stderr, fmt.Errorf("--out: %w", err))
	}
	cat, err := i18n.Load()
	if err != nil {
		return exitErr(stderr, err)
	}
	rdb, _, closeStore, err := c.openStore(ctx, school, clk, log, false)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer closeStore()
	st := store.New(rdb, c.prefix, school.ID, school.Retention.Std())
	data, err := report.Load(ctx, st, school, pupils, period[0], period[1])
	if err != nil {
		return exitErr(stderr, err)
	}
	guard, err := (&safeguard.Cache{}).For(school)
	if err != nil {
		return exitErr(stderr, fmt.Errorf("safeguarding phrases: %w", err))
	}
	for _, d := range data {
		d.Sensitive = func(text string) bool { return len(guard.Match(text)) > 0 }
		l := *lang
		if l == "" {
			l = school.LocaleFor(d.Pupil)
		}
		now := clk.Now().In(loc)
		page, err := report.Build(d, cat.For(l), viewer, now)
		if err != nil {
			return exitErr(stderr, err)
		}
		// Audited before the words are written out: a report that exists is in the log.
		if err := report.Audit(ctx, st, viewer, d, clk.Now()); err != nil {
			return exitErr(stderr, err)
		}
		base := filepath.Join(*out, fmt.Sprintf("report-%s-%s-%s", d.Pupil.ID, d.From, d.To))
		for _, f := range []struct {
			ext   string
			write func(io.Writer) error
		}{{".html", page.HTML}, {".md", page.Markdown}} {
			if err := writeFile(base+f.ext, f.write); err != nil {
				return exitErr(stderr, err)
			}
			fmt.Fprintln(stdout, base+f.ext)
		}
	}
	if len(refused) > 0 {
		fmt.Fprintf(stderr, "kring report: not written (%s may not see them): %s\n", viewer.ID, strings.Join(refused, ", "))
	}
	return 0
}

// parsePeriod reads --from and --to; to defaults to today, from to four weeks earlier.
func parsePeriod(from, to string, today config.Date) ([2]config.Date, error) {
	var p [2]config.Date
	p[1] = today
	if to != "" {
		d, err := config.ParseDate(to)
		if err != nil {
			return p, fmt.Errorf("--to: %w", err)
		}
		p[1] = d
	}
	p[0] = p[1].AddDays(-27)
	if from != "" {
		d, err := config.ParseDate(from)
		if err != nil {
			return p, fmt.Errorf("--from: %w", err)
		}
		p[0] = d
	}
	if p[1].Before(p[0]) {
		return p, fmt.Errorf("the period ends (%s) before it starts (%s)", p[1], p[0])
	}
	return p, nil
}

// writeFile writes a report readable by its owner only: it holds a minor's words.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	werr := write(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
