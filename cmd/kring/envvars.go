package main

import (
	"fmt"
	"io"
	"strings"
)

// envVar is one environment variable Kring reads, and which commands read it. It is
// the one list behind every --help; a test checks that the code reads no variable
// missing here. Its meaning is the catalog message cli.env.NAME.
type envVar struct {
	name string
	cmds []string
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
	{"KRING_CONFIG", []string{cmdKring, cmdShellName, cmdRunName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_REDIS_URL", []string{cmdKring, cmdShellName, cmdRunName, cmdBenchName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_DATA", []string{cmdKring, cmdShellName, cmdRunName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_PREFIX", []string{cmdKring, cmdShellName, cmdRunName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_LOG_LEVEL", []string{cmdKring, cmdShellName, cmdRunName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_METRICS_ADDR", []string{cmdKring, cmdRunName, cmdHealthName}},
	{"DISCORD_TOKEN", []string{cmdKring, cmdRunName}},
	{"DISCORD_APP_ID", []string{cmdKring, cmdRunName, cmdDiscordName}},
	{"KRING_DISCORD_RATE", []string{cmdKring, cmdRunName}},
	{"KRING_DISCORD_API_URL", []string{cmdKring, cmdRunName}},
	{"KRING_DISCORD_MESSAGE_CONTENT", []string{cmdKring, cmdRunName}},
	{"SLACK_BOT_TOKEN", []string{cmdKring, cmdRunName, cmdLinkName}},
	{"SLACK_APP_TOKEN", []string{cmdKring, cmdRunName}},
	{"SLACK_SIGNING_SECRET", []string{cmdKring, cmdRunName}},
	{"KRING_SLACK_MODE", []string{cmdKring, cmdRunName}},
	{"KRING_SLACK_LISTEN", []string{cmdKring, cmdRunName}},
	{"KRING_AS", []string{cmdReportName, cmdPrivacyName}},
	{"KRING_SLACK_COMMAND", []string{cmdKring, cmdRunName}},
	{"KRING_LANG", []string{cmdKring, cmdShellName, cmdRunName, cmdConfigName, cmdDiscordName, cmdHealthName, cmdBenchName, cmdReportName, cmdRosterName, cmdLinkName, cmdPrivacyName}},
	{"KRING_SLACK_API_URL", []string{cmdKring, cmdRunName}},
}

// envHelp writes the environment section of cmd's help.
func (u *ui) envHelp(w io.Writer, cmd string) {
	var b strings.Builder
	for _, v := range envVars {
		for _, c := range v.cmds {
			if c == cmd {
				fmt.Fprintf(&b, "  %-21s %s\n", v.name, u.L.T(envKey(v.name)))
			}
		}
	}
	if b.Len() == 0 {
		fmt.Fprint(w, "\n"+u.L.T("cli.env_none")+"\n")
		return
	}
	fmt.Fprint(w, "\n"+u.L.T("cli.env_heading")+"\n"+b.String())
}

// envKey is the catalog message saying what variable name means.
func envKey(name string) string { return "cli.env." + strings.ToLower(name) }

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
