package checkin

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
)

func TestLevelCommand(t *testing.T) {
	tests := []struct {
		name  string
		actor string
		pupil string
		level string
		ok    bool
		reply string // catalog key of a refusal
		kv    []any
	}{
		{"mentor sets own mentee", "mees", "cas", "shared", true, "", nil},
		{"mentor sets own mentee, any case", "mees", "anna", "SELF", true, "", nil},
		{"mentor refused for another mentor's pupil", "mees", "emma", "self", false, "checkin.level.not_yours", []any{"Name", chat.Literal("Emma Smith")}},
		{"other mentor refused", "noor", "anna", "self", false, "checkin.level.not_yours", []any{"Name", chat.Literal("Anna de Vries")}},
		{"care sets any pupil", "zoe", "emma", "teacher", true, "", nil},
		{"Dutch level name", "mees", "cas", "Gedeeld", true, "", nil},
		{"admin sets any pupil", "root", "dirk", "shared", true, "", nil},
		{"pupil refused", "anna", "cas", "self", false, "checkin.level.not_allowed", nil},
		{"teacher refused", "tess", "cas", "self", false, "checkin.level.not_allowed", nil},
		{"unknown pupil", "zoe", "nobody", "self", false, "checkin.level.unknown_pupil", []any{"Ref", chat.Literal("nobody")}},
		{"staff is not a pupil", "zoe", "mees", "self", false, "checkin.level.unknown_pupil", []any{"Ref", chat.Literal("mees")}},
		{"bad level", "mees", "cas", "expert", false, "checkin.level.bad_level", []any{"Command", "niveau", "Pupil", chat.Literal("cas")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, true)
			res := s.command(tc.actor, "level", map[string]string{"pupil": tc.pupil, "level": tc.level})
			m := one(t, res)
			if m.To.Person != tc.actor || m.Staff {
				t.Errorf("reply to %+v", m.To)
			}
			if res.State != nil || res.Clear || res.Listen {
				t.Errorf("level command touched the actor's state: %+v", res)
			}
			if !tc.ok {
				if len(res.Effects) != 0 {
					t.Errorf("refused but effects %+v", res.Effects)
				}
				if want := s.T(tc.actor, tc.reply, tc.kv...); m.Text != want {
					t.Errorf("reply %q, want %q", m.Text, want)
				}
				return
			}
			level := strings.ToLower(tc.level)
			if level == "gedeeld" {
				level = "shared"
			}
			want := []dialog.Effect{
				dialog.SetProfile{Person: tc.pupil, Fields: map[string]string{"level": level}},
				dialog.Audit{Entry: record.Audit{Time: s.now, Actor: tc.actor, Action: "set-level", Subject: tc.pupil, Detail: level}},
			}
			if len(res.Effects) != 2 {
				t.Fatalf("effects = %+v", res.Effects)
			}
			if sp := res.Effects[0].(dialog.SetProfile); sp.Person != tc.pupil || sp.Fields["level"] != level || len(sp.Fields) != 1 {
				t.Errorf("set profile = %+v, want %+v", sp, want[0])
			}
			if a := res.Effects[1].(dialog.Audit); a != want[1] {
				t.Errorf("audit = %+v, want %+v", a, want[1])
			}
			name := s.person(tc.pupil).Name
			if m.Text != s.T(tc.actor, "checkin.level.saved", "Name", chat.Literal(name), "Level", s.T(tc.actor, "checkin.level."+level)) {
				t.Errorf("reply %q", m.Text)
			}
		})
	}
	t.Run("the new level steers the next check-in", func(t *testing.T) {
		s := newSim(t, false)
		s.command("mees", "level", map[string]string{"pupil": "anna", "level": "self"})
		s.setPlan("2b", s.today(), "Plan")
		s.start("anna")
		s.press("anna", "checkin.open", "skip")
		s.press("anna", "checkin.mood", "3")
		if s.stepOf("anna") != stepGoal {
			t.Errorf("step = %q, want the self-led goal question", s.stepOf("anna"))
		}
	})
}

func TestParsePlan(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Wiskunde 4-8; Lees H3", []string{"Wiskunde 4-8", "Lees H3"}},
		{"- een\n- twee\r\n* drie\n• vier", []string{"een", "twee", "drie", "vier"}},
		{" ; ;\n\n", nil},
		{"alles in één", []string{"alles in één"}},
		{"a;;b;\n;c", []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		if got := ParsePlan(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("ParsePlan(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDayplanCommand(t *testing.T) {
	t.Run("default class", func(t *testing.T) {
		s := newSim(t, false)
		res := s.command("tess", "dayplan", map[string]string{"plan": "Wiskunde 4-8; Lees H3\nEngels"})
		m := one(t, res)
		if len(res.Effects) != 1 {
			t.Fatalf("effects = %+v", res.Effects)
		}
		sc := res.Effects[0].(dialog.SetClass)
		var p DayPlan
		if err := json.Unmarshal([]byte(sc.Fields["dayplan"]), &p); err != nil || sc.Class != "2b" {
			t.Fatalf("set class %+v: %v", sc, err)
		}
		if p.Date != "2026-03-10" || !slices.Equal(p.Items(), []string{"Wiskunde 4-8", "Lees H3", "Engels"}) {
			t.Errorf("plan = %+v", p)
		}
		if !hasText(m, "1. "+chat.Literal("Wiskunde 4-8")) || !hasText(m, "3. "+chat.Literal("Engels")) || !hasText(m, "2B") {
			t.Errorf("reply does not list the items: %q", m.Text)
		}
		if res.State != nil || res.Listen {
			t.Errorf("dayplan touched the teacher's state: %+v", res)
		}
		// Pupils see it the same day.
		s.start("anna")
		s.press("anna", "checkin.open", "skip")
		if m := one(t, s.press("anna", "checkin.mood", "3")); !hasText(m, chat.Literal("Lees H3")) {
			t.Errorf("pupil does not see the plan: %q", m.Text)
		}
	})
	t.Run("one item", func(t *testing.T) {
		s := newSim(t, false)
		m := one(t, s.command("mees", "dayplan", map[string]string{"plan": "Toetsweek", "class": "2b"}))
		if m.Text != s.loc(s.person("mees")).N("checkin.dayplan.saved", 1, "Class", chat.Literal("2B"), "Date", "2026-03-10", "Items", "1. "+chat.Literal("Toetsweek")) {
			t.Errorf("reply %q", m.Text)
		}
	})
	refusals := []struct {
		name  string
		actor string
		args  map[string]string
		key   string
		kv    []any
	}{
		{"empty plan", "tess", map[string]string{"plan": "  ;  "}, "checkin.dayplan.usage", []any{"Command", "dagplan"}},
		{"no plan", "tess", map[string]string{}, "checkin.dayplan.usage", []any{"Command", "dagplan"}},
		{"too long", "tess", map[string]string{"plan": strings.Repeat("x", 1001)}, "checkin.dayplan.too_long", []any{"Len", 1001, "Max", MaxPlan}},
		{"too many items", "tess", map[string]string{"plan": strings.Repeat("x;", 21)}, "checkin.dayplan.too_many", []any{"Count", 21, "Max", MaxPlanItems}},
		{"not your class", "tess", map[string]string{"plan": "a", "class": "3a"}, "checkin.dayplan.not_your_class", []any{"Class", chat.Literal("3A")}},
		{"unknown class", "tess", map[string]string{"plan": "a", "class": "9z"}, "checkin.dayplan.unknown_class", []any{"Class", chat.Literal("9z")}},
		{"care is no teacher", "zoe", map[string]string{"plan": "a"}, "checkin.dayplan.not_allowed", nil},
		{"pupil is no teacher", "anna", map[string]string{"plan": "a"}, "checkin.dayplan.not_allowed", nil},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, true)
			res := s.command(tc.actor, "dayplan", tc.args)
			m := one(t, res)
			if len(res.Effects) != 0 {
				t.Errorf("effects = %+v", res.Effects)
			}
			if want := s.T(tc.actor, tc.key, tc.kv...); m.Text != want {
				t.Errorf("reply %q, want %q", m.Text, want)
			}
		})
	}
	t.Run("teacher without a class", func(t *testing.T) {
		s := newSim(t, false)
		s.person("tess").Classes = nil
		m := one(t, s.command("tess", "dayplan", map[string]string{"plan": "a"}))
		if m.Text != s.T("tess", "checkin.dayplan.no_class", "Command", "dagplan", "Option", "klas") {
			t.Errorf("reply %q", m.Text)
		}
	})
	t.Run("subject teacher of another class", func(t *testing.T) {
		s := newSim(t, false)
		c, _ := s.school.Class("3a")
		c.Subjects = map[string]string{"wiskunde": "tess"}
		res := s.command("tess", "dayplan", map[string]string{"plan": "a", "class": "3a"})
		if len(res.Effects) != 1 || res.Effects[0].(dialog.SetClass).Class != "3a" {
			t.Errorf("effects = %+v", res.Effects)
		}
	})
}
