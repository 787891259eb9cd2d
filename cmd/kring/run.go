package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/kring-school/kring/adapters/discord"
	"github.com/kring-school/kring/adapters/slack"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/store"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/runtime"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kring run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.bind(fs, true)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: kring run [flags]\n\nConnects the platforms whose tokens are set (DISCORD_TOKEN, SLACK_BOT_TOKEN) and runs\nthe check-ins, reminders and conversations until SIGTERM.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
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
	adapters, err := platformAdapters(school, cat, st, clk, log)
	if err != nil {
		return exitErr(stderr, err)
	}
	rt, err := runtime.New(runtime.Options{
		School: school, Redis: rdb, Prefix: c.prefix, Clock: clk, Catalog: cat,
		Dialogs: dialogs(), Adapters: adapters, Log: log, Owner: owner(),
	})
	if err != nil {
		return exitErr(stderr, err)
	}
	for _, a := range adapters {
		// Adapters that take parts from the Engine (commands, caches, home pages) get
		// them before the outbox may deliver, not only when their Run starts.
		if u, ok := a.(interface{ Use(chat.Handler) }); ok {
			u.Use(rt.Engine)
		}
	}
	log.Info("kring running", "school", school.ID, "platforms", len(adapters))
	if err := rt.Run(ctx, true); err != nil {
		return exitErr(stderr, err)
	}
	log.Info("kring stopped")
	return 0
}

// platformAdapters builds an adapter for every platform whose token is set, in order
// of preference for reaching a person who is on both (Discord first).
func platformAdapters(school *config.School, cat *i18n.Catalog, st *store.Store, clk clock.Clock, log *slog.Logger) ([]chat.Adapter, error) {
	var out []chat.Adapter
	if tok := os.Getenv("DISCORD_TOKEN"); tok != "" {
		a, err := discord.New(discord.Options{
			Token: tok, AppID: os.Getenv("DISCORD_APP_ID"), School: school, Catalog: cat,
			KV: st.KV(string(chat.Discord)), Clock: clk, Log: log.With("platform", "discord"),
		})
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		out = append(out, a)
	}
	if os.Getenv("SLACK_BOT_TOKEN") != "" {
		o := slack.EnvOptions(os.Getenv)
		o.School, o.Catalog, o.Clock, o.Log = school, cat, clk, log.With("platform", "slack")
		o.KV = st.KV(string(chat.Slack))
		a, err := slack.New(o)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}
