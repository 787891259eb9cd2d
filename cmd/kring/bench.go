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

// cmdBench measures Kring. Its usage, flags and refusals are in the operator's
// language; its table (row labels, units) and progress lines stay English on purpose:
// it is a developer tool whose table is pasted into BENCHMARKS.md, which is English.
func cmdBench(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring bench", flag.ContinueOnError)
	var o bench.Options
	// Read from the environment after parsing: the URL may hold a password, and --help
	// must not print it.
	fs.StringVar(&o.RedisURL, "redis", "", u.L.T("cli.flag.bench_redis"))
	fs.BoolVar(&o.Embedded, "embedded", true, u.L.T("cli.flag.bench_embedded"))
	fs.BoolVar(&o.Quick, "quick", false, u.L.T("cli.flag.bench_quick"))
	fs.IntVar(&o.Pupils, "pupils", 0, u.L.T("cli.flag.bench_pupils"))
	fs.IntVar(&o.Classes, "classes", 0, u.L.T("cli.flag.bench_classes"))
	fs.IntVar(&o.StepPupils, "step-pupils", 0, u.L.T("cli.flag.bench_step_pupils"))
	fs.IntVar(&o.Limit, "limit", 0, u.L.T("cli.flag.bench_limit"))
	fs.Float64Var(&o.Pace, "pace", 0, u.L.T("cli.flag.bench_pace"))
	out := fs.String("out", "", u.L.T("cli.flag.bench_out"))
	u.langFlag(fs, "lang")
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.bench.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdBenchName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kring bench: %s\n", u.L.T("cli.unexpected_arg", "Arg", fmt.Sprintf("%q", fs.Arg(0))))
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
				return exitErr(stderr, msgErr(u.L.T("cli.write_failed", "File", *out), werr))
			}
		}
	}
	if err != nil {
		return exitErr(stderr, err)
	}
	return 0
}
