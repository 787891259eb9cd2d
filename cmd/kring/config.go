package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kring-school/kring/bot/config"
)

func cmdConfig(u *ui, args []string, stdout, stderr io.Writer) int {
	args = dropFlag(args, "lang")
	if len(args) == 0 || args[0] != "check" || len(args) != 2 || wantsHelp(args) {
		fmt.Fprint(stderr, u.L.T("cli.config.usage")+"\n")
		u.envHelp(stderr, cmdConfigName)
		if wantsHelp(args) {
			return 0
		}
		return 2
	}
	path := args[1]
	if probs := config.Check(path); len(probs) > 0 {
		fmt.Fprintln(stderr, u.problems(probs))
		fmt.Fprintln(stderr, u.L.N("cli.config.problems", len(probs), "File", path))
		return 1
	}
	s, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, u.problems(err))
		return 1
	}
	fmt.Fprintln(stdout, u.L.N("cli.config.ok", len(s.Classes), "File", path, "People", len(s.People)))
	u.printCoverage(stdout, s)
	return 0
}

// problems writes the problems of a school file (one a line) in the operator's
// language; an error that is not a config.Problems is shown as it is.
func (u *ui) problems(err error) string {
	var ps config.Problems
	if !errors.As(err, &ps) {
		return err.Error()
	}
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Render(u.L.T)
	}
	return strings.Join(lines, "\n")
}

// dropFlag removes --name VALUE (or --name=VALUE) from args before any "--", for
// commands that read their arguments without a flag set; run has read it already.
func dropFlag(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a == "-"+name || a == "--"+name {
			i++
			continue
		}
		if strings.HasPrefix(a, "-"+name+"=") || strings.HasPrefix(a, "--"+name+"=") {
			continue
		}
		out = append(out, a)
	}
	return out
}

// groupArgs drops --lang from the arguments of a command group (kring roster --lang nl
// status): run has read it, and the group's own dispatch looks at the first argument.
func groupArgs(args []string) []string { return dropFlag(args, "lang") }
