package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/kring-school/kring/bot/metrics"
)

// cmdHealthcheck asks a running Kring's /healthz; containers use it as their health check.
func cmdHealthcheck(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring healthcheck", flag.ContinueOnError)
	addr := fs.String("metrics-addr", env("KRING_METRICS_ADDR", "127.0.0.1:9090"), u.L.T("cli.flag.healthcheck_addr"))
	u.langFlag(fs, "lang")
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.healthcheck.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdHealthName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
	}
	if err := metrics.Probe(ctx, *addr); err != nil {
		fmt.Fprintln(stderr, msgErr(u.L.T("cli.healthcheck.unhealthy"), err))
		return 1
	}
	// "ok" is for container health checks and scripts as much as for people, and reads
	// the same in both languages.
	fmt.Fprintln(stdout, "ok")
	return 0
}
