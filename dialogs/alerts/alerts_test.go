package alerts_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/redis/go-redis/v9"
)

// school has class 2B with mentor devries, care coordinator mulder, admin root and
// pupils anna and bram (anna's mentor is devries).
func school(t *testing.T) *config.School {
	t.Helper()
	s := &config.School{ID: "alerts", Locale: "nl", Classes: []*config.Class{{ID: "2B", Name: "2B"}}}
	s.People = []*config.Person{
		{ID: "devries", Name: "Dhr. de Vries", Roles: []config.Role{config.Mentor}},
		{ID: "mulder", Name: "Mw. Mulder", Roles: []config.Role{config.Care}},
		{ID: "root", Name: "Beheer", Roles: []config.Role{config.Admin}},
		{ID: "anna", Name: "Anna", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
		{ID: "bram", Name: "Bram", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

func forEachStore(t *testing.T, f func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake)) {
	for _, s := range bottest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(bottest.Monday0750)
			rdb, prefix := s.Open(t, clk)
			f(t, rdb, prefix, clk)
		})
	}
}

func ev(id, user string) chat.Event {
	return chat.Event{ID: id, Platform: chat.Shell, User: user, DM: true}
}

func typed(id, user, text string) chat.Event {
	e := ev(id, user)
	e.Kind, e.Text = chat.KindMessage, text
	return e
}

func press(id, user string, c chat.Choice) chat.Event {
	e := ev(id, user)
	e.Kind, e.Action, e.Value = chat.KindButton, c.Action, c.Value
	return e
}

func handle(t *testing.T, h *bottest.Harness, e chat.Event) {
	t.Helper()
	if r := h.Engine.Handle(context.Background(), e); len(r) > 0 {
		t.Fatalf("%s: %s", e.ID, r[0].Text)
	}
	h.Tick()
}

// alertsTo are the staff messages with the handle button sent to user.
func alertsTo(rec *bottest.Recorder, user string) []chat.Message {
	var out []chat.Message
	for _, m := range rec.To(user) {
		if m.Staff && len(m.Choices) == 1 && m.Choices[0].Action == safeguard.ActionHandle {
			out = append(out, m)
		}
	}
	return out
}

func last(t *testing.T, rec *bottest.Recorder, user string) chat.Message {
	t.Helper()
	ms := rec.To(user)
	if len(ms) == 0 {
		t.Fatalf("nothing sent to %s", user)
	}
	return ms[len(ms)-1]
}

// TestAlertStaysOpenUntilHandled: a pupil's worrying words open an alert for the mentor
// and the care coordinator; on an engine started afterwards (a restart), nobody having
// acted, it is re-sent after 30 school minutes and escalated to the admin; the care
// coordinator takes it, the others are told who, it is audited, and it is never
// re-sent again. A second press and a pupil's press are refused.
func TestAlertStaysOpenUntilHandled(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		s := school(t)
		rec := &bottest.Recorder{}
		opts := bottest.Options{School: s, Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec},
			Dialogs: []dialog.Dialog{checkin.New()}}
		first := bottest.New(t, opts)
		first.At("10:00")
		handle(t, first, typed("a1", "anna", "ik wil echt niet meer leven"))
		for _, who := range []string{"devries", "mulder"} {
			if n := len(alertsTo(rec, who)); n != 1 {
				t.Fatalf("%s got %d alerts, want 1", who, n)
			}
		}
		if n := len(alertsTo(rec, "root")); n != 0 {
			t.Fatalf("the admin got the first alert (%d); only after nobody acted", n)
		}
		handleBtn := alertsTo(rec, "devries")[0].Choices[0]
		if handleBtn.Label != "Ik pak dit op" {
			t.Errorf("button label %q", handleBtn.Label)
		}
		key := prefix + ":{alerts}:alert:" + handleBtn.Value
		if got := rdb.HGet(context.Background(), key, "f:status").Val(); got != "open" {
			t.Fatalf("alert status = %q, want open", got)
		}
		openMark := rdb.HGet(context.Background(), prefix+":{alerts}:p:anna", safeguard.ProfileAlertPrefix+handleBtn.Value)
		if openMark.Val() != "selfharm" {
			t.Fatalf("the open alert is not marked on the pupil's profile: %q", openMark.Val())
		}

		// Restart: a new engine on the same store.
		second := bottest.New(t, opts)
		clk.Set(clk.Now().Add(29 * time.Minute))
		second.Tick()
		if n := len(alertsTo(rec, "root")); n != 0 {
			t.Fatal("re-sent before 30 minutes")
		}
		clk.Set(clk.Now().Add(time.Minute))
		second.Tick()
		first.Tick()
		for _, who := range []string{"devries", "mulder", "root"} {
			ms := alertsTo(rec, who)
			if len(ms) == 0 || !strings.Contains(ms[len(ms)-1].Text, "Nog open") {
				t.Fatalf("%s did not get the re-sent alert: %+v", who, ms)
			}
		}
		if n := len(alertsTo(rec, "root")); n != 1 {
			t.Fatalf("the admin got %d re-sends, want 1", n)
		}
		if got := alertsTo(rec, "root")[0].Text; !strings.Contains(got, chat.Literal("ik wil echt niet meer leven")) {
			t.Errorf("the escalated alert lacks the pupil's words: %q", got)
		}

		// The pupil cannot take their own alert.
		handle(t, second, press("p1", "anna", handleBtn))
		if got := last(t, rec, "anna").Text; got != second.Catalog.For("nl").T("alerts.not_yours") {
			t.Errorf("pupil's press answered %q", got)
		}
		clk.Set(clk.Now().Add(5 * time.Minute))
		handle(t, second, press("h1", "mulder", handleBtn))
		if got := last(t, rec, "mulder").Text; !strings.Contains(got, "Genoteerd") {
			t.Errorf("mulder was told %q", got)
		}
		for _, who := range []string{"devries", "root"} {
			if got := last(t, rec, who).Text; !strings.Contains(got, chat.Literal("Mw. Mulder")) || !strings.Contains(got, "pakt") {
				t.Errorf("%s was not told who took it: %q", who, got)
			}
		}
		f := rdb.HGetAll(context.Background(), key).Val()
		if f["f:status"] != "handled" || f["f:by"] != "mulder" || f["f:handled"] == "" {
			t.Errorf("alert after handling = %v", f)
		}
		if rdb.HExists(context.Background(), prefix+":{alerts}:p:anna", safeguard.ProfileAlertPrefix+handleBtn.Value).Val() {
			t.Error("a handled alert is still marked open on the pupil's profile")
		}
		handle(t, first, press("h2", "devries", handleBtn))
		if got := last(t, rec, "devries").Text; !strings.Contains(got, "al op") {
			t.Errorf("second press answered %q", got)
		}
		// Audited: who handled it.
		st := store.New(rdb, prefix, s.ID, 0)
		audit := rdb.LRange(context.Background(), st.AuditKey(clk.Now()), 0, -1).Val()
		found := false
		for _, line := range audit {
			var a record.Audit
			_ = json.Unmarshal([]byte(line), &a)
			found = found || (a.Action == "alert-handled" && a.Actor == "mulder" && a.Subject == "anna")
		}
		if !found {
			t.Errorf("no alert-handled audit entry in %v", audit)
		}
		// Handled: never re-sent, however long.
		before := len(alertsTo(rec, "root"))
		for i := 0; i < 5; i++ {
			clk.Set(clk.Now().Add(4 * time.Hour))
			second.Tick()
		}
		if n := len(alertsTo(rec, "root")); n != before {
			t.Errorf("a handled alert was re-sent (%d → %d)", before, n)
		}
	})
}

// TestUnreachableMentorIsNamed: on Discord, a mentor without a Discord id is skipped:
// the care coordinator gets the alert, which says the mentor could not be reached; the
// re-send escalates to the admin and says so again.
func TestUnreachableMentorIsNamed(t *testing.T) {
	s := school(t)
	s.Discord.Guild = "g1"
	for _, p := range s.People {
		if p.ID != "devries" {
			p.Discord = "d-" + p.ID
		}
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	rec := &bottest.Recorder{P: chat.Discord}
	h := bottest.New(t, bottest.Options{School: s, Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{checkin.New()}})
	h.At("10:00")
	e := typed("u1", "d-anna", "ze pesten me elke dag")
	e.Platform, e.Tenant = chat.Discord, "g1"
	handle(t, h, e)
	ms := alertsTo(rec, "d-mulder")
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "kon niet bereiken") || !strings.Contains(ms[0].Text, "de Vries") {
		t.Fatalf("care's alert does not name the unreachable mentor: %+v", ms)
	}
	h.Clock.Set(h.Clock.Now().Add(30 * time.Minute))
	h.Tick()
	root := alertsTo(rec, "d-root")
	if len(root) != 1 || !strings.Contains(root[0].Text, "de Vries") {
		t.Fatalf("escalation to the admin: %+v", root)
	}
}
