package main

import (
	"context"
	"encoding/json"
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
	"github.com/kring-school/kring/bot/privacy"
	"github.com/kring-school/kring/bot/runtime"
)

func cmdPrivacy(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	privacyUsage := u.L.T("cli.privacy.usage") + "\n"
	args = groupArgs(args)
	if len(args) == 0 {
		fmt.Fprint(stderr, privacyUsage)
		return 2
	}
	switch args[0] {
	case "export":
		return cmdPrivacyRun(ctx, u, false, args[1:], stdout, stderr)
	case "erase":
		return cmdPrivacyRun(ctx, u, true, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, privacyUsage)
		return 0
	}
	fmt.Fprintf(stderr, "kring privacy: %s\n\n%s", u.L.T("cli.unknown_command", "Command", fmt.Sprintf("%q", args[0])), privacyUsage)
	return 2
}

func cmdPrivacyRun(ctx context.Context, u *ui, erase bool, args []string, stdout, stderr io.Writer) int {
	name := "kring privacy export"
	if erase {
		name = "kring privacy erase"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	u.langFlag(fs, "lang")
	as := fs.String("as", os.Getenv("KRING_AS"), u.L.T("cli.flag.privacy_as"))
	person := fs.String("person", "", u.L.T("cli.flag.privacy_person"))
	out := fs.String("out", ".", u.L.T("cli.flag.privacy_out"))
	confirm := fs.Bool("confirm", false, u.L.T("cli.flag.confirm"))
	force := fs.Bool("force", false, u.L.T("cli.flag.force"))
	audit := fs.Bool("audit", false, u.L.T("cli.flag.audit"))
	usage := func() {
		key := "cli.privacy.export.usage"
		if erase {
			key = "cli.privacy.erase.usage"
		}
		fmt.Fprint(stderr, u.L.T(key)+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdPrivacyName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: %s\n", name, u.L.T("cli.unexpected_arg", "Arg", fmt.Sprintf("%q", fs.Arg(0))))
		return 2
	}
	if *person == "" {
		fmt.Fprintf(stderr, "%s: %s\n", name, u.L.T("cli.privacy.no_person"))
		return 2
	}
	if *as == "" {
		fmt.Fprintf(stderr, "%s: %s\n", name, u.L.T("cli.privacy.no_as"))
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
		return exitErr(stderr, errors.New(u.L.T("cli.as_not_on_roster", "Person", fmt.Sprintf("%q", *as), "File", c.config)))
	}
	if !actor.Has(config.Admin) && !actor.Has(config.Care) {
		return exitErr(stderr, errors.New(u.L.T("cli.privacy.not_allowed", "Person", actor.ID)))
	}
	if p, ok := school.Person(*person); ok && p.Active() && erase && !*force {
		return exitErr(stderr, errors.New(u.L.T("cli.privacy.still_on_roster", "Person", p.ID, "File", c.config)))
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
		return privacyErase(ctx, u, pv, found, actor.ID, *confirm, *audit, clk, stdout, stderr)
	}
	return privacyExport(ctx, u, pv, found, actor.ID, school.ID, *out, clk, stdout, stderr)
}

func privacyExport(ctx context.Context, u *ui, pv *privacy.Privacy, found *privacy.Found, actor, school, out string, clk clock.Clock, stdout, stderr io.Writer) int {
	now := clk.Now()
	doc, err := json.MarshalIndent(found.Bundle(school, now), "", "  ")
	if err != nil {
		return exitErr(stderr, fmt.Errorf("export %s: %w", found.Person, err))
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return exitErr(stderr, msgErr(u.L.T("cli.bad_out"), err))
	}
	// Audited before the data is written out: an export that exists is in the log.
	if err := pv.Audit(ctx, actor, "privacy-export", found, now); err != nil {
		return exitErr(stderr, err)
	}
	path := filepath.Join(out, fmt.Sprintf("export-%s-%s.json", found.Person, now.Format("2006-01-02")))
	if err := writeFile(u, path, func(w io.Writer) error {
		_, err := w.Write(append(doc, '\n'))
		return err
	}); err != nil {
		return exitErr(stderr, err)
	}
	fmt.Fprintln(stdout, path)
	return 0
}

func privacyErase(ctx context.Context, u *ui, pv *privacy.Privacy, found *privacy.Found, actor string, confirm, audit bool, clk clock.Clock, stdout, stderr io.Writer) int {
	counts := found.Counts()
	all, sole := found.AuditCounts()
	heading := "cli.privacy.would_erase"
	if confirm {
		heading = "cli.privacy.erasing"
	}
	if len(counts) == 0 {
		fmt.Fprintln(stdout, u.L.T("cli.privacy.nothing", "Person", found.Person))
	} else {
		fmt.Fprintln(stdout, u.L.T(heading, "Person", found.Person))
		for _, c := range counts {
			fmt.Fprintf(stdout, "  %-30s %5d %s\n", u.privacyLabel("what", c.What), c.N, u.privacyLabel("unit", c.Unit))
		}
	}
	switch {
	case all == 0:
		fmt.Fprintln(stdout, u.L.T("cli.privacy.audit_none"))
	case audit:
		fmt.Fprintln(stdout, u.L.T("cli.privacy.audit_removed", "All", all, "Sole", sole, "Other", all-sole))
	default:
		fmt.Fprintln(stdout, u.L.T("cli.privacy.audit_kept", "All", all, "Sole", sole))
	}
	if !confirm {
		fmt.Fprintln(stdout, u.L.T("cli.privacy.dry_run"))
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
		return exitErr(stderr, msgErr(u.L.T("cli.privacy.erased_unaudited"), err))
	}
	fmt.Fprintln(stdout, u.L.T("cli.privacy.erased", "Keys", erased.Keys, "Fields", erased.Fields, "Entries", erased.Entries, "Audit", erased.AuditEntries))
	fmt.Fprintln(stdout, u.L.T("cli.privacy.not_reached"))
	return 0
}

// privacyLabel says a label of bot/privacy's counts (English there, and in the JSON
// export, which is a record) in the operator's language: kind is "what" or "unit". A
// record kind (checkin, poll) is a name, not a word, and stays as it is.
func (u *ui) privacyLabel(kind, label string) string {
	base, shared := strings.CutSuffix(label, " (shared)")
	key := "cli.privacy." + kind + "." + strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(base))
	if u.cat.Has(u.L.Lang(), key) {
		base = u.L.T(key)
	}
	if shared {
		return u.L.T("cli.privacy.shared", "What", base)
	}
	return base
}
