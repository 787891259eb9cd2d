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

func cmdRoster(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	rosterUsage := u.L.T("cli.roster.usage") + "\n"
	args = groupArgs(args)
	if len(args) == 0 {
		fmt.Fprint(stderr, rosterUsage)
		return 2
	}
	switch args[0] {
	case "import":
		return cmdRosterImport(u, args[1:], stdout, stderr)
	case "export":
		return cmdRosterExport(ctx, u, args[1:], stdout, stderr)
	case "status":
		return cmdRosterStatus(ctx, u, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, rosterUsage)
		return 0
	}
	fmt.Fprintf(stderr, "kring roster: %s\n\n%s", u.L.T("cli.unknown_command", "Command", fmt.Sprintf("%q", args[0])), rosterUsage)
	return 2
}

func cmdRosterImport(u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring roster import", flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	u.langFlag(fs, "lang")
	dry := fs.Bool("dry-run", false, u.L.T("cli.flag.roster_dry_run"))
	skip := fs.Bool("skip-bad-rows", false, u.L.T("cli.flag.skip_bad_rows"))
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.roster.import.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdRosterName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
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
		return exitErr(stderr, errors.New(u.L.T("cli.roster.no_target", "File", c.config)))
	}
	var current []*config.Person
	if _, err := os.Stat(target); err == nil {
		if current, err = config.ReadRoster(target); err != nil {
			return exitErr(stderr, errors.New(u.problems(err)))
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return exitErr(stderr, msgErr(u.L.T("cli.roster.read_export"), err))
	}
	x, err := roster.Read(data)
	if err != nil {
		var re *roster.Error
		if errors.As(err, &re) {
			return exitErr(stderr, fmt.Errorf("%s: %s", file, re.In(u.L.T)))
		}
		return exitErr(stderr, fmt.Errorf("%s: %w", file, err))
	}
	loc, err := time.LoadLocation(school.Timezone)
	if err != nil {
		return exitErr(stderr, err)
	}
	plan := roster.Merge(school, current, x, config.DateOf(time.Now().In(loc)))
	if err := roster.Report(stdout, file, x, plan, u.L.T); err != nil {
		return exitErr(stderr, err)
	}
	if bad := roster.Bad(x, plan); bad > 0 && !*skip {
		fmt.Fprintf(stderr, "\nkring: %s\n", u.L.N("cli.roster.bad_rows", bad))
		return 1
	}
	var buf bytes.Buffer
	if err := config.WriteRoster(&buf, plan.People); err != nil {
		return exitErr(stderr, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), ".roster-*.csv")
	if err != nil {
		return exitErr(stderr, msgErr(u.L.T("cli.roster.write_failed"), err))
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return exitErr(stderr, msgErr(u.L.T("cli.roster.write_failed"), err))
	}
	if err := tmp.Close(); err != nil {
		return exitErr(stderr, msgErr(u.L.T("cli.roster.write_failed"), err))
	}
	// The new roster must pass the same check Kring runs at start.
	if _, err := config.LoadWithRoster(c.config, tmp.Name()); err != nil {
		msg := strings.ReplaceAll(u.problems(err), tmp.Name(), target+" "+u.L.T("cli.roster.new_mark"))
		return exitErr(stderr, errors.New(u.L.T("cli.roster.would_fail", "Problems", msg)))
	}
	if *dry {
		fmt.Fprintf(stdout, "\n%s\n", u.L.T("cli.roster.dry_run", "File", target))
		return 0
	}
	if len(current) > 0 {
		old, err := os.ReadFile(target)
		if err == nil {
			err = os.WriteFile(target+".bak", old, 0o600)
		}
		if err != nil {
			return exitErr(stderr, msgErr(u.L.T("cli.roster.keep_failed"), err))
		}
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return exitErr(stderr, msgErr(u.L.T("cli.roster.write_failed"), err))
	}
	_ = os.Chmod(target, 0o600)
	fmt.Fprint(stdout, "\n"+u.L.N("cli.roster.wrote", len(plan.People), "File", target))
	if len(current) > 0 {
		fmt.Fprint(stdout, " "+u.L.T("cli.roster.previous", "File", target+".bak"))
	}
	fmt.Fprintln(stdout, " "+u.L.T("cli.roster.restart"))
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

func cmdRosterExport(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring roster export", flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	u.langFlag(fs, "lang")
	out := fs.String("out", "", u.L.T("cli.flag.roster_out"))
	only := fs.Bool("only-roster", false, u.L.T("cli.flag.only_roster"))
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.roster.export.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdRosterName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
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
			return exitErr(stderr, errors.New(u.L.T("cli.roster.only_no_csv", "File", c.config)))
		}
		csvPeople, err := config.ReadRoster(path)
		if err != nil {
			return exitErr(stderr, errors.New(u.problems(err)))
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
			fmt.Fprintln(stderr, u.L.N("cli.roster.wrote", len(rows), "File", *out))
		}
	}
	if err != nil {
		return exitErr(stderr, msgErr(u.L.T("cli.roster.write_export"), err))
	}
	return 0
}

func cmdRosterStatus(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring roster status", flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	u.langFlag(fs, "lang")
	class := fs.String("class", "", u.L.T("cli.flag.status_class"))
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.roster.status.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdRosterName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
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
			return exitErr(stderr, errors.New(u.L.T("cli.no_such_class", "Class", fmt.Sprintf("%q", *class), "File", c.config)))
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
		fmt.Fprintln(tw, "  "+u.L.T("cli.roster.status_header"))
		for _, p := range pupils {
			marks := []string{}
			some := false
			for _, pl := range link.Platforms {
				m := "-"
				if t.links.Account(p, pl) != "" {
					m = u.L.T("cli.roster.linked_mark")
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
		fmt.Fprintln(ew, u.L.N("cli.roster.status_line", len(pupils), "Class", cl.ID, "Linked", linked, "Discord", counts[chat.Discord], "Slack", counts[chat.Slack]))
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
