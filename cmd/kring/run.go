package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/kring-school/kring/adapters/discord"
	"github.com/kring-school/kring/adapters/slack"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/guard"
	"github.com/kring-school/kring/bot/store"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/metrics"
	"github.com/kring-school/kring/bot/runtime"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, true)
	metricsAddr := fs.String("metrics-addr", env("KRING_METRICS_ADDR", "127.0.0.1:9090"), "address of /healthz and /metrics; empty turns them off (env KRING_METRICS_ADDR)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: kring run [flags]\n\nConnects the platforms whose tokens are set (DISCORD_TOKEN, SLACK_BOT_TOKEN) and runs\nthe check-ins, reminders and conversations until SIGTERM.\n\nFlags:\n")
		fs.PrintDefaults()
		envHelp(stderr, cmdRunName)
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	log, err := c.logger(stderr)
	if err != nil {
		return exitErr(stderr, err)
	}
	school, err := c.school()
	if err != nil {
		return exitErr(stderr, err)
	}
	cat, err := i18n.Load()
	if err != nil {
		return exitErr(stderr, err)
	}
	clk := clock.Real{}
	if !platformTokensSet() {
		return exitErr(stderr, errors.New("no platform configured: set DISCORD_TOKEN and/or SLACK_BOT_TOKEN (see README), or run \"kring shell\""))
	}
	rdb, _, closeStore, err := c.openStore(ctx, school, clk, log, false)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer closeStore()
	st := store.New(rdb, c.prefix, school.ID, school.Retention.Std())
	// The guards tell the admins through the Engine, which needs the adapters first.
	var notify func(ctx context.Context, event, key string, kv ...any)
	adapters, err := platformAdapters(school, cat, st, clk, log, func(ctx context.Context, event, key string, kv ...any) {
		if notify != nil {
			notify(ctx, event, key, kv...)
		}
	})
	if err != nil {
		return exitErr(stderr, err)
	}
	m := metrics.New()
	rt, err := runtime.New(runtime.Options{
		School: school, Redis: rdb, Prefix: c.prefix, Clock: clk, Catalog: cat,
		Dialogs: dialogs(), Adapters: adapters, Log: log, Owner: owner(),
		EngineObserver: m, OutboxObserver: m,
	})
	if err != nil {
		return exitErr(stderr, err)
	}
	notify = rt.Engine.NotifyAdmins
	m.WatchOutbox(rt.Outbox)
	m.WatchPlatforms(adapters)
	// The ops server gets its own context: when an adapter fails, Run returns while the
	// signal context lives on, and the server must stop with Run.
	opsCtx, stopOps := context.WithCancel(ctx)
	defer stopOps()
	var opsDone chan error
	if *metricsAddr != "" {
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return exitErr(stderr, fmt.Errorf("--metrics-addr %s: %w", *metricsAddr, err))
		}
		opsDone = make(chan error, 1)
		go func() { opsDone <- metrics.ServeListener(opsCtx, ln, m, metrics.Health(rdb, adapters)) }()
		log.Info("ops server", "addr", ln.Addr().String(), "paths", "/healthz /metrics")
	}
	for _, a := range adapters {
		// Adapters that take parts from the Engine (commands, caches, home pages) get
		// them before the outbox may deliver, not only when their Run starts.
		if u, ok := a.(interface{ Use(chat.Engine) }); ok {
			u.Use(rt.Engine)
		}
	}
	var connected []string
	for _, a := range adapters {
		connected = append(connected, string(a.Platform()))
	}
	logCoverage(log, school, connected)
	log.Info("kring running", "school", school.ID, "platforms", len(adapters))
	runErr := rt.Run(ctx, true)
	stopOps()
	if opsDone != nil {
		if err := <-opsDone; err != nil {
			log.Warn("ops server", "err", err)
		}
	}
	if runErr != nil {
		return exitErr(stderr, runErr)
	}
	log.Info("kring stopped")
	return 0
}

// platformAdapters builds an adapter for every platform whose token is set, in order
// of preference for reaching a person who is on both (Discord first).
func platformAdapters(school *config.School, cat *i18n.Catalog, st *store.Store, clk clock.Clock, log *slog.Logger, notify notifyFunc) ([]chat.Adapter, error) {
	var out []chat.Adapter
	if tok := os.Getenv("DISCORD_TOKEN"); tok != "" {
		rate := 0.0 // the adapter's default
		if v := os.Getenv("KRING_DISCORD_RATE"); v != "" {
			r, err := strconv.ParseFloat(v, 64)
			if err != nil || r <= 0 || r > 50 {
				return nil, fmt.Errorf("KRING_DISCORD_RATE=%q: give requests per second for this process, above 0 and at most 50 (with N processes, about 48/N)", v)
			}
			rate = r
		}
		content := false
		switch v := strings.TrimSpace(os.Getenv("KRING_DISCORD_MESSAGE_CONTENT")); v {
		case "", "0", "false":
		case "1", "true":
			content = true
		default:
			return nil, fmt.Errorf("KRING_DISCORD_MESSAGE_CONTENT=%q: write 1 to read typed answers in Kring's threads (switch on Message Content Intent on the Bot page first) or 0", v)
		}
		dlog := log.With("platform", "discord")
		a, err := discord.New(discord.Options{
			Token: tok, AppID: os.Getenv("DISCORD_APP_ID"), School: school, Catalog: cat,
			KV: st.KV(string(chat.Discord)), Clock: clk, Log: dlog, Rate: rate,
			Guard:          newGuard(chat.Discord, st, cmp.Or(rate, discord.DefaultRate), discord.DeploymentLimit, dlog, cat, school, notify),
			APIBase:        os.Getenv("KRING_DISCORD_API_URL"),
			MessageContent: content,
		})
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		out = append(out, a)
	}
	if os.Getenv("SLACK_BOT_TOKEN") != "" {
		o := slack.EnvOptions(os.Getenv)
		// The adapter names its platform in its log lines itself.
		o.School, o.Catalog, o.Clock, o.Log = school, cat, clk, log
		o.KV = st.KV(string(chat.Slack))
		o.Guard = newGuard(chat.Slack, st, 0, guard.Limit{}, log.With("platform", "slack"), cat, school, notify)
		a, err := slack.New(o)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}
