package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/embedded"
	"github.com/redis/go-redis/v9"
)

// common holds the flags every running subcommand shares.
type common struct {
	config   string
	redisURL string
	data     string
	prefix   string
	logLevel string
	logJSON  bool
	u        *ui
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// bind adds the shared flags to fs, described in the operator's language.
func (c *common) bind(u *ui, fs *flag.FlagSet, jsonLogs bool) {
	c.u = u
	fs.StringVar(&c.config, "config", env("KRING_CONFIG", "examples/school.yaml"), u.L.T("cli.flag.config"))
	// The URL may hold a password: it is read from the environment after parsing, so
	// --help and flag errors never print it.
	fs.StringVar(&c.redisURL, "redis", "", u.L.T("cli.flag.redis"))
	fs.StringVar(&c.data, "data", os.Getenv("KRING_DATA"), u.L.T("cli.flag.data"))
	fs.StringVar(&c.prefix, "prefix", env("KRING_PREFIX", "kring"), u.L.T("cli.flag.prefix"))
	fs.StringVar(&c.logLevel, "log-level", env("KRING_LOG_LEVEL", "info"), u.L.T("cli.flag.log_level"))
	c.logJSON = jsonLogs
}

// resolve fills settings left empty on the command line from the environment.
func (c *common) resolve() {
	if c.redisURL == "" {
		c.redisURL = os.Getenv("KRING_REDIS_URL")
	}
}

func (c *common) logger(w io.Writer) (*slog.Logger, error) {
	c.resolve()
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, errors.New(c.u.L.T("cli.bad_log_level", "Value", fmt.Sprintf("%q", c.logLevel)))
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var log *slog.Logger
	if c.logJSON {
		log = slog.New(slog.NewJSONHandler(w, opts))
	} else {
		log = slog.New(slog.NewTextHandler(w, opts))
	}
	// go-redis logs (pool and reconnect trouble) through a logger of its own; main
	// wires it to Kring's, so every line is one JSON object in `kring run`.
	redis.SetLogger(redisLog{log: log.With("component", "go-redis")})
	return log, nil
}

// redisLog is go-redis's internal.Logging on slog.
type redisLog struct{ log *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}

// school loads the school file; its problems are told in the operator's language.
func (c *common) school() (*config.School, error) {
	s, err := config.Load(c.config)
	if err != nil {
		return nil, errors.New(c.u.L.T("cli.config_failed", "File", c.config, "Problems", c.u.problems(err)))
	}
	return s, nil
}

// openStore connects to Redis, or opens the embedded store when no URL is set. It logs
// which store is used and where its data lives, and returns the embedded data file
// ("" for Redis). closeFn releases it (flushing the embedded store's file).
func (c *common) openStore(ctx context.Context, s *config.School, clk clock.Clock, log *slog.Logger, ephemeral bool) (rdb redis.UniversalClient, dataPath string, closeFn func(), err error) {
	if c.redisURL != "" {
		rdb, err := store.Connect(ctx, c.redisURL)
		if err != nil {
			return nil, "", nil, err
		}
		log.Info("store opened", "store", "redis", "url", store.Redact(c.redisURL), "prefix", c.prefix)
		return rdb, "", func() { _ = rdb.Close() }, nil
	}
	path := c.data
	cleanup := func() {}
	if ephemeral && path == "" {
		dir, err := os.MkdirTemp("", "kring-script-*")
		if err != nil {
			return nil, "", nil, msgErr(c.u.L.T("cli.temp_store"), err)
		}
		path = filepath.Join(dir, "kring.json")
		cleanup = func() { _ = os.RemoveAll(dir) }
	}
	if path == "" {
		path = filepath.Join("data", "kring-"+strings.ToLower(s.ID)+".json")
	}
	srv, err := embedded.Open(path, clk, log)
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	log.Info("embedded store in use: for trying Kring and one small class; set KRING_REDIS_URL for real use",
		"path", srv.Path(), "ephemeral", ephemeral && c.data == "")
	rdb = srv.NewClient()
	return rdb, srv.Path(), func() {
		_ = rdb.Close()
		if err := srv.Close(); err != nil {
			log.Error("close embedded store", "err", err)
		}
		cleanup()
	}, nil
}
