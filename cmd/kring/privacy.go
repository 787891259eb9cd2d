package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/privacy"
	"github.com/kring-school/kring/bot/runtime"
)

const privacyUsage = `Usage:
  kring privacy export --as ID --person ID [--out DIR]              everything Kring keeps about one person, as JSON
  kring privacy erase --as ID --person ID [--confirm] [--force] [--audit]
                                                                    erase one person's data (a dry run without --confirm)

Run "kring privacy COMMAND --help" for the flags of a command.
`

func cmdPrivacy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, privacyUsage)
		return 2
	}
	switch args[0] {
	case "export":
		return cmdPrivacyRun(ctx, false, args[1:], stdout, stderr)
	case "erase":
		return cmdPrivacyRun(ctx, true, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, privacyUsage)
		return 0
	}
	fmt.Fprintf(stderr, "kring privacy: unknown command %q\n\n%s", args[0], privacyUsage)
	return 2
}

func cmdPrivacyRun(ctx context.Context, erase bool, args []string, stdout, stderr io.Writer) int {
	name := "kring privacy export"
	if erase {
		name = "kring privacy erase"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, false)
	as := fs.String("as", os.Getenv("KRING_AS"), "who asks: your roster id; an admin or care coordinator (env KRING_AS)")
	person := fs.String("person", "", "the roster id of the person whose data it is")
	out := fs.String("out", ".", "directory to write the export to")
	confirm := fs.Bool("confirm", false, "really erase (without it: only say what would be erased)")
	force := fs.Bool("force", false, "erase although the person is still on the roster")
	audit := fs.Bool("audit", false, "also remove the audit entries in which the person is the actor or the only subject")
	fs.Usage = func() {
		if erase {
			fmt.Fprint(stderr, `Usage: kring privacy erase --as ID --person ID [--confirm] [--force] [--audit]

Erases one person's data from Kring's store (AVG art. 17): their profile, their
records of every kind, their part of shared records (an answer, a vote, a question;
an alert about them goes whole), index entries, timers, queued messages, linked
accounts and link codes, language, DM caches and dedupe markers. Without --confirm
it only lists what it would erase. Take the person off the roster (or mark them as
left) and restart Kring first: otherwise the next morning's check-in makes their
profile again. Audit entries naming them are kept and counted (ask your privacy
officer); --audit removes those in which they are the actor or the only subject.
The erasure itself is recorded in the audit log, with counts only.

Flags:
`)
		} else {
			fmt.Fprint(stderr, `Usage: kring privacy export --as ID --person ID [--out DIR]

Writes everything Kring's store holds about one person (AVG art. 15) as JSON to
DIR/export-ID-DATE.json: their profile, their records of every kind, only their own
part of what they share with others (their answer in a discussion, never the
class's), linked accounts, timers, queued messages and the audit entries naming
them. The export is recorded in the audit log before the file is written. The
file holds the person's words: give it to them and delete it.

Flags:
`)
		}
		fs.PrintDefaults()
		envHelp(stderr, cmdPrivacyName)
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	if *person == "" {
		fmt.Fprintf(stderr, "%s: say whose data with --person ID (their roster id)\n", name)
		return 2
	}
	if *as == "" {
		fmt.Fprintf(stderr, "%s: say who you are with --as ID (your roster id): only admins and care coordinators may, and it is audited\n", name)
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
	actor, ok := school.Person(*as)
	if !ok || !actor.Active() {
		return exitErr(stderr, fmt.Errorf("--as %q is not on the roster of %s", *as, c.config))
	}
	if !actor.Has(config.Admin) && !actor.Has(config.Care) {
		return exitErr(stderr, fmt.Errorf("refused: %s is not an admin or care coordinator; only they may export or erase a person's data", actor.ID))
	}
	if p, ok := school.Person(*person); ok && p.Active() && erase && !*force {
		return exitErr(stderr, fmt.Errorf(`refused: %s is still on the roster of %s.
Take them off the roster first (remove them from the school file or roster CSV, or
mark the day they left with kring roster import) and restart Kring: while they are on
it, the next morning's check-in job makes their profile again and new data arrives.
Use --force to erase anyway`, p.ID, c.config))
	}
	clk := clock.Real{}
	rdb, _, closeStore, err := c.openStore(ctx, school, clk, log, false)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer closeStore()
	// The runtime declares every record kind the running Kring has (its own dialogs and
	// the dialogs it adds), so nothing it writes is missed.
	rt, err := runtime.New(runtime.Options{School: school, Redis: rdb, Prefix: c.prefix, Clock: clk, Dialogs: dialogs(school), Log: log})
	if err != nil {
		return exitErr(stderr, err)
	}
	pv, err := privacy.New(privacy.Options{Store: rt.Store, Kinds: rt.Engine.Kinds(), Dialogs: rt.Engine.Dialogs(), School: school})
	if err != nil {
		return exitErr(stderr, err)
	}
	start := time.Now()
	found, err := pv.Find(ctx, *person)
	if err != nil {
		return exitErr(stderr, err)
	}
	log.Debug("privacy: found", "person", *person, "took", time.Since(start))
	if erase {
		return privacyErase(ctx, pv, found, actor.ID, *confirm, *audit, clk, stdout, stderr)
	}
	return privacyExport(ctx, pv, found, actor.ID, school.ID, *out, clk, stdout, stderr)
}

func privacyExport(ctx context.Context, pv *privacy.Privacy, found *privacy.Found, actor, school, out string, clk clock.Clock, stdout, stderr io.Writer) int {
	now := clk.Now()
	doc, err := json.MarshalIndent(found.Bundle(school, now), "", "  ")
	if err != nil {
		return exitErr(stderr, fmt.Errorf("export %s: %w", found.Person, err))
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return exitErr(stderr, fmt.Errorf("--out: %w", err))
	}
	// Audited before the data is written out: an export that exists is in the log.
	if err := pv.Audit(ctx, actor, "privacy-export", found, now); err != nil {
		return exitErr(stderr, err)
	}
	path := filepath.Join(out, fmt.Sprintf("export-%s-%s.json", found.Person, now.Format("2006-01-02")))
	if err := writeFile(path, func(w io.Writer) error {
		_, err := w.Write(append(doc, '\n'))
		return err
	}); err != nil {
		return exitErr(stderr, err)
	}
	fmt.Fprintln(stdout, path)
	return 0
}

func privacyErase(ctx context.Context, pv *privacy.Privacy, found *privacy.Found, actor string, confirm, audit bool, clk clock.Clock, stdout, stderr io.Writer) int {
	counts := found.Counts()
	all, sole := found.AuditCounts()
	verb := "Would erase"
	if confirm {
		verb = "Erasing"
	}
	if len(counts) == 0 {
		fmt.Fprintf(stdout, "Nothing of %s is stored besides audit entries.\n", found.Person)
	} else {
		fmt.Fprintf(stdout, "%s from the store, of %s:\n", verb, found.Person)
		for _, c := range counts {
			fmt.Fprintf(stdout, "  %-30s %5d %s\n", c.What, c.N, c.Unit)
		}
	}
	switch {
	case all == 0:
		fmt.Fprintln(stdout, "Audit entries naming them: none.")
	case audit:
		fmt.Fprintf(stdout, "Audit entries naming them: %d; removed with --audit: the %d in which they are the actor or the only subject; the other %d name others too and stay.\n", all, sole, all-sole)
	default:
		fmt.Fprintf(stdout, "Audit entries naming them: %d, kept (--audit removes the %d in which they are the actor or the only subject).\n", all, sole)
	}
	if !confirm {
		fmt.Fprintln(stdout, "Dry run: nothing was erased. Run again with --confirm to erase.")
		return 0
	}
	if len(counts) == 0 && (!audit || sole == 0) {
		return 0
	}
	erased, err := pv.Erase(ctx, found, privacy.EraseOptions{Audit: audit})
	if err != nil {
		return exitErr(stderr, err)
	}
	if err := pv.Audit(ctx, actor, "privacy-erase", found, clk.Now()); err != nil {
		return exitErr(stderr, fmt.Errorf("erased, but %w", err))
	}
	fmt.Fprintf(stdout, "Erased: %d keys, %d fields, %d index entries, %d audit entries. Recorded in the audit log (privacy-erase).\n",
		erased.Keys, erased.Fields, erased.Entries, erased.AuditEntries)
	fmt.Fprintln(stdout, "Not reached: messages already on Discord or Slack, backups, and logs (see docs/privacy.md).")
	return 0
}
