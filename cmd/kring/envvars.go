package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// envVar is one environment variable Kring reads, and which commands read it. It is
// the one list behind every --help; a test checks that the code reads no variable
// missing here.
type envVar struct {
	name    string
	meaning string
	cmds    []string
}

// Command names as used in envVars ("kring" is the bare command, which reads the
// tokens to choose between shell and run).
const (
	cmdKring       = "kring"
	cmdShellName   = "shell"
	cmdRunName     = "run"
	cmdConfigName  = "config check"
	cmdDiscordName = "discord invite-url"
	cmdHealthName  = "healthcheck"
	cmdBenchName   = "bench"
	cmdReportName  = "report"
	cmdRosterName  = "roster"
	cmdLinkName    = "link"
	cmdPrivacyName = "privacy"
)

var envVars = []envVar{
	{"KRING_CONFIG", "school configuration file (default examples/school.yaml)", []string{cmdKring, cmdShellName, cmdRunName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_REDIS_URL", "Redis URL; without it Kring runs its embedded store (bench: default redis://127.0.0.1:6379/0)", []string{cmdKring, cmdShellName, cmdRunName, cmdBenchName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_DATA", "embedded store data file (default data/kring-SCHOOL.json)", []string{cmdKring, cmdShellName, cmdRunName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_PREFIX", "key prefix in Redis, one per deployment (default kring)", []string{cmdKring, cmdShellName, cmdRunName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_LOG_LEVEL", "debug, info, warn or error (default info; the terminal: warn)", []string{cmdKring, cmdShellName, cmdRunName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_METRICS_ADDR", "address of /healthz and /metrics (default 127.0.0.1:9090; empty: off)", []string{cmdKring, cmdRunName, cmdHealthName}},
	{"DISCORD_TOKEN", "Discord bot token (kring without a command runs the platforms when set)", []string{cmdKring, cmdRunName}},
	{"DISCORD_APP_ID", "Discord application id", []string{cmdKring, cmdRunName, cmdDiscordName}},
	{"KRING_DISCORD_RATE", "Discord requests/s of this process at most (default 48; all processes together are paced at 48/s through Redis)", []string{cmdKring, cmdRunName}},
	{"KRING_DISCORD_API_URL", "Discord REST base URL instead of https://discord.com (a shared rate-limit proxy; tests)", []string{cmdKring, cmdRunName}},
	{"KRING_DISCORD_MESSAGE_CONTENT", "1: ask for the privileged Message Content intent, so typed answers in Kring's threads need no @Kring (default off)", []string{cmdKring, cmdRunName}},
	{"SLACK_BOT_TOKEN", "Slack bot token, xoxb- (kring without a command runs the platforms when set)", []string{cmdKring, cmdRunName, cmdLinkName}},
	{"SLACK_APP_TOKEN", "Slack app-level token, xapp- (Socket Mode)", []string{cmdKring, cmdRunName}},
	{"SLACK_SIGNING_SECRET", "Slack signing secret (Events API over HTTP)", []string{cmdKring, cmdRunName}},
	{"KRING_SLACK_MODE", "socket (default) or http (Events API)", []string{cmdKring, cmdRunName}},
	{"KRING_SLACK_LISTEN", "listen address in http mode (default :3000)", []string{cmdKring, cmdRunName}},
	{"KRING_AS", "your roster id, for kring report and kring privacy (who asks; checked and audited)", []string{cmdReportName, cmdPrivacyName}},
	{"KRING_SLACK_COMMAND", "the slash command (default /kring)", []string{cmdKring, cmdRunName}},
	{"KRING_SLACK_API_URL", "Slack Web API base URL instead of https://slack.com/api/ (a proxy; tests)", []string{cmdKring, cmdRunName}},
}

// envHelp writes the environment section of cmd's help.
func envHelp(w io.Writer, cmd string) {
	var b strings.Builder
	for _, v := range envVars {
		for _, c := range v.cmds {
			if c == cmd {
				fmt.Fprintf(&b, "  %-21s %s\n", v.name, v.meaning)
			}
		}
	}
	if b.Len() == 0 {
		fmt.Fprint(w, "\nEnvironment: none is read.\n")
		return
	}
	fmt.Fprint(w, "\nEnvironment:\n"+b.String())
}

// wantsHelp reports whether args ask for help (-h, -help, --help) before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// parseFlags parses args; done is true when the command must stop with code: 0 after
// --help (which is an answer, not a failure), 2 after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	case err != nil:
		return 2, true
	}
	return 0, false
}
