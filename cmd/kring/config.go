package main

import (
	"fmt"
	"io"

	"github.com/kring-school/kring/bot/config"
)

func cmdConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" || len(args) != 2 || wantsHelp(args) {
		fmt.Fprint(stderr, "Usage: kring config check FILE\n\nValidates a school configuration and names the line and field of every problem\n(a YAML syntax error with its line and column, the line quoted). Exits 0 when\nthe file is fine, 1 when it has problems.\n")
		envHelp(stderr, cmdConfigName)
		if wantsHelp(args) {
			return 0
		}
		return 2
	}
	path := args[1]
	if probs := config.Check(path); len(probs) > 0 {
		fmt.Fprintln(stderr, probs.Error())
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", path, len(probs))
		return 1
	}
	s, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d classes, %d people)\n", path, len(s.Classes), len(s.People))
	printCoverage(stdout, s)
	return 0
}
