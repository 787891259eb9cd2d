package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
)

// TestUnexpectedTextIsChecked: text a pupil types when no conversation expects it
// ("ik word gepest" before or after the check-in) is checked for the built-in
// safeguarding phrases (the example school's own alert words do not hold "gepest"): the
// mentor and the care contact get the alert, the pupil where to find help, once even
// when the platform repeats the event. Staff text never alerts.
func TestUnexpectedTextIsChecked(t *testing.T) {
	for _, s := range bottest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			clk := clock.NewFake(bottest.Monday0750)
			rdb, prefix := s.Open(t, clk)
			rec := &bottest.Recorder{}
			h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec}})
			ctx := context.Background()
			// 07:50 on a Monday: no check-in has started, nothing listens.
			replies := h.Engine.Handle(ctx, chat.Event{ID: "u2", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindMessage, Text: "ik word gepest"})
			if len(replies) != 0 {
				t.Fatalf("alerting stray text got an immediate reply %+v", replies)
			}
			h.Tick()
			for _, staff := range []string{"devries", "mulder"} {
				got := rec.To(staff)
				if len(got) != 1 || !got[0].Staff || !strings.Contains(got[0].Text, "Zorgsignaal") || !strings.Contains(got[0].Text, "gepest") {
					t.Errorf("%s got %+v, want one alert", staff, got)
				}
			}
			own := rec.To("anna")
			if len(own) != 1 || !strings.Contains(own[0].Text, "0800-0432") || own[0].Staff {
				t.Errorf("pupil got %+v, want the help message", own)
			}
			audit, err := h.Redis.LRange(ctx, h.Store.AuditKey(h.Clock.Now()), 0, -1).Result()
			if err != nil || len(audit) != 1 || !strings.Contains(audit[0], "safeguard-alert") {
				t.Errorf("audit %v %v", audit, err)
			}
			// The same event again (a platform retry) alerts nobody twice.
			h.Engine.Handle(ctx, chat.Event{ID: "u2", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindMessage, Text: "ik word gepest"})
			h.Tick()
			if n := len(rec.To("devries")); n != 1 {
				t.Errorf("a retried event alerted again: %d alerts", n)
			}
			// Staff writing the words is not a pupil in need.
			h.Engine.Handle(ctx, chat.Event{ID: "u3", Platform: chat.Shell, User: "devries", DM: true, Kind: chat.KindMessage, Text: "wie wordt er gepest?"})
			h.Tick()
			if n := len(rec.To("mulder")); n != 1 {
				t.Errorf("staff text alerted the care contact: %d messages", n)
			}
		})
	}
}
