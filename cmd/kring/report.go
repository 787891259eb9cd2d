package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/report"
	"github.com/kring-school/kring/bot/store"
)

func cmdReport(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring report", flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	pupil := fs.String("pupil", "", u.L.T("cli.flag.report_pupil"))
	class := fs.String("class", "", u.L.T("cli.flag.report_class"))
	from := fs.String("from", "", u.L.T("cli.flag.from"))
	to := fs.String("to", "", u.L.T("cli.flag.to"))
	out := fs.String("out", ".", u.L.T("cli.flag.report_out"))
	as := fs.String("as", os.Getenv("KRING_AS"), u.L.T("cli.flag.report_as"))
	// --lang was the report's language before kring spoke Dutch, and scripts use it;
	// the operator's language is --cli-lang here (read by run, see newUI).
	lang := fs.String("lang", "", u.L.T("cli.flag.report_lang"))
	u.langFlag(fs, "cli-lang")
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.report.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdReportName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "kring report: "+u.L.T("cli.unexpected_arg", "Arg", fmt.Sprintf("%q", fs.Arg(0))))
		return 2
	}
	if (*pupil == "") == (*class == "") {
		fmt.Fprintln(stderr, "kring report: "+u.L.T("cli.report.who"))
		return 2
	}
	if *as == "" {
		fmt.Fprintln(stderr, "kring report: "+u.L.T("cli.report.no_as"))
		return 2
	}
	if *lang != "" && *lang != "nl" && *lang != "en" {
		fmt.Fprintln(stderr, "kring report: "+u.L.T("cli.report.bad_lang", "Value", fmt.Sprintf("%q", *lang)))
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
		return exitErr(stderr, errors.New(u.L.T("cli.as_not_on_roster", "Person", fmt.Sprintf("%q", *as), "File", c.config)))
	}
	loc, err := time.LoadLocation(school.Timezone)
	if err != nil {
		return exitErr(stderr, err)
	}
	clk := clock.Real{}
	period, err := parsePeriod(u, *from, *to, config.DateOf(clk.Now().In(loc)))
	if err != nil {
		return exitErr(stderr, err)
	}

	var pupils []*config.Person
	var refused []string
	if *pupil != "" {
		p, ok := school.FindPerson(*pupil)
		if !ok {
			return exitErr(stderr, errors.New(u.L.T("cli.report.pupil_not_on_roster", "Person", fmt.Sprintf("%q", *pupil))))
		}
		if err := report.Allowed(school, viewer, p); err != nil {
			// Allowed's reasons are English; the two it gives are said here again.
			switch {
			case !p.Has(config.Pupil):
				return exitErr(stderr, errors.New(u.L.T("cli.report.not_pupil", "Person", p.ID)))
			case errors.Is(err, report.ErrNotAllowed):
				return exitErr(stderr, errors.New(u.L.T("cli.report.not_allowed", "Viewer", viewer.ID, "Pupil", p.ID)))
			}
			return exitErr(stderr, msgErr(u.L.T("cli.refused"), err))
		}
		pupils = []*config.Person{p}
	} else {
		if _, ok := school.Class(*class); !ok {
			return exitErr(stderr, errors.New(u.L.T("cli.no_such_class", "Class", fmt.Sprintf("%q", *class), "File", c.config)))
		}
		for _, p := range school.Members(*class, config.Pupil) {
			if report.Allowed(school, viewer, p) == nil {
				pupils = append(pupils, p)
			} else {
				refused = append(refused, p.ID)
			}
		}
		if len(pupils) == 0 {
			return exitErr(stderr, errors.New(u.L.T("cli.report.sees_none", "Viewer", viewer.ID, "Class", *class)))
		}
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return exitErr(stderr, msgErr(u.L.T("cli.bad_out"), err))
	}
	cat := u.cat
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
	for _, d := range data {
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
			if err := writeFile(u, base+f.ext, f.write); err != nil {
				return exitErr(stderr, err)
			}
			fmt.Fprintln(stdout, base+f.ext)
		}
	}
	if len(refused) > 0 {
		fmt.Fprintln(stderr, "kring report: "+u.L.T("cli.report.not_written", "Viewer", viewer.ID, "Pupils", strings.Join(refused, ", ")))
	}
	return 0
}

// parsePeriod reads --from and --to; to defaults to today, from to four weeks earlier.
func parsePeriod(u *ui, from, to string, today config.Date) ([2]config.Date, error) {
	var p [2]config.Date
	p[1] = today
	if to != "" {
		d, err := config.ParseDate(to)
		if err != nil {
			return p, errors.New(u.L.T("cli.report.bad_date", "Flag", "--to", "Value", fmt.Sprintf("%q", to)))
		}
		p[1] = d
	}
	p[0] = p[1].AddDays(-27)
	if from != "" {
		d, err := config.ParseDate(from)
		if err != nil {
			return p, errors.New(u.L.T("cli.report.bad_date", "Flag", "--from", "Value", fmt.Sprintf("%q", from)))
		}
		p[0] = d
	}
	if p[1].Before(p[0]) {
		return p, errors.New(u.L.T("cli.report.backwards", "To", p[1].String(), "From", p[0].String()))
	}
	return p, nil
}

// writeFile writes a report readable by its owner only: it holds a minor's words.
func writeFile(u *ui, path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return msgErr(u.L.T("cli.write_failed", "File", path), err)
	}
	werr := write(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return msgErr(u.L.T("cli.write_failed", "File", path), werr)
	}
	return nil
}
