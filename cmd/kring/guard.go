package main

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/guard"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/store"
)

// notifyFunc queues a staff notice to every admin (Engine.NotifyAdmins).
type notifyFunc func(ctx context.Context, event, key string, kv ...any)

// newGuard builds a platform's deployment-wide guard on the store's Redis: every
// replica of this deployment (same prefix) shares its limits and pauses. A ban or a
// refused token is told to the admins once per episode, as is its end.
func newGuard(p chat.Platform, st *store.Store, local float64, global guard.Limit, log *slog.Logger, cat *i18n.Catalog, school *config.School, notify notifyFunc) *guard.Guard {
	return guard.New(guard.Options{
		Platform: p, Redis: st.Client(), Prefix: st.Key(""), Local: local, Global: global, Log: log,
		OnPause: func(ctx context.Context, reason string, until time.Time) {
			event := "guard:" + string(p) + ":" + reason + ":" + strconv.FormatInt(until.Unix(), 10)
			notify(ctx, event, "delivery.paused_admin", "Platform", string(p),
				"Until", until.UTC().Format("2006-01-02 15:04"), "Reason", cat.For(school.Locale).T("delivery.reason_"+reason))
		},
		OnResume: func(ctx context.Context, reason string) {
			event := "guard:" + string(p) + ":resumed:" + strconv.FormatInt(time.Now().Unix(), 10)
			notify(ctx, event, "delivery.resumed_admin", "Platform", string(p))
		},
	})
}
