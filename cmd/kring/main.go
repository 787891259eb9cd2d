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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (len(args) > 0 && len(args[0]) > 0 && args[0][0] == '-' && args[0] != "-h" && args[0] != "--help") {
		if platformTokensSet() {
			return cmdRun(ctx, args, stdout, stderr)
		}
		return cmdShell(ctx, args, stdin, stdout, stderr)
	}
	switch args[0] {
	case "shell":
		return cmdShell(ctx, args[1:], stdin, stdout, stderr)
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "config":
		return cmdConfig(args[1:], stdout, stderr)
	case "discord":
		return cmdDiscord(args[1:], stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, args[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr)
	case "roster":
		return cmdRoster(ctx, args[1:], stdout, stderr)
	case "link":
		return cmdLink(ctx, args[1:], stdout, stderr)
	case "report":
		return cmdReport(ctx, args[1:], stdout, stderr)
	case "privacy":
		return cmdPrivacy(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		envHelp(stdout, cmdKring)
		return 0
	}
	fmt.Fprintf(stderr, "kring: unknown command %q\n\n%s", args[0], usage)
	envHelp(stderr, cmdKring)
	return 2
}

const usage = `Kring: a chat-bot for school classes (check-ins, discussions, questions, mentor summaries).

Usage:
  kring [flags]                 start the terminal class, or the platforms when tokens are set
  kring shell [flags]           the whole class in one terminal (try Kring in a minute)
  kring run [flags]             connect Discord and/or Slack (tokens from the environment)
  kring config check FILE       validate a school configuration, naming line and field of every problem
  kring roster import FILE      bring in the school's own roster export (--dry-run first)
  kring roster export|status    the roster with its linked accounts; who is linked where
  kring link codes --class ID   one-time codes for pupils to link their own chat accounts
  kring link slack-emails       link Slack accounts by the roster's e-mail addresses
  kring link remove PERSON      unlink a person's chat account
  kring discord invite-url      print the link that adds Kring to a Discord server
  kring healthcheck             ask a running Kring's /healthz (for container health checks)
  kring bench [--quick]         measure Kring on this machine against Redis (see BENCHMARKS.md)
  kring report --as ID --pupil ID [--from DATE] [--to DATE]
                                a pupil's period report (HTML and Markdown) for a progress conversation
  kring privacy export --as ID --person ID [--out DIR]
                                everything Kring keeps about one person, as JSON (access request)
  kring privacy erase --as ID --person ID [--confirm] [--force] [--audit]
                                erase one person's data (erasure request; a dry run without --confirm)

Run "kring COMMAND --help" for the flags of a command.
`

func platformTokensSet() bool {
	return os.Getenv("DISCORD_TOKEN") != "" || os.Getenv("SLACK_BOT_TOKEN") != ""
}

// exitErr prints err for a person and returns exit code 1.
func exitErr(stderr io.Writer, err error) int {
	var fe flagError
	if errors.As(err, &fe) {
		return 2
	}
	fmt.Fprintf(stderr, "kring: %v\n", err)
	return 1
}

type flagError struct{ error }
