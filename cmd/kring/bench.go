package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kring-school/kring/bench"
	"github.com/kring-school/kring/bot/store"
)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	// Read from the environment after parsing: the URL may hold a password, and --help
	// must not print it.
	fs.StringVar(&o.RedisURL, "redis", "", "Redis to measure (env KRING_REDIS_URL, else redis://127.0.0.1:6379/0); keys go under a fresh prefix that is deleted afterwards")
	fs.BoolVar(&o.Embedded, "embedded", true, "also measure the embedded store, in a second column")
	fs.BoolVar(&o.Quick, "quick", false, "small sizes: a smoke test that finishes in seconds")
	fs.IntVar(&o.Pupils, "pupils", 0, "pupils in the fan-out school (default 10000; --quick 300)")
	fs.IntVar(&o.Classes, "classes", 0, "classes in the fan-out school (default 330; --quick 10)")
	fs.IntVar(&o.StepPupils, "step-pupils", 0, "pupils doing a whole check-in per engine concurrency level (default 2000; --quick 40)")
	fs.IntVar(&o.Limit, "limit", 0, "the fake Discord's global rate limit, requests/s (default 50, Discord's; --quick 200)")
	fs.Float64Var(&o.Pace, "pace", 0, "the Discord adapter's request rate (default: the adapter's default share of the limit, 48 of 50)")
	out := fs.String("out", "", "also write the table to this file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: kring bench [flags]

Measures Kring on this machine and prints a Markdown table: a pure dialog step, the
engine step at 1, 8 and 64 pupils at once against Redis (with Redis's own SET/GET
ceiling in the same run), the morning fan-out of a 10,000-pupil school through the
Discord adapter to a local fake Discord with a rate limit, a mentor's digest,
memory, a pupil's period report, and a class of 30 answering one discussion prompt
and voting in one debate at the same moment over two engines. Progress goes to
stderr. The full run takes about 12 minutes, most of it the fan-out at Discord's 50
requests/s. See BENCHMARKS.md.

Never point it at a production Redis under load: it writes (under its own prefix,
deleted afterwards) as fast as the server allows.

Flags:
`)
		fs.PrintDefaults()
		envHelp(stderr, cmdBenchName)
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kring bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if o.RedisURL == "" {
		o.RedisURL = env("KRING_REDIS_URL", "redis://127.0.0.1:6379/0")
	}
	o.Progress = stderr
	fmt.Fprintf(stderr, "bench: Redis %s\n", store.Redact(o.RedisURL))
	rep, err := bench.Run(ctx, o)
	if rep != nil && len(rep.Rows) > 0 {
		if werr := rep.Markdown(stdout); werr != nil {
			return exitErr(stderr, werr)
		}
		if *out != "" {
			f, ferr := os.Create(*out)
			if ferr != nil {
				return exitErr(stderr, ferr)
			}
			werr := rep.Markdown(f)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				return exitErr(stderr, fmt.Errorf("write %s: %w", *out, werr))
			}
		}
	}
	if err != nil {
		return exitErr(stderr, err)
	}
	return 0
}
