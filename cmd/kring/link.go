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
	"text/tabwriter"
	"time"

	"github.com/kring-school/kring/adapters/slack"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/link"
)

const linkUsage = `Usage:
  kring link codes --class ID [--out DIR] [--days N]   one-time codes for pupils to link their own accounts
  kring link codes --person ID [--out DIR]            a new code for one person (a lost slip)
  kring link slack-emails [--dry-run]                 link Slack accounts by the roster's e-mail addresses
  kring link remove PERSON [--platform P]             unlink a person's account (all platforms by default)

Run "kring link COMMAND --help" for the flags of a command.
`

func cmdLink(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, linkUsage)
		return 2
	}
	switch args[0] {
	case "codes":
		return cmdLinkCodes(ctx, args[1:], stdout, stderr)
	case "slack-emails":
		return cmdLinkSlackEmails(ctx, args[1:], stdout, stderr)
	case "remove":
		return cmdLinkRemove(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, linkUsage)
		return 0
	}
	fmt.Fprintf(stderr, "kring link: unknown command %q\n\n%s", args[0], linkUsage)
	return 2
}

func cmdLinkCodes(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring link codes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, false)
	class := fs.String("class", "", "the class whose pupils get a code")
	person := fs.String("person", "", "only this person (roster id)")
	out := fs.String("out", ".", "directory for the printable page and the CSV")
	days := fs.Int("days", 14, "the codes work until the end of this many days from today")
	unlinked := fs.Bool("unlinked", false, "only pupils who have linked no account yet")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: kring link codes --class ID [flags]

Makes a one-time code for every pupil of the class and writes them as a printable
page (one slip per pupil, with the steps in Dutch and English) and as CSV. A pupil
sends the code to the bot by direct message on Discord or Slack, and their account
is linked. A new code replaces the person's earlier one. Only a hash of each code is
stored; the files are the only place the codes are readable: hand out the slips, then
delete the files.

Flags:
`)
		fs.PrintDefaults()
		envHelp(stderr, cmdLinkName)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if (*class == "") == (*person == "") || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "kring link codes: give --class ID or --person ID")
		return 2
	}
	if *days < 1 || *days > 90 {
		fmt.Fprintln(stderr, "kring link codes: --days must be between 1 and 90")
		return 2
	}
	t, err := openLinks(ctx, &c, stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer t.close()
	var people []*config.Person
	var name string
	if *person != "" {
		p, ok := t.school.FindPerson(*person)
		if !ok || !p.Active() {
			return exitErr(stderr, fmt.Errorf("--person %q is not an active person on the roster", *person))
		}
		people, name = []*config.Person{p}, p.ID
	} else {
		cl, ok := t.school.Class(*class)
		if !ok {
			return exitErr(stderr, fmt.Errorf("--class %q: no such class in %s", *class, c.config))
		}
		name = cl.ID
		for _, p := range t.school.Members(cl.ID, config.Pupil) {
			if *unlinked && (t.links.Account(p, chat.Discord) != "" || t.links.Account(p, chat.Slack) != "") {
				continue
			}
			people = append(people, p)
		}
	}
	if len(people) == 0 {
		fmt.Fprintf(stdout, "%s: nobody needs a code.\n", name)
		return 0
	}
	loc, err := time.LoadLocation(t.school.Timezone)
	if err != nil {
		return exitErr(stderr, err)
	}
	today := config.DateOf(time.Now().In(loc))
	exp := today.AddDays(*days + 1).On(loc).Add(-time.Second)
	issued, err := t.links.Issue(ctx, people, exp, nil)
	if err != nil {
		return exitErr(stderr, err)
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return exitErr(stderr, fmt.Errorf("--out: %w", err))
	}
	cat, err := i18n.Load()
	if err != nil {
		return exitErr(stderr, err)
	}
	base := filepath.Join(*out, "link-codes-"+name)
	title := cat.For(t.school.Locale).T("linkpage.title") + " · " + name
	for _, f := range []struct {
		path  string
		write func(io.Writer) error
	}{
		{base + ".html", func(w io.Writer) error { return link.WriteHTML(w, cat, title, issued, loc, schoolPlatforms(t.school)) }},
		{base + ".csv", func(w io.Writer) error { return link.WriteCSV(w, issued, loc) }},
	} {
		if err := writeFile(f.path, f.write); err != nil {
			return exitErr(stderr, err)
		}
	}
	fmt.Fprintf(stdout, "%s: %d code(s), each valid once until %s (%d days)\n", name, len(issued), exp.Format("2006-01-02"), *days)
	fmt.Fprintf(stdout, "wrote %s.html: print it, one slip per pupil, steps in Dutch and English\n", base)
	fmt.Fprintf(stdout, "wrote %s.csv\n", base)
	fmt.Fprintln(stdout, "The files hold live codes: hand out the slips, then delete the files. A new run replaces these codes.")
	return 0
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// schoolPlatforms are the platforms the school file sets up (none: both may be used).
func schoolPlatforms(s *config.School) []chat.Platform {
	var out []chat.Platform
	if s.Discord.Guild != "" {
		out = append(out, chat.Discord)
	}
	if s.Slack.Team != "" {
		out = append(out, chat.Slack)
	}
	return out
}

func cmdLinkSlackEmails(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring link slack-emails", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, false)
	dry := fs.Bool("dry-run", false, "look the addresses up and show the result; link nobody")
	apiURL := fs.String("api-url", "", "Slack Web API base URL (default https://slack.com/api/)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: kring link slack-emails [flags]

For every active person with an e-mail address on the roster and no Slack account yet,
asks Slack (users.lookupByEmail, scope users:read.email) for the member with that
address and links them. Lists who did not match. Needs SLACK_BOT_TOKEN. Slack allows
about 50 look-ups a minute: a whole school takes some minutes.

Flags:
`)
		fs.PrintDefaults()
		envHelp(stderr, cmdLinkName)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	o := slack.EnvOptions(os.Getenv)
	if o.BotToken == "" {
		return exitErr(stderr, fmt.Errorf("set SLACK_BOT_TOKEN (the xoxb- token of Kring's Slack app)"))
	}
	o.APIURL = *apiURL
	t, err := openLinks(ctx, &c, stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer t.close()
	progress := func(done, total int) {
		if done%25 == 0 || done == total {
			fmt.Fprintf(stderr, "looked up %d of %d\n", done, total)
		}
	}
	rep, err := t.links.LinkByEmail(ctx, t.school.People, slack.EmailLookup(o), "kring link slack-emails", *dry, progress)
	if err != nil {
		return exitErr(stderr, err)
	}
	verb := "linked"
	if *dry {
		verb = "would link"
	}
	fmt.Fprintf(stdout, "%s %d, already linked %d, no e-mail %d, no Slack account %d, account of someone else %d\n",
		verb, len(rep.Linked), len(rep.Already), len(rep.NoEmail), len(rep.Unmatched), len(rep.Taken))
	list := func(title string, ps []*config.Person) {
		if len(ps) == 0 {
			return
		}
		fmt.Fprintf(stdout, "\n%s:\n", title)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, p := range ps {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", orDash(p.Class()), p.ID, p.Name, orDash(p.Email))
		}
		_ = tw.Flush()
	}
	list("no Slack account with their address (check the address, or give them a code)", rep.Unmatched)
	list("no e-mail address on the roster", rep.NoEmail)
	if len(rep.Taken) > 0 {
		fmt.Fprintf(stdout, "\nthe Slack account found is already linked to someone else (check, then kring link remove):\n")
		for id, owner := range rep.Taken {
			fmt.Fprintf(stdout, "  %s (account of %s)\n", id, owner)
		}
	}
	return 0
}

func cmdLinkRemove(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring link remove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, false)
	platform := fs.String("platform", "", "discord or slack (default: both)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: kring link remove [flags] PERSON\n\nUnlinks the person's Discord and/or Slack account (also one the school file gives).\nThey can link again with a new code. Written to the audit log.\n\nFlags:\n")
		fs.PrintDefaults()
		envHelp(stderr, cmdLinkName)
	}
	// Flags may follow the person: kring link remove anna --platform slack.
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		fs.Usage()
		return 2
	}
	platforms := link.Platforms
	switch strings.ToLower(*platform) {
	case "":
	case "discord", "slack":
		platforms = []chat.Platform{chat.Platform(strings.ToLower(*platform))}
	default:
		fmt.Fprintf(stderr, "kring link remove: --platform %q: use discord or slack\n", *platform)
		return 2
	}
	t, err := openLinks(ctx, &c, stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer t.close()
	p, ok := t.school.FindPerson(rest[0])
	if !ok {
		return exitErr(stderr, fmt.Errorf("%q is not on the roster", rest[0]))
	}
	n := 0
	for _, pl := range platforms {
		had, err := t.links.Unlink(ctx, pl, p.ID)
		if err != nil {
			return exitErr(stderr, err)
		}
		if had {
			n++
			if err := t.links.Audit(ctx, "kring link remove", "unlink", p.ID, string(pl)); err != nil {
				return exitErr(stderr, err)
			}
			fmt.Fprintf(stdout, "%s: %s unlinked\n", p.ID, pl)
		}
	}
	if n == 0 {
		fmt.Fprintf(stdout, "%s: no linked account to remove\n", p.ID)
	}
	return 0
}
