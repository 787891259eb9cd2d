package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/kring-school/kring/bot/metrics"
)

// cmdHealthcheck asks a running Kring's /healthz; containers use it as their health check.
func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("metrics-addr", env("KRING_METRICS_ADDR", "127.0.0.1:9090"), "the running Kring's /healthz address (env KRING_METRICS_ADDR)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: kring healthcheck [--metrics-addr ADDR]\n\nExits 0 when the running Kring says it is healthy (Redis reachable, platforms connected).\n\nFlags:\n")
		fs.PrintDefaults()
		envHelp(stderr, cmdHealthName)
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if err := metrics.Probe(ctx, *addr); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}
