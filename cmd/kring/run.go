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

func cmdRun(ctx context.Context, u *ui, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring run", flag.ContinueOnError)
	var c common
	c.bind(u, fs, true)
	u.langFlag(fs, "lang")
	metricsAddr := fs.String("metrics-addr", env("KRING_METRICS_ADDR", "127.0.0.1:9090"), u.L.T("cli.flag.metrics_addr"))
	usage := func() {
		fmt.Fprint(stderr, u.L.T("cli.run.usage")+"\n\n"+u.L.T("cli.flags")+"\n")
		u.printFlags(stderr, fs)
		u.envHelp(stderr, cmdRunName)
	}
	if code, done := u.parseFlags(fs, args, stderr, usage); done {
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
	cat := u.cat
	clk := clock.Real{}
	if !platformTokensSet() {
		return exitErr(stderr, errors.New(u.L.T("cli.run.no_platform")))
	}
	rdb, _, closeStore, err := c.openStore(ctx, school, clk, log, false)
	if err != nil {
		return exitErr(stderr, err)
	}
	defer closeStore()
	st := store.New(rdb, c.prefix, school.ID, school.Retention.Std())
	// The guards tell the admins through the Engine, which needs the adapters first.
	var notify func(ctx context.Context, event, key string, kv ...any)
	adapters, err := platformAdapters(u, school, cat, st, clk, log, func(ctx context.Context, event, key string, kv ...any) {
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
		Dialogs: dialogs(school), Adapters: adapters, Log: log, Owner: owner(),
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
			return exitErr(stderr, msgErr(u.L.T("cli.run.bad_metrics_addr", "Addr", *metricsAddr), err))
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
func platformAdapters(u *ui, school *config.School, cat *i18n.Catalog, st *store.Store, clk clock.Clock, log *slog.Logger, notify notifyFunc) ([]chat.Adapter, error) {
	var out []chat.Adapter
	if tok := os.Getenv("DISCORD_TOKEN"); tok != "" {
		rate := 0.0 // the adapter's default
		if v := os.Getenv("KRING_DISCORD_RATE"); v != "" {
			r, err := strconv.ParseFloat(v, 64)
			if err != nil || r <= 0 || r > 50 {
				return nil, errors.New(u.L.T("cli.run.bad_discord_rate", "Value", fmt.Sprintf("%q", v)))
			}
			rate = r
		}
		content := false
		switch v := strings.TrimSpace(os.Getenv("KRING_DISCORD_MESSAGE_CONTENT")); v {
		case "", "0", "false":
		case "1", "true":
			content = true
		default:
			return nil, errors.New(u.L.T("cli.run.bad_message_content", "Value", fmt.Sprintf("%q", v)))
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
