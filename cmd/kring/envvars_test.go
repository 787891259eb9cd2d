package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryHelpExitsZero: --help (and -h) of every subcommand is an answer, exit 0,
// and lists every environment variable the command reads.
func TestEveryHelpExitsZero(t *testing.T) {
	cmds := map[string][]string{
		cmdKring:       {"--help"},
		cmdShellName:   {"shell", "--help"},
		cmdRunName:     {"run", "--help"},
		cmdConfigName:  {"config", "check", "--help"},
		cmdDiscordName: {"discord", "invite-url", "--help"},
		cmdHealthName:  {"healthcheck", "--help"},
		cmdBenchName:   {"bench", "--help"},
		cmdReportName:  {"report", "--help"},
		cmdRosterName:  {"roster", "status", "--help"},
		cmdLinkName:    {"link", "slack-emails", "--help"},
	}
	extra := [][]string{{"help"}, {"-h"}, {"shell", "-h"}, {"config", "--help"}, {"discord", "--help"}, {"bench", "-h"},
		{"roster", "--help"}, {"roster", "import", "-h"}, {"roster", "export", "--help"}, {"link", "--help"},
		{"link", "codes", "--help"}, {"link", "remove", "--help"}}
	for cmd, args := range cmds {
		out, errs, code := runKring(t, "", args...)
		if code != 0 {
			t.Errorf("kring %s: exit %d\n%s", strings.Join(args, " "), code, errs)
		}
		text := out + errs
		if !strings.Contains(text, "Usage") {
			t.Errorf("kring %s: no usage:\n%s", strings.Join(args, " "), text)
		}
		for _, v := range envVars {
			reads := false
			for _, c := range v.cmds {
				reads = reads || c == cmd
			}
			if reads && !strings.Contains(text, v.name) {
				t.Errorf("kring %s --help does not list %s:\n%s", cmd, v.name, text)
			}
		}
	}
	for _, args := range extra {
		if _, errs, code := runKring(t, "", args...); code != 0 {
			t.Errorf("kring %s: exit %d\n%s", strings.Join(args, " "), code, errs)
		}
	}
	if !strings.Contains(func() string { o, e, _ := runKring(t, "", "shell", "--help"); return o + e }(), "KRING_LOG_LEVEL") {
		t.Error("shell --help lacks KRING_LOG_LEVEL")
	}
}

// TestEveryEnvVarIsListed reads the code of the binary and the adapters it configures
// from the environment: every variable name in it must be in envVars, so no --help can
// miss one.
func TestEveryEnvVarIsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, v := range envVars {
		listed[v.name] = true
	}
	name := regexp.MustCompile(`"((?:KRING|DISCORD|SLACK)_[A-Z_]+)"`)
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("../../adapters/*/*.go")
	found := 0
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			found++
			if !listed[m[1]] {
				t.Errorf("%s reads %s, which no --help lists (add it to envVars)", f, m[1])
			}
		}
	}
	if found < len(envVars) {
		t.Errorf("found only %d variable names in the code; is the scan looking in the right place?", found)
	}
}
