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
	"github.com/kring-school/kring/bot/link"
)

func cmdLink(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	linkUsage := u.L.T("cli.link.usage") + "\n"
	args = groupArgs(args)
	if len(args) == 0 {
		fmt.Fprint(stderr, linkUsage)
		return 2
	}
	switch args[0] {
	case "codes":
		return cmdLinkCodes(ctx, u, args[1:], stdout, stderr)
	case "slack-emails":
		return cmdLinkSlackEmails(ctx, u, args[1:], stdout, stderr)
	case "remove":
		return cmdLinkRemove(ctx, u, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, linkUsage)
		return 0
	}
	fmt.Fprintf(stderr, "kring link: %s\n\n%s", u.L.T("cli.unknown_command", "Command", fmt.Sprintf("%q", args[0])), linkUsage)
	return 2
}

func cmdLinkCodes(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring link codes", flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	u.langFlag(fs, "lang")
	class := fs.String("class", "", u.L.T("cli.flag.codes_class"))
	person := fs.String("person", "", u.L.T("cli.flag.codes_person"))
	out := fs.String("out", ".", u.L.T("cli.flag.codes_out"))
	days := fs.Int("days", 14, u.L.T("cli.flag.codes_days"))
	unlinked := fs.Bool("unlinked", false, u.L.T("cli.flag.codes_unlinked"))
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.link.codes.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdLinkName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
	}
	if (*class == "") == (*person == "") || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "kring link codes: "+u.L.T("cli.link.codes_who"))
		return 2
	}
	if *days < 1 || *days > 90 {
		fmt.Fprintln(stderr, "kring link codes: "+u.L.T("cli.link.codes_days"))
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
			return exitErr(stderr, errors.New(u.L.T("cli.link.not_active", "Person", fmt.Sprintf("%q", *person))))
		}
		people, name = []*config.Person{p}, p.ID
	} else {
		cl, ok := t.school.Class(*class)
		if !ok {
			return exitErr(stderr, errors.New(u.L.T("cli.no_such_class", "Class", fmt.Sprintf("%q", *class), "File", c.config)))
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
		fmt.Fprintln(stdout, u.L.T("cli.link.nobody", "Name", name))
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
		return exitErr(stderr, msgErr(u.L.T("cli.bad_out"), err))
	}
	cat := u.cat
	base := filepath.Join(*out, "link-codes-"+name)
	title := cat.For(t.school.Locale).T("linkpage.title") + " · " + name
	for _, f := range []struct {
		path  string
		write func(io.Writer) error
	}{
		{base + ".html", func(w io.Writer) error { return link.WriteHTML(w, cat, title, issued, loc, schoolPlatforms(t.school)) }},
		{base + ".csv", func(w io.Writer) error { return link.WriteCSV(w, issued, loc) }},
	} {
		if err := writeFile(u, f.path, f.write); err != nil {
			return exitErr(stderr, err)
		}
	}
	fmt.Fprintln(stdout, u.L.N("cli.link.issued", len(issued), "Name", name, "Until", exp.Format("2006-01-02"), "Days", *days))
	fmt.Fprintln(stdout, u.L.T("cli.link.wrote_html", "File", base+".html"))
	fmt.Fprintln(stdout, u.L.T("cli.wrote", "File", base+".csv"))
	fmt.Fprintln(stdout, u.L.T("cli.link.live_codes"))
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

func cmdLinkSlackEmails(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring link slack-emails", flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	u.langFlag(fs, "lang")
	dry := fs.Bool("dry-run", false, u.L.T("cli.flag.emails_dry_run"))
	apiURL := fs.String("api-url", "", u.L.T("cli.flag.api_url"))
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.link.emails.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdLinkName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
	}
	o := slack.EnvOptions(os.Getenv)
	if o.BotToken == "" {
		return exitErr(stderr, errors.New(u.L.T("cli.link.no_slack_token")))
	}
	o.APIURL = *apiURL
	t, err := openLinks(ctx, &c, stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer t.close()
	progress := func(done, total int) {
		if done%25 == 0 || done == total {
			fmt.Fprintln(stderr, u.L.T("cli.link.looked_up", "Done", done, "Total", total))
		}
	}
	rep, err := t.links.LinkByEmail(ctx, t.school.People, slack.EmailLookup(o), "kring link slack-emails", *dry, progress)
	if err != nil {
		return exitErr(stderr, err)
	}
	key := "cli.link.emails_result"
	if *dry {
		key = "cli.link.emails_result_dry"
	}
	fmt.Fprintln(stdout, u.L.T(key, "Linked", len(rep.Linked), "Already", len(rep.Already), "NoEmail", len(rep.NoEmail),
		"Unmatched", len(rep.Unmatched), "Taken", len(rep.Taken)))
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
	list(u.L.T("cli.link.unmatched"), rep.Unmatched)
	list(u.L.T("cli.link.no_email"), rep.NoEmail)
	if len(rep.Taken) > 0 {
		fmt.Fprintf(stdout, "\n%s:\n", u.L.T("cli.link.taken"))
		for id, owner := range rep.Taken {
			fmt.Fprintf(stdout, "  %s\n", u.L.T("cli.link.taken_by", "Person", id, "Owner", owner))
		}
	}
	return 0
}

func cmdLinkRemove(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring link remove", flag.ContinueOnError)
	var c common
	c.bind(u, fs, false)
	u.langFlag(fs, "lang")
	platform := fs.String("platform", "", u.L.T("cli.flag.platform"))
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.link.remove.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdLinkName)
	}
	// Flags may follow the person: kring link remove anna --platform slack.
	var rest []string
	for len(args) > 0 {
		if code, done := u.parseFlags(fs, args, stderr, usage); done {
			return code
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
		fmt.Fprintln(stderr, "kring link remove: "+u.L.T("cli.link.bad_platform", "Value", fmt.Sprintf("%q", *platform)))
		return 2
	}
	t, err := openLinks(ctx, &c, stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer t.close()
	p, ok := t.school.FindPerson(rest[0])
	if !ok {
		return exitErr(stderr, errors.New(u.L.T("cli.not_on_roster", "Person", fmt.Sprintf("%q", rest[0]))))
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
			fmt.Fprintln(stdout, u.L.T("cli.link.unlinked", "Person", p.ID, "Platform", string(pl)))
		}
	}
	if n == 0 {
		fmt.Fprintln(stdout, u.L.T("cli.link.none_linked", "Person", p.ID))
	}
	return 0
}
