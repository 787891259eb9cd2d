// Command kring is Kring's one binary: it reads flags and environment, wires the parts
// and runs a subcommand. Logic lives in bot/, dialogs/ and adapters/.
//
//	kring                    the terminal class, or the platforms when tokens are set
//	kring shell [--script F] the terminal class
//	kring run                connect the configured platforms
//	kring config check FILE  validate a school configuration
//	kring discord invite-url print the Discord invite link
//	kring roster ...         import the school's export, export, link status
//	kring link ...           link codes, Slack by e-mail, unlink
//	kring report             a pupil's period report
//	kring privacy ...        export or erase one person's data
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/kring-school/kring/bot/i18n"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cat, err := i18n.Load()
	if err != nil {
		// The catalogs are embedded: this is a broken build, and there is no language
		// to say it in.
		fmt.Fprintf(stderr, "kring: %v\n", err)
		return 1
	}
	u, lang := newUI(cat, args, os.Getenv)
	if !checkLang(lang) {
		fmt.Fprintln(stderr, u.L.T("cli.bad_lang", "Value", fmt.Sprintf("%q", lang)))
		return 2
	}
	if len(args) == 0 || (len(args) > 0 && len(args[0]) > 0 && args[0][0] == '-' && args[0] != "-h" && args[0] != "--help") {
		if platformTokensSet() {
			return cmdRun(ctx, u, args, stdout, stderr)
		}
		return cmdShell(ctx, u, args, stdin, stdout, stderr)
	}
	switch args[0] {
	case "shell":
		return cmdShell(ctx, u, args[1:], stdin, stdout, stderr)
	case "run":
		return cmdRun(ctx, u, args[1:], stdout, stderr)
	case "config":
		return cmdConfig(u, args[1:], stdout, stderr)
	case "discord":
		return cmdDiscord(u, args[1:], stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, u, args[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, u, args[1:], stdout, stderr)
	case "roster":
		return cmdRoster(ctx, u, args[1:], stdout, stderr)
	case "link":
		return cmdLink(ctx, u, args[1:], stdout, stderr)
	case "report":
		return cmdReport(ctx, u, args[1:], stdout, stderr)
	case "privacy":
		return cmdPrivacy(ctx, u, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, u.L.T("cli.usage")+"\n")
		u.envHelp(stdout, cmdKring)
		return 0
	}
	fmt.Fprintf(stderr, "kring: %s\n\n%s\n", u.L.T("cli.unknown_command", "Command", fmt.Sprintf("%q", args[0])), u.L.T("cli.usage"))
	u.envHelp(stderr, cmdKring)
	return 2
}

// newUI chooses the operator's language for args (see cliLang) and returns the --lang
// value given, which run refuses when it is not nl or en.
func newUI(cat *i18n.Catalog, args []string, getenv func(string) string) (*ui, string) {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	// report's --lang is the report's language (older than this choice); the
	// operator's is --cli-lang there.
	name := "lang"
	if sub == "report" {
		name = "cli-lang"
	}
	flagLang := langArg(args, name)
	school := ""
	switch {
	case sub == "config" && len(args) > 2 && args[1] == "check":
		school = peekLocale(args[2])
	case sub == "discord", sub == "healthcheck", sub == "bench", sub == "help", sub == "-h", sub == "--help":
		// These load no school file.
	default:
		school = peekLocale(configArg(args, getenv))
	}
	lang := cliLang(flagLang, getenv, school)
	return &ui{cat: cat, L: cat.For(lang)}, flagLang
}

func platformTokensSet() bool {
	return os.Getenv("DISCORD_TOKEN") != "" || os.Getenv("SLACK_BOT_TOKEN") != ""
}

// exitErr prints err for a person and returns exit code 1.
func exitErr(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "kring: %v\n", err)
	return 1
}

// msgErr is an error whose sentence is Kring's own, already in the reader's language,
// with the lower layer's error (technical, English) kept after it for errors.Is.
func msgErr(text string, err error) error {
	if err == nil {
		return errors.New(text)
	}
	return fmt.Errorf("%s: %w", text, err)
}
