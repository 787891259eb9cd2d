package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kring-school/kring/adapters/shell"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/runtime"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/dialogs/alerts"
	"github.com/kring-school/kring/dialogs/ask"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/debate"
	"github.com/kring-school/kring/dialogs/digest"
	"github.com/kring-school/kring/dialogs/discussion"
	"github.com/kring-school/kring/dialogs/nod"
	"github.com/kring-school/kring/dialogs/poll"
	"github.com/kring-school/kring/dialogs/terms"
)

// dialogs are the conversations Kring runs; help is added by the runtime.
func dialogs(school *config.School) []dialog.Dialog {
	questions := ask.New()
	ci := checkin.New()
	// The check-in's help question becomes a question to the right teacher.
	ci.Questions = questions
	return []dialog.Dialog{ci, poll.New(), questions, alerts.New(), digest.New(school), nod.New(), discussion.New(), debate.New(), terms.New()}
}

func cmdShell(ctx context.Context, u *ui, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring shell", flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	u.langFlag(fs, "lang")
	script := fs.String("script", "", u.L.T("cli.flag.script"))
	as := fs.String("as", "", u.L.T("cli.flag.shell_as"))
	start := fs.String("start", "", u.L.T("cli.flag.start"))
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.shell.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdShellName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
	}
	if c.logLevel == "info" && os.Getenv("KRING_LOG_LEVEL") == "" {
		c.logLevel = "warn" // the terminal is for the conversation; say the store below
	}
	log, err := c.logger(stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	school, err := c.school()
	if err != nil {
		return exitErr(stderr, err)
	}
	in := stdin
	if *script != "" {
		f, err := os.Open(*script)
		if err != nil {
			return exitErr(stderr, msgErr(u.L.T("cli.shell.no_script"), err))
		}
		defer f.Close()
		in = f
	}
	now := time.Now().Truncate(time.Minute)
	if *script != "" {
		// A script sets its own date with :date, so its transcript is the same every run.
		now = time.Unix(0, 0)
	}
	if *start != "" {
		loc, _ := time.LoadLocation(school.Timezone)
		t, err := time.ParseInLocation("2006-01-02 15:04", *start, loc)
		if err != nil {
			return exitErr(stderr, errors.New(u.L.T("cli.shell.bad_start", "Value", fmt.Sprintf("%q", *start))))
		}
		now = t
	}
	clk := clock.NewFake(now)
	rdb, storePath, closeStore, err := c.openStore(ctx, school, clk, log, *script != "")
	if err != nil {
		return exitErr(stderr, err)
	}
	defer closeStore()
	cat := u.cat
	if *script == "" {
		L := cat.For(school.Locale)
		if c.redisURL != "" {
			fmt.Fprintln(stderr, L.T("shell.store_redis", "URL", store.Redact(c.redisURL), "Prefix", c.prefix))
		} else {
			fmt.Fprintln(stderr, L.T("shell.store_embedded", "Path", storePath))
		}
	}
	if c.redisURL != "" {
		// A shared Redis: one terminal per school and prefix, or two simulated clocks
		// would run the same jobs and leases (the embedded store is this process's own).
		held, err := shell.Lock(ctx, rdb, store.New(rdb, c.prefix, school.ID, 0).Key("shell"), owner(), time.Now(), shell.LockTTL)
		var busy *shell.Busy
		if errors.As(err, &busy) {
			L := cat.For(school.Locale)
			fmt.Fprintln(stderr, L.T("shell.busy", "Owner", busy.Owner, "Since", busy.Since.Format("2006-01-02 15:04"),
				"Prefix", c.prefix, "TTL", int(shell.LockTTL.Seconds())))
			return 1
		}
		if err != nil {
			return exitErr(stderr, err)
		}
		keepCtx, stopKeep := context.WithCancel(ctx)
		go held.Keep(keepCtx, func(err error) { log.Warn("terminal lock", "err", err) })
		defer func() {
			stopKeep()
			// The signal context may be done already; releasing must still happen.
			if err := held.Release(context.WithoutCancel(ctx)); err != nil {
				log.Warn("terminal lock", "err", err)
			}
		}()
	}
	session := ""
	if *script != "" && c.redisURL == "" && c.data == "" {
		// A throwaway store: the same event ids every run, so the transcript is too.
		session = "script"
	}
	sh := shell.New(shell.Options{School: school, Catalog: cat, Clock: clk, In: in, Out: stdout, Script: *script != "", As: *as, Session: session})
	rt, err := runtime.New(runtime.Options{
		School: school, Redis: rdb, Prefix: c.prefix, Clock: clk, Catalog: cat,
		Dialogs: dialogs(school), Adapters: []chat.Adapter{sh}, Log: log, Owner: owner(),
		// One at a time: the terminal shows messages in roster order, every run alike.
		Serial: true,
	})
	if err != nil {
		return exitErr(stderr, err)
	}
	sh.Bind(rt, rt.Scheduler)
	// The terminal drives the scheduler and the outbox itself, after every line, so what
	// you see is in order and a script's transcript is the same every run.
	if err := rt.Run(ctx, false); err != nil {
		return exitErr(stderr, err)
	}
	return 0
}

func owner() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", h, os.Getpid())
}
