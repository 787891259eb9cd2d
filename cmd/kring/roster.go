package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/link"
	"github.com/kring-school/kring/bot/roster"
	"github.com/kring-school/kring/bot/store"
)

const rosterUsage = `Usage:
  kring roster import [--dry-run] [--skip-bad-rows] FILE   bring in the school's own export (CSV)
  kring roster export [--out FILE] [--only-roster]         write the roster with every link as CSV
  kring roster status [--class ID]                         who is linked on which platform

Run "kring roster COMMAND --help" for the flags of a command.
`

func cmdRoster(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, rosterUsage)
		return 2
	}
	switch args[0] {
	case "import":
		return cmdRosterImport(args[1:], stdout, stderr)
	case "export":
		return cmdRosterExport(ctx, args[1:], stdout, stderr)
	case "status":
		return cmdRosterStatus(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, rosterUsage)
		return 0
	}
	fmt.Fprintf(stderr, "kring roster: unknown command %q\n\n%s", args[0], rosterUsage)
	return 2
}

func cmdRosterImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring roster import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, false)
	dry := fs.Bool("dry-run", false, "show what would change; write nothing")
	skip := fs.Bool("skip-bad-rows", false, "import the good rows even when some rows have problems")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: kring roster import [flags] FILE

Reads the school's own roster export (Magister, SOMtoday or any spreadsheet saved as
CSV), compares it with the roster CSV the school file names (roster:), and rewrites
that CSV: new pupils added, changes applied, pupils no longer in the export marked as
left. Platform ids, steering levels and languages Kring knows are kept. The old CSV
is kept as .bak. Column names are matched in Dutch or English (docs/configuration.md).

Flags:
`)
		fs.PrintDefaults()
		envHelp(stderr, cmdRosterName)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	file := fs.Arg(0)
	school, err := c.school()
	if err != nil {
		return exitErr(stderr, err)
	}
	target := config.RosterPath(c.config, school)
	if target == "" {
		return exitErr(stderr, fmt.Errorf("%s names no roster CSV to import into: add the line\n  roster: roster.csv\nto it (the file is created next to it), then run this again", c.config))
	}
	var current []*config.Person
	if _, err := os.Stat(target); err == nil {
		if current, err = config.ReadRoster(target); err != nil {
			return exitErr(stderr, err)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return exitErr(stderr, fmt.Errorf("read the export: %w", err))
	}
	x, err := roster.Read(data)
	if err != nil {
		return exitErr(stderr, fmt.Errorf("%s: %w", file, err))
	}
	loc, err := time.LoadLocation(school.Timezone)
	if err != nil {
		return exitErr(stderr, err)
	}
	plan := roster.Merge(school, current, x, config.DateOf(time.Now().In(loc)))
	if err := roster.Report(stdout, file, x, plan); err != nil {
		return exitErr(stderr, err)
	}
	if bad := roster.Bad(x, plan); bad > 0 && !*skip {
		fmt.Fprintf(stderr, "\nkring: nothing imported: %d row(s) have problems. Fix them in the export, or run again with --skip-bad-rows to import the other rows.\n", bad)
		return 1
	}
	var buf bytes.Buffer
	if err := config.WriteRoster(&buf, plan.People); err != nil {
		return exitErr(stderr, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), ".roster-*.csv")
	if err != nil {
		return exitErr(stderr, fmt.Errorf("write the new roster: %w", err))
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return exitErr(stderr, fmt.Errorf("write the new roster: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return exitErr(stderr, fmt.Errorf("write the new roster: %w", err))
	}
	// The new roster must pass the same check Kring runs at start.
	if _, err := config.LoadWithRoster(c.config, tmp.Name()); err != nil {
		msg := strings.ReplaceAll(err.Error(), tmp.Name(), target+" (new)")
		return exitErr(stderr, fmt.Errorf("the imported roster would not pass the check, nothing written:\n%s", msg))
	}
	if *dry {
		fmt.Fprintf(stdout, "\ndry run: nothing written. Run without --dry-run to write %s.\n", target)
		return 0
	}
	if len(current) > 0 {
		old, err := os.ReadFile(target)
		if err == nil {
			err = os.WriteFile(target+".bak", old, 0o600)
		}
		if err != nil {
			return exitErr(stderr, fmt.Errorf("keep the old roster: %w", err))
		}
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return exitErr(stderr, fmt.Errorf("write the new roster: %w", err))
	}
	_ = os.Chmod(target, 0o600)
	fmt.Fprintf(stdout, "\nwrote %s (%d people).", target, len(plan.People))
	if len(current) > 0 {
		fmt.Fprintf(stdout, " The previous roster is %s.bak.", target)
	}
	fmt.Fprintln(stdout, " Restart Kring to use it.")
	return 0
}

// linkTool opens what the link and roster commands share: the school, the store and
// the links in it.
type linkTool struct {
	school *config.School
	st     *store.Store
	links  *link.Links
	log    *slog.Logger
	close  func()
}

func openLinks(ctx context.Context, c *common, stderr io.Writer) (*linkTool, error) {
	if c.logLevel == "info" && os.Getenv("KRING_LOG_LEVEL") == "" {
		c.logLevel = "warn" // the command's output is the point; problems still show
	}
	log, err := c.logger(stderr)
	if err != nil {
		return nil, err
	}
	school, err := c.school()
	if err != nil {
		return nil, err
	}
	clk := clock.Real{}
	rdb, _, closeStore, err := c.openStore(ctx, school, clk, log, false)
	if err != nil {
		return nil, err
	}
	st := store.New(rdb, c.prefix, school.ID, school.Retention.Std())
	l := link.New(school, st, clk, log, link.Policy{})
	if err := l.Refresh(ctx); err != nil {
		closeStore()
		return nil, err
	}
	return &linkTool{school: school, st: st, links: l, log: log, close: closeStore}, nil
}

func cmdRosterExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring roster export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, false)
	out := fs.String("out", "", "write to FILE instead of standard output")
	only := fs.Bool("only-roster", false, "only the people of the roster CSV (not those of the school file itself), ready to replace it")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: kring roster export [flags]\n\nWrites the roster as CSV with every Discord and Slack account linked at runtime\n(codes, e-mail) in place, so the school's files can be regenerated.\n\nFlags:\n")
		fs.PrintDefaults()
		envHelp(stderr, cmdRosterName)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	t, err := openLinks(ctx, &c, stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer t.close()
	people := t.school.People
	if *only {
		path := config.RosterPath(c.config, t.school)
		if path == "" {
			return exitErr(stderr, fmt.Errorf("--only-roster: %s names no roster CSV", c.config))
		}
		csvPeople, err := config.ReadRoster(path)
		if err != nil {
			return exitErr(stderr, err)
		}
		people = nil
		for _, p := range csvPeople {
			if q, ok := t.school.Person(p.ID); ok {
				people = append(people, q)
			}
		}
	}
	rows := make([]*config.Person, len(people))
	for i, p := range people {
		cp := *p
		cp.Discord = t.links.Account(p, chat.Discord)
		cp.Slack = t.links.Account(p, chat.Slack)
		if cp.Has(config.Pupil) && cp.Level == config.TeacherLed {
			cp.Level = "" // the default; keep the file as plain as it came
		}
		rows[i] = &cp
	}
	var buf bytes.Buffer
	if err := config.WriteRoster(&buf, rows); err != nil {
		return exitErr(stderr, err)
	}
	if *out == "" {
		_, err = stdout.Write(buf.Bytes())
	} else {
		err = os.WriteFile(*out, buf.Bytes(), 0o600)
		if err == nil {
			fmt.Fprintf(stderr, "wrote %s (%d people)\n", *out, len(rows))
		}
	}
	if err != nil {
		return exitErr(stderr, fmt.Errorf("write the export: %w", err))
	}
	return 0
}

func cmdRosterStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring roster status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, false)
	class := fs.String("class", "", "only this class")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: kring roster status [flags]\n\nShows per class which pupils have linked a Discord or Slack account, and who has not.\n\nFlags:\n")
		fs.PrintDefaults()
		envHelp(stderr, cmdRosterName)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	t, err := openLinks(ctx, &c, stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer t.close()
	classes := t.school.Classes
	if *class != "" {
		cl, ok := t.school.Class(*class)
		if !ok {
			return exitErr(stderr, fmt.Errorf("--class %q: no such class in %s", *class, c.config))
		}
		classes = []*config.Class{cl}
	}
	ew := &errWriter{w: stdout}
	for i, cl := range classes {
		pupils := t.school.Members(cl.ID, config.Pupil)
		counts := map[chat.Platform]int{}
		linked := 0
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  id\tname\tdiscord\tslack\tmentor")
		for _, p := range pupils {
			marks := []string{}
			some := false
			for _, pl := range link.Platforms {
				m := "-"
				if t.links.Account(p, pl) != "" {
					m = "linked"
					counts[pl]++
					some = true
				}
				marks = append(marks, m)
			}
			if some {
				linked++
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, marks[0], marks[1], p.Mentor)
		}
		_ = tw.Flush()
		if i > 0 {
			fmt.Fprintln(ew)
		}
		fmt.Fprintf(ew, "%s: %d of %d pupils linked (Discord %d, Slack %d)\n", cl.ID, linked, len(pupils), counts[chat.Discord], counts[chat.Slack])
		if len(pupils) > 0 {
			_, _ = ew.Write(buf.Bytes())
		}
	}
	if ew.err != nil {
		return exitErr(stderr, ew.err)
	}
	return 0
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}
