package checkin

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/dialogs/nod"
)

func TestCommandsAndJobs(t *testing.T) {
	d := New()
	if d.Name() != "checkin" {
		t.Fatalf("Name() = %q", d.Name())
	}
	got := map[string]dialog.CommandSpec{}
	for _, c := range d.Commands() {
		got[c.Name] = c
	}
	for _, name := range []string{"checkin", "away", "dayplan", "level"} {
		if _, ok := got[name]; !ok {
			t.Errorf("command %s missing", name)
		}
	}
	pupil := &config.Person{ID: "p", Roles: []config.Role{config.Pupil}}
	mentor := &config.Person{ID: "m", Roles: []config.Role{config.Mentor}}
	teacher := &config.Person{ID: "t", Roles: []config.Role{config.Teacher}}
	if !got["checkin"].Allowed(pupil) || got["checkin"].Allowed(mentor) {
		t.Error("checkin should be for pupils only")
	}
	if !got["dayplan"].Allowed(teacher) || got["dayplan"].Allowed(pupil) {
		t.Error("dayplan should be for teachers only")
	}
	if !got["level"].Allowed(mentor) || got["level"].Allowed(pupil) || got["level"].Allowed(teacher) {
		t.Error("level should be for mentors, care and admins")
	}
	lv := got["level"].Options
	if len(lv) != 2 || lv[0].Kind != dialog.OptPerson || !lv[0].Required || lv[1].Kind != dialog.OptChoice ||
		!slices.Equal(lv[1].Choices, []string{"teacher", "shared", "self"}) {
		t.Errorf("level options = %+v", lv)
	}
	dp := got["dayplan"].Options
	if len(dp) != 2 || dp[0].Name != "plan" || dp[0].Kind != dialog.OptText || !dp[0].Required || dp[1].Kind != dialog.OptClass || dp[1].Required {
		t.Errorf("dayplan options = %+v", dp)
	}

	c := &config.Class{Schedule: config.Schedule{CheckIn: 8*60 + 15, Reminder: 10 * 60}}
	jobs := d.Jobs(c)
	want := []dialog.Job{
		{Name: "checkin", At: 8*60 + 15, Audience: config.Pupil, Kind: dialog.Start},
		{Name: "reminder", At: 10 * 60, Audience: config.Pupil, Kind: dialog.Remind},
	}
	if !slices.EqualFunc(jobs, want, func(a, b dialog.Job) bool {
		return a.Name == b.Name && a.At == b.At && a.Audience == b.Audience && a.Kind == b.Kind && a.PerClass == b.PerClass && len(a.Days) == 0 && len(b.Days) == 0
	}) {
		t.Errorf("Jobs = %+v, want %+v", jobs, want)
	}
}

func TestStartAsksOpenQuestion(t *testing.T) {
	s := newSim(t, false)
	res := s.start("anna")
	m := one(t, res)
	if !hasText(m, "Anna") || hasText(m, "de Vries") {
		t.Errorf("greeting should use the first name only: %q", m.Text)
	}
	if !hasText(m, s.T("anna", "checkin.open.question")) {
		t.Errorf("no open question in %q", m.Text)
	}
	if got := values(m.Choices); !slices.Equal(got, []string{"skip", "away"}) {
		t.Errorf("choices = %v", got)
	}
	if m.Choices[0].Action != "checkin.open" {
		t.Errorf("action = %q", m.Choices[0].Action)
	}
	if !res.Listen {
		t.Error("should listen for the answer")
	}
	st := s.st("anna")
	if st.Date != "2026-03-10" || st.Step != stepOpen || st.Rec.Person != "anna" || st.Rec.Class != "2b" || !st.Rec.Started.Equal(day1) {
		t.Errorf("state = %+v", st)
	}
	// A second Start the same day (a job re-run) sends nothing and keeps listening.
	res = s.start("anna")
	if len(res.Messages) != 0 || !res.Listen || res.State != nil {
		t.Errorf("second start: %+v", res)
	}
}

// TestLevels walks a whole check-in for each steering level, with and without a plan.
func TestLevels(t *testing.T) {
	const plan = "Wiskunde: opgaven 4-8; Lees hoofdstuk 3\n- Engels woordjes"
	items := []string{"Wiskunde: opgaven 4-8", "Lees hoofdstuk 3", "Engels woordjes"}
	tests := []struct {
		name    string
		pupil   string
		level   string // profile level, "" = roster's
		plan    string // plan date: "today", "yesterday" or ""
		goal    func(s *sim, id string)
		want    string
		wantLvl string
	}{
		{
			name: "teacher-led confirms the plan", pupil: "anna", plan: "today",
			goal: func(s *sim, id string) {
				m := one(t, s.press(id, "checkin.mood", "4"))
				for _, it := range items {
					if !hasText(m, chat.Literal(it)) {
						t.Errorf("plan item %q not shown as literal in %q", it, m.Text)
					}
				}
				if !slices.Equal(values(m.Choices), []string{"ok"}) {
					t.Errorf("choices = %v", values(m.Choices))
				}
				s.press(id, "checkin.plan", "ok")
			},
			want: strings.Join(items, "; "), wantLvl: "teacher",
		},
		{
			name: "teacher-led confirms by typing ok", pupil: "anna", plan: "today",
			goal: func(s *sim, id string) {
				s.press(id, "checkin.mood", "4")
				s.text(id, "Oké!")
			},
			want: strings.Join(items, "; "), wantLvl: "teacher",
		},
		{
			name: "teacher-led without a plan writes own goal", pupil: "anna",
			goal: func(s *sim, id string) {
				m := one(t, s.press(id, "checkin.mood", "4"))
				if !hasText(m, s.T(id, "checkin.goal.noplan", "Max", MaxGoal)) || len(m.Choices) != 0 {
					t.Errorf("want the no-plan goal question, got %q", m.Text)
				}
				s.text(id, "  Hoofdstuk 2 samenvatten  ")
			},
			want: "Hoofdstuk 2 samenvatten", wantLvl: "teacher",
		},
		{
			name: "teacher-led with yesterday's plan writes own goal", pupil: "anna", plan: "yesterday",
			goal: func(s *sim, id string) {
				m := one(t, s.press(id, "checkin.mood", "4"))
				if m.Choices != nil {
					t.Errorf("stale plan offered: %v", values(m.Choices))
				}
				s.text(id, "Eigen doel")
			},
			want: "Eigen doel", wantLvl: "teacher",
		},
		{
			name: "shared chooses an item", pupil: "bram", plan: "today",
			goal: func(s *sim, id string) {
				m := one(t, s.press(id, "checkin.mood", "3"))
				if got := values(m.Choices); !slices.Equal(got, []string{"1", "2", "3", "own"}) {
					t.Errorf("choices = %v", got)
				}
				if m.Choices[1].Label != items[1] || m.Choices[1].Action != "checkin.choose" {
					t.Errorf("choice = %+v", m.Choices[1])
				}
				s.press(id, "checkin.choose", "2")
			},
			want: "Lees hoofdstuk 3", wantLvl: "shared",
		},
		{
			name: "shared chooses by typing the item", pupil: "bram", plan: "today",
			goal: func(s *sim, id string) {
				s.press(id, "checkin.mood", "3")
				s.text(id, "engels woordjes")
			},
			want: "Engels woordjes", wantLvl: "shared",
		},
		{
			name: "shared writes own goal", pupil: "bram", plan: "today",
			goal: func(s *sim, id string) {
				s.press(id, "checkin.mood", "3")
				m := one(t, s.press(id, "checkin.choose", "own"))
				if !hasText(m, s.T(id, "checkin.goal.own", "Max", MaxGoal)) {
					t.Errorf("want the own-goal question, got %q", m.Text)
				}
				s.text(id, "Biologie leren")
			},
			want: "Biologie leren", wantLvl: "shared",
		},
		{
			name: "shared without a plan writes own goal", pupil: "bram",
			goal: func(s *sim, id string) {
				m := one(t, s.press(id, "checkin.mood", "3"))
				if !hasText(m, s.T(id, "checkin.goal.noplan", "Max", MaxGoal)) {
					t.Errorf("want the no-plan goal question, got %q", m.Text)
				}
				s.text(id, "Biologie leren")
			},
			want: "Biologie leren", wantLvl: "shared",
		},
		{
			name: "self-led writes own goal even with a plan", pupil: "cas", plan: "today",
			goal: func(s *sim, id string) {
				m := one(t, s.press(id, "checkin.mood", "5"))
				if !hasText(m, s.T(id, "checkin.goal.question", "Max", MaxGoal)) {
					t.Errorf("want the goal question, got %q", m.Text)
				}
				s.text(id, "Werkstuk afmaken")
			},
			want: "Werkstuk afmaken", wantLvl: "self",
		},
		{
			name: "the mentor's level overrides the roster", pupil: "cas", level: "shared", plan: "today",
			goal: func(s *sim, id string) {
				s.press(id, "checkin.mood", "5")
				s.press(id, "checkin.choose", "1")
			},
			want: "Wiskunde: opgaven 4-8", wantLvl: "shared",
		},
		{
			name: "no level anywhere means teacher-led", pupil: "dirk", plan: "today",
			goal: func(s *sim, id string) {
				s.press(id, "checkin.mood", "2")
				s.press(id, "checkin.plan", "ok")
			},
			want: strings.Join(items, "; "), wantLvl: "teacher",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, false)
			switch tc.plan {
			case "today":
				s.setPlan("2b", s.today(), plan)
			case "yesterday":
				s.setPlan("2b", "2026-03-09", plan)
			}
			id := tc.pupil
			s.profile[id] = map[string]string{}
			if tc.level != "" {
				s.profile[id]["level"] = tc.level
			}
			if id == "dirk" {
				s.person("dirk").Level = ""
			}
			s.start(id)
			m := one(t, s.text(id, "Ik heb zin in de dag"))
			if len(m.Choices) != 5 || m.Choices[0].Action != "checkin.mood" {
				t.Fatalf("want the mood question, got %q %v", m.Text, values(m.Choices))
			}
			tc.goal(s, id)
			if got := s.stepOf(id); got != stepHelp {
				t.Fatalf("after the goal the step is %q, want help", got)
			}
			res := s.press(id, "checkin.help", "no")
			if res.Listen {
				t.Error("still listening after done")
			}
			m = one(t, res)
			if !hasText(m, chat.Literal(tc.want)) {
				t.Errorf("closing line %q does not mention the goal %q", m.Text, tc.want)
			}
			rec, ok := s.checkins[id+"/2026-03-10"]
			if !ok {
				t.Fatal("no check-in saved")
			}
			if rec.Status != record.Done || rec.Goal != tc.want || rec.Level != tc.wantLvl ||
				rec.Open != "Ik heb zin in de dag" || rec.Mood == 0 || rec.Help != "" ||
				!rec.Finished.Equal(s.now) || !rec.Started.Equal(s.now) {
				t.Errorf("record = %+v", rec)
			}
			if p := s.profile[id]; p["goal"] != tc.want || p["goal_date"] != "2026-03-10" {
				t.Errorf("profile = %v", p)
			}
			if s.stepOf(id) != stepDone {
				t.Errorf("state step = %q, want done", s.stepOf(id))
			}
			if len(s.helps) != 0 {
				t.Errorf("help requests = %v", s.helps)
			}
		})
	}
}

func TestSkipOpenQuestion(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(s *sim) dialog.Result
	}{
		{"button", func(s *sim) dialog.Result { return s.press("cas", "checkin.open", "skip") }},
		{"typed label", func(s *sim) dialog.Result { return s.text("cas", "overslaan") }},
		{"typed word", func(s *sim) dialog.Result { return s.text("cas", "Niks.") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, false)
			s.start("cas")
			m := one(t, tc.do(s))
			if len(m.Choices) != 5 || s.stepOf("cas") != stepMood {
				t.Fatalf("want the mood question, got %q", m.Text)
			}
			if st := s.st("cas"); st.Rec.Open != "" {
				t.Errorf("open answer stored: %q", st.Rec.Open)
			}
		})
	}
}

func TestAway(t *testing.T) {
	t.Run("button at the open question", func(t *testing.T) {
		s := newSim(t, false)
		s.start("anna")
		res := s.press("anna", "checkin.open", "away")
		m := one(t, res)
		if m.Text != s.T("anna", "checkin.away.noted") || res.Listen {
			t.Errorf("reply %q listen %v", m.Text, res.Listen)
		}
		rec := s.checkins["anna/2026-03-10"]
		if rec.Status != record.Away || rec.Person != "anna" || rec.Class != "2b" {
			t.Errorf("record = %+v", rec)
		}
		if s.profile["anna"]["away"] != "2026-03-10" {
			t.Errorf("profile = %v", s.profile["anna"])
		}
		// No reminder, no second start.
		if res := s.remind("anna"); len(res.Messages) != 0 || res.Listen {
			t.Errorf("reminder after away: %+v", res)
		}
		if res := s.start("anna"); len(res.Messages) != 0 {
			t.Errorf("start after away: %+v", res)
		}
		// Text now is not an answer to anything.
		if m := one(t, s.text("anna", "hallo")); m.Text != s.T("anna", "checkin.idle", "Command", "incheck", "Help", "hulp") {
			t.Errorf("idle reply = %q", m.Text)
		}
		// The checkin command offers to check in anyway; the button does so.
		m = one(t, s.command("anna", "checkin", nil))
		if m.Text != s.T("anna", "checkin.away.is_away") || len(m.Choices) != 1 || m.Choices[0].Action != "checkin.start" {
			t.Fatalf("checkin while away: %+v", m)
		}
		res = s.press("anna", "checkin.start", "1")
		if m := one(t, res); !res.Listen || s.stepOf("anna") != stepOpen || !slices.Equal(values(m.Choices), []string{"skip", "away"}) {
			t.Errorf("check in anyway: %+v", res)
		}
		// Finishing clears the away mark.
		s.press("anna", "checkin.open", "skip")
		s.press("anna", "checkin.mood", "3")
		s.text("anna", "Doel")
		s.press("anna", "checkin.help", "no")
		if _, ok := s.profile["anna"]["away"]; ok || s.checkins["anna/2026-03-10"].Status != record.Done {
			t.Errorf("after checking in anyway: profile %v record %+v", s.profile["anna"], s.checkins["anna/2026-03-10"])
		}
	})
	t.Run("command mid check-in keeps the answers", func(t *testing.T) {
		s := newSim(t, false)
		s.start("cas")
		s.text("cas", "Ik voel me ziek")
		s.press("cas", "checkin.mood", "2")
		res := s.command("cas", "away", nil)
		if m := one(t, res); m.Text != s.T("cas", "checkin.away.noted") || res.Listen {
			t.Errorf("away reply %+v", res)
		}
		rec := s.checkins["cas/2026-03-10"]
		if rec.Status != record.Away || rec.Mood != 2 || rec.Open != "Ik voel me ziek" {
			t.Errorf("record = %+v", rec)
		}
		if s.stepOf("cas") != stepAway {
			t.Errorf("step = %q", s.stepOf("cas"))
		}
		// An old mood button after away points at /incheck.
		if m := one(t, s.press("cas", "checkin.mood", "4")); m.Text != s.T("cas", "checkin.old_button", "Command", "incheck") {
			t.Errorf("old button after away: %q", m.Text)
		}
	})
	t.Run("command before any check-in", func(t *testing.T) {
		s := newSim(t, false)
		res := s.command("emma", "away", nil)
		if m := one(t, res); m.Text != s.T("emma", "checkin.away.noted") || !strings.Contains(m.Text, "away today") {
			t.Errorf("reply %q", m.Text)
		}
		if rec := s.checkins["emma/2026-03-10"]; rec.Status != record.Away || rec.Class != "3a" {
			t.Errorf("record = %+v", rec)
		}
		if res := s.start("emma"); len(res.Messages) != 0 {
			t.Errorf("morning start after away: %+v", res.Messages)
		}
	})
	t.Run("after finishing changes nothing", func(t *testing.T) {
		s := newSim(t, false)
		finish(s, "cas", "Doel")
		n := len(s.saved)
		res := s.command("cas", "away", nil)
		if m := one(t, res); m.Text != s.T("cas", "checkin.away.after_done") || len(res.Effects) != 0 {
			t.Errorf("away after done: %+v", res)
		}
		if len(s.saved) != n || s.checkins["cas/2026-03-10"].Status != record.Done {
			t.Error("the finished check-in was changed")
		}
	})
	t.Run("away yesterday does not hold today", func(t *testing.T) {
		s := newSim(t, false)
		s.command("cas", "away", nil)
		s.nextDay(1)
		if res := s.start("cas"); len(res.Messages) != 1 || !res.Listen {
			t.Errorf("start the next day: %+v", res)
		}
	})
}

// finish runs a whole self-led check-in for id with goal and no help.
func finish(s *sim, id, goal string) {
	s.t.Helper()
	s.start(id)
	s.press(id, "checkin.open", "skip")
	s.press(id, "checkin.mood", "4")
	if s.stepOf(id) == stepPrev {
		s.press(id, "checkin.prev", "met")
	}
	s.text(id, goal)
	s.press(id, "checkin.help", "no")
	if s.stepOf(id) != stepDone {
		s.t.Fatalf("check-in of %s not done: step %q", id, s.stepOf(id))
	}
}

func TestPreviousGoal(t *testing.T) {
	tests := []struct {
		name       string
		do         func(s *sim)
		wantResult record.GoalResult
		wantGoal   string
	}{
		{"met", func(s *sim) {
			s.press("cas", "checkin.prev", "met")
			if s.stepOf("cas") != stepGoal {
				t.Errorf("after met: step %q", s.stepOf("cas"))
			}
			s.text("cas", "Nieuw doel")
		}, record.GoalMet, "Nieuw doel"},
		{"partly and keep", func(s *sim) {
			m := one(t, s.press("cas", "checkin.prev", "partly"))
			if !slices.Equal(values(m.Choices), []string{"keep", "drop"}) {
				t.Fatalf("carry choices = %v", values(m.Choices))
			}
			m = one(t, s.press("cas", "checkin.carry", "keep"))
			if s.stepOf("cas") != stepHelp || !slices.Equal(values(m.Choices), []string{"no"}) {
				t.Errorf("keep should skip to help: step %q", s.stepOf("cas"))
			}
		}, record.GoalPartly, "Hoofdstuk 4 leren"},
		{"not and drop", func(s *sim) {
			s.press("cas", "checkin.prev", "not")
			s.press("cas", "checkin.carry", "drop")
			if s.stepOf("cas") != stepGoal {
				t.Errorf("after drop: step %q", s.stepOf("cas"))
			}
			s.text("cas", "Iets anders")
		}, record.GoalNot, "Iets anders"},
		{"typed labels", func(s *sim) {
			s.text("cas", "deels")
			s.text("cas", "meenemen")
		}, record.GoalPartly, "Hoofdstuk 4 leren"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, false)
			s.profile["cas"] = map[string]string{"goal": "Hoofdstuk 4 leren", "goal_date": "2026-03-06"}
			s.start("cas")
			s.press("cas", "checkin.open", "skip")
			m := one(t, s.press("cas", "checkin.mood", "4"))
			if !hasText(m, chat.Literal("Hoofdstuk 4 leren")) || !slices.Equal(values(m.Choices), []string{"met", "partly", "not"}) {
				t.Fatalf("want the previous goal question, got %q %v", m.Text, values(m.Choices))
			}
			tc.do(s)
			s.press("cas", "checkin.help", "no")
			rec := s.checkins["cas/2026-03-10"]
			if rec.PrevGoal != "Hoofdstuk 4 leren" || rec.PrevResult != tc.wantResult || rec.Goal != tc.wantGoal || rec.Status != record.Done {
				t.Errorf("record = %+v", rec)
			}
			if s.profile["cas"]["goal"] != tc.wantGoal || s.profile["cas"]["goal_date"] != "2026-03-10" {
				t.Errorf("profile = %v", s.profile["cas"])
			}
		})
	}
	t.Run("goal set today is not asked about", func(t *testing.T) {
		s := newSim(t, false)
		s.profile["cas"] = map[string]string{"goal": "Vandaag", "goal_date": "2026-03-10"}
		s.start("cas")
		s.press("cas", "checkin.open", "skip")
		s.press("cas", "checkin.mood", "4")
		if s.stepOf("cas") != stepGoal {
			t.Errorf("step = %q, want goal", s.stepOf("cas"))
		}
	})
	t.Run("the next day asks about the goal set today", func(t *testing.T) {
		s := newSim(t, false)
		finish(s, "cas", "Werkstuk afmaken")
		s.nextDay(1)
		s.start("cas")
		s.press("cas", "checkin.open", "skip")
		m := one(t, s.press("cas", "checkin.mood", "4"))
		if s.stepOf("cas") != stepPrev || !hasText(m, chat.Literal("Werkstuk afmaken")) {
			t.Errorf("step %q text %q", s.stepOf("cas"), m.Text)
		}
	})
}

// TestBadInput never advances on bad input and never loses earlier answers.
func TestBadInput(t *testing.T) {
	long := strings.Repeat("a", 10000)
	tests := []struct {
		name   string
		at     string // step to reach first
		pupil  string
		do     func(s *sim, id string) dialog.Result
		reason string // catalog key of the re-ask line
		kv     []any
	}{
		{"text for mood", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.text(id, "banaan") }, "checkin.reask.mood", nil},
		{"seven for mood", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.text(id, "7") }, "checkin.reask.mood", nil},
		{"zero for mood", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.text(id, "0") }, "checkin.reask.mood", nil},
		{"empty for mood", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.text(id, "  ") }, "checkin.reask.mood", nil},
		{"huge text for mood", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.text(id, long) }, "checkin.reask.mood", nil},
		{"forged mood button", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.press(id, "checkin.mood", "9") }, "checkin.reask.mood", nil},
		{"old open button at mood", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.press(id, "checkin.open", "skip") }, "checkin.reask.old_button", nil},
		{"old away button at mood", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.press(id, "checkin.open", "away") }, "checkin.reask.old_button", nil},
		{"form at mood", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.step(s.input(id, dialog.Form)) }, "checkin.reask.choose", nil},
		{"empty open answer", stepOpen, "cas", func(s *sim, id string) dialog.Result { return s.text(id, "") }, "checkin.reask.empty", nil},
		{"huge open answer", stepOpen, "cas", func(s *sim, id string) dialog.Result { return s.text(id, long) }, "checkin.reask.too_long", []any{"Max", MaxAnswer, "Len", 10000}},
		{"1001 open answer", stepOpen, "cas", func(s *sim, id string) dialog.Result { return s.text(id, strings.Repeat("é", 1001)) }, "checkin.reask.too_long", []any{"Max", MaxAnswer, "Len", 1001}},
		{"empty goal", stepGoal, "cas", func(s *sim, id string) dialog.Result { return s.text(id, " \n ") }, "checkin.reask.empty", nil},
		{"301 goal", stepGoal, "cas", func(s *sim, id string) dialog.Result { return s.text(id, strings.Repeat("x", 301)) }, "checkin.reask.too_long", []any{"Max", MaxGoal, "Len", 301}},
		{"old mood button at goal", stepGoal, "cas", func(s *sim, id string) dialog.Result { return s.press(id, "checkin.mood", "5") }, "checkin.reask.old_button", nil},
		{"huge help", stepHelp, "cas", func(s *sim, id string) dialog.Result { return s.text(id, long) }, "checkin.reask.too_long", []any{"Max", MaxAnswer, "Len", 10000}},
		{"text for plan", stepPlan, "anna", func(s *sim, id string) dialog.Result { return s.text(id, "misschien later") }, "checkin.reask.choose", nil},
		{"text for choice", stepChoose, "bram", func(s *sim, id string) dialog.Result { return s.text(id, "iets") }, "checkin.reask.choose", nil},
		{"out of range item", stepChoose, "bram", func(s *sim, id string) dialog.Result { return s.press(id, "checkin.choose", "4") }, "checkin.reask.choose", nil},
		{"typed number out of range", stepChoose, "bram", func(s *sim, id string) dialog.Result { return s.text(id, "9") }, "checkin.reask.choose", nil},
		{"text for previous goal", stepPrev, "cas", func(s *sim, id string) dialog.Result { return s.text(id, "weet ik niet") }, "checkin.reask.choose", nil},
		{"text for carry", stepCarry, "cas", func(s *sim, id string) dialog.Result { return s.text(id, "hmm") }, "checkin.reask.choose", nil},
		{"foreign action", stepMood, "cas", func(s *sim, id string) dialog.Result { return s.press(id, "checkin.bogus", "1") }, "checkin.reask.old_button", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, false)
			id := tc.pupil
			s.setPlan("2b", s.today(), "Eén; Twee; Drie")
			if tc.at == stepPrev || tc.at == stepCarry {
				s.profile[id] = map[string]string{"goal": "Oud doel", "goal_date": "2026-03-09"}
			}
			reach(t, s, id, tc.at)
			before := s.st(id)
			res := tc.do(s, id)
			m := one(t, res)
			reason := s.T(id, tc.reason, tc.kv...)
			if !strings.HasPrefix(m.Text, reason+"\n\n") {
				t.Errorf("reply %q does not start with %q", m.Text, reason)
			}
			after := s.st(id)
			if after.Step != tc.at {
				t.Errorf("step moved from %s to %s", tc.at, after.Step)
			}
			if after.Rec.Open != before.Rec.Open || after.Rec.Mood != before.Rec.Mood || after.Rec.Goal != before.Rec.Goal || after.Rec.Help != before.Rec.Help {
				t.Errorf("answers changed: %+v -> %+v", before.Rec, after.Rec)
			}
			if !res.Listen {
				t.Error("stopped listening on bad input")
			}
			// The re-ask repeats the question with its choices.
			wantChoices := map[string]int{stepOpen: 2, stepMood: 5, stepGoal: 0, stepHelp: 1, stepPlan: 1, stepChoose: 4, stepPrev: 3, stepCarry: 2}[tc.at]
			if len(m.Choices) != wantChoices {
				t.Errorf("re-ask has %d choices, want %d", len(m.Choices), wantChoices)
			}
			if len(res.Effects) != 0 || len(s.helps) != 0 {
				t.Errorf("bad input had effects: %+v", res.Effects)
			}
		})
	}
}

// reach answers questions until id's check-in is at step.
func reach(t *testing.T, s *sim, id, step string) {
	t.Helper()
	s.start(id)
	answers := map[string]func(){
		stepOpen:   func() { s.text(id, "Gewoon een dag") },
		stepMood:   func() { s.press(id, "checkin.mood", "3") },
		stepPrev:   func() { s.press(id, "checkin.prev", "partly") },
		stepCarry:  func() { s.press(id, "checkin.carry", "drop") },
		stepGoal:   func() { s.text(id, "Een doel") },
		stepPlan:   func() { s.press(id, "checkin.plan", "ok") },
		stepChoose: func() { s.press(id, "checkin.choose", "1") },
	}
	for i := 0; s.stepOf(id) != step; i++ {
		if i > 10 {
			t.Fatalf("cannot reach step %s for %s", step, id)
		}
		a, ok := answers[s.stepOf(id)]
		if !ok {
			t.Fatalf("stuck at %s on the way to %s", s.stepOf(id), step)
		}
		a()
	}
}

func TestAcceptedAnswers(t *testing.T) {
	tests := []struct {
		name  string
		lang  string
		do    func(s *sim) dialog.Result
		check func(t *testing.T, s *sim)
	}{
		{"typed mood number", "nl", func(s *sim) dialog.Result { return s.text("cas", " 4 ") },
			func(t *testing.T, s *sim) { wantMood(t, s, 4) }},
		{"typed Dutch mood word", "nl", func(s *sim) dialog.Result { return s.text("cas", "niet zo goed") },
			func(t *testing.T, s *sim) { wantMood(t, s, 2) }},
		{"typed English mood word", "en", func(s *sim) dialog.Result { return s.text("cas", "GREAT!") },
			func(t *testing.T, s *sim) { wantMood(t, s, 5) }},
		{"300 character goal", "nl", func(s *sim) dialog.Result {
			s.press("cas", "checkin.mood", "3")
			return s.text("cas", strings.Repeat("ü", 300))
		}, func(t *testing.T, s *sim) {
			if st := s.st("cas"); st.Step != stepHelp || st.Rec.Goal != strings.Repeat("ü", 300) {
				t.Errorf("state = %+v", st)
			}
		}},
		{"typed no at help", "nl", func(s *sim) dialog.Result {
			s.press("cas", "checkin.mood", "3")
			s.text("cas", "Doel")
			return s.text("cas", "Nee, dank je!")
		}, func(t *testing.T, s *sim) {
			if s.stepOf("cas") != stepDone || len(s.helps) != 0 || s.checkins["cas/2026-03-10"].Help != "" {
				t.Errorf("typed no: step %s helps %v", s.stepOf("cas"), s.helps)
			}
		}},
		{"typed no thanks in English", "en", func(s *sim) dialog.Result {
			s.press("cas", "checkin.mood", "3")
			s.text("cas", "Goal")
			return s.text("cas", "nothing")
		}, func(t *testing.T, s *sim) {
			if s.stepOf("cas") != stepDone || len(s.helps) != 0 {
				t.Errorf("typed nothing: step %s helps %v", s.stepOf("cas"), s.helps)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, false)
			s.lang = tc.lang
			s.start("cas")
			s.press("cas", "checkin.open", "skip")
			tc.do(s)
			tc.check(t, s)
		})
	}
}

func wantMood(t *testing.T, s *sim, m int) {
	t.Helper()
	st := s.st("cas")
	if st.Rec.Mood != m || st.Step != stepGoal {
		t.Errorf("mood %d step %s, want %d and goal", st.Rec.Mood, st.Step, m)
	}
}

func TestHelpRequest(t *testing.T) {
	s := newSim(t, false)
	s.start("cas")
	s.press("cas", "checkin.open", "skip")
	s.press("cas", "checkin.mood", "3")
	s.text("cas", "Wiskunde")
	res := s.text("cas", "Ik snap breuken niet")
	if res.Listen || s.stepOf("cas") != stepDone {
		t.Fatalf("not done after help: %+v", res)
	}
	if len(s.helps) != 1 {
		t.Fatalf("help requests = %v", s.helps)
	}
	h := s.helps[0]
	want := record.HelpRequest{ID: "cas-2026-03-10", Person: "cas", Class: "2b", Text: "Ik snap breuken niet", Source: "checkin", Created: s.now, State: "open"}
	if h != want {
		t.Errorf("help = %+v, want %+v", h, want)
	}
	if rec := s.checkins["cas/2026-03-10"]; rec.Help != "Ik snap breuken niet" {
		t.Errorf("record help = %q", rec.Help)
	}
	var closing, relay []chat.Message
	for _, m := range res.Messages {
		if m.Staff {
			relay = append(relay, m)
		} else {
			closing = append(closing, m)
		}
	}
	if len(closing) != 1 || !hasText(closing[0], s.T("cas", "checkin.done.help")) {
		t.Errorf("closing line does not mention the help question: %+v", closing)
	}
	// The request reaches a person today: the mentor, privately, with the pupil's words.
	if len(relay) != 1 || relay[0].To.Person != "mees" || !strings.Contains(relay[0].Text, chat.Literal("Ik snap breuken niet")) {
		t.Fatalf("help request relayed as %+v, want one staff message to the mentor quoting it", relay)
	}
	// One press nods to the pupil (dialogs/nod): "your mentor has seen your check-in".
	if c := relay[0].Choices; len(c) != 1 || c[0].Action != nod.ActionNod || c[0].Value != "cas" {
		t.Errorf("the mentor's copy offers %+v, want the nod to cas", c)
	}
}

func TestCheckinCommand(t *testing.T) {
	s := newSim(t, false)
	// No check-in yet: the command starts one.
	res := s.command("cas", "checkin", nil)
	if m := one(t, res); !res.Listen || s.stepOf("cas") != stepOpen || len(m.Choices) != 2 {
		t.Fatalf("start by command: %+v", res)
	}
	s.text("cas", "Toets vandaag")
	// Open: the command re-asks the current question, nothing is lost.
	res = s.command("cas", "checkin", nil)
	m := one(t, res)
	if !strings.HasPrefix(m.Text, s.T("cas", "checkin.resume")) || len(m.Choices) != 5 || !res.Listen {
		t.Errorf("resume: %+v", res)
	}
	if st := s.st("cas"); st.Step != stepMood || st.Rec.Open != "Toets vandaag" {
		t.Errorf("state after resume = %+v", st)
	}
	s.press("cas", "checkin.mood", "4")
	s.text("cas", "Leren voor de toets")
	s.press("cas", "checkin.help", "no")
	// Done: the command says so, with the goal.
	res = s.command("cas", "checkin", nil)
	m = one(t, res)
	if m.Text != s.T("cas", "checkin.already_done", "Goal", chat.Literal("Leren voor de toets")) || res.Listen || len(res.Effects) != 0 {
		t.Errorf("already done: %+v", res)
	}
	// An old button after finishing is answered politely, without changing anything.
	n := len(s.saved)
	m = one(t, s.press("cas", "checkin.mood", "1"))
	if m.Text != s.T("cas", "checkin.already_done", "Goal", chat.Literal("Leren voor de toets")) || len(s.saved) != n {
		t.Errorf("old button after done: %q", m.Text)
	}
	if s.checkins["cas/2026-03-10"].Mood != 4 {
		t.Error("an old button changed the mood")
	}
	// Start and reminder stay silent once done.
	if res := s.start("cas"); len(res.Messages) != 0 || res.Listen {
		t.Errorf("start after done: %+v", res)
	}
	if res := s.remind("cas"); len(res.Messages) != 0 {
		t.Errorf("reminder after done: %+v", res)
	}
}

func TestIdleText(t *testing.T) {
	for _, lang := range []string{"nl", "en"} {
		s := newSim(t, false)
		s.lang = lang
		res := s.text("cas", "hoi")
		m := one(t, res)
		want := "/" + s.T("cas", "cmd.checkin.name")
		if !hasText(m, want) || !hasText(m, "/"+s.T("cas", "cmd.help.name")) || res.Listen || res.State != nil {
			t.Errorf("%s idle reply %q", lang, m.Text)
		}
		m = one(t, s.press("cas", "checkin.mood", "3"))
		if m.Text != s.T("cas", "checkin.old_button", "Command", s.T("cas", "cmd.checkin.name")) {
			t.Errorf("%s: button without a check-in: %q", lang, m.Text)
		}
	}
}

func TestStaffNeverCheckIn(t *testing.T) {
	s := newSim(t, false)
	for _, id := range []string{"mees", "tess", "root"} {
		for _, kind := range []dialog.InputKind{dialog.Start, dialog.Remind, dialog.Text} {
			res := s.step(s.input(id, kind))
			if len(res.Messages) != 0 || len(res.Effects) != 0 || res.State != nil || res.Listen {
				t.Errorf("%s %s: %+v", id, kind, res)
			}
		}
	}
}

func TestReminder(t *testing.T) {
	t.Run("once for an open check-in", func(t *testing.T) {
		s := newSim(t, false)
		s.start("cas")
		s.text("cas", "Druk")
		s.now = s.now.Add(105 * 60e9)
		res := s.remind("cas")
		m := one(t, res)
		if !strings.HasPrefix(m.Text, s.T("cas", "checkin.remind.intro")) || !hasText(m, s.T("cas", "checkin.mood.question")) || len(m.Choices) != 5 {
			t.Errorf("reminder %q %v", m.Text, values(m.Choices))
		}
		if !res.Listen || !s.st("cas").Reminded {
			t.Error("reminder should keep listening and be remembered")
		}
		res = s.remind("cas")
		if len(res.Messages) != 0 || !res.Listen {
			t.Errorf("second reminder: %+v", res)
		}
		// The pupil can still finish, and the answers before the reminder are kept.
		s.press("cas", "checkin.mood", "4")
		s.text("cas", "Doel")
		s.press("cas", "checkin.help", "no")
		if rec := s.checkins["cas/2026-03-10"]; rec.Open != "Druk" || rec.Mood != 4 || rec.Status != record.Done {
			t.Errorf("record = %+v", rec)
		}
	})
	t.Run("starts the check-in when there is none", func(t *testing.T) {
		s := newSim(t, false)
		res := s.remind("anna")
		m := one(t, res)
		if !strings.HasPrefix(m.Text, s.T("anna", "checkin.remind.start", "Name", chat.Literal("Anna"))) || len(m.Choices) != 2 || !res.Listen {
			t.Errorf("reminder start: %+v", res)
		}
		if res := s.remind("anna"); len(res.Messages) != 0 {
			t.Errorf("second reminder: %+v", res.Messages)
		}
	})
	t.Run("stays quiet right after the check-in went out", func(t *testing.T) {
		s := newSim(t, false)
		s.start("anna")
		s.now = s.now.Add(FreshCheckIn - time.Minute)
		if res := s.remind("anna"); len(res.Messages) != 0 {
			t.Errorf("a reminder nagged %v after the check-in: %+v", FreshCheckIn-time.Minute, res.Messages)
		}
	})
	t.Run("greets a pupil who has not answered yet", func(t *testing.T) {
		s := newSim(t, false)
		s.start("anna")
		s.now = s.now.Add(2 * time.Hour)
		m := one(t, s.remind("anna"))
		if !strings.HasPrefix(m.Text, s.T("anna", "checkin.remind.start", "Name", chat.Literal("Anna"))+"\n\n") || len(m.Choices) != 2 {
			t.Errorf("reminder %q", m.Text)
		}
		if res := s.remind("anna"); len(res.Messages) != 0 {
			t.Errorf("second reminder: %+v", res.Messages)
		}
	})
	t.Run("not when away by profile", func(t *testing.T) {
		s := newSim(t, false)
		s.start("anna")
		s.profile["anna"]["away"] = s.today()
		if res := s.remind("anna"); len(res.Messages) != 0 {
			t.Errorf("reminder while away: %+v", res.Messages)
		}
	})
	t.Run("a new day has a new reminder", func(t *testing.T) {
		s := newSim(t, false)
		s.remind("cas")
		s.nextDay(1)
		if res := s.remind("cas"); len(res.Messages) != 1 {
			t.Errorf("reminder on the next day: %+v", res.Messages)
		}
	})
}

func TestRollover(t *testing.T) {
	t.Run("partial", func(t *testing.T) {
		s := newSim(t, false)
		s.start("cas")
		s.text("cas", "Moe")
		s.press("cas", "checkin.mood", "2")
		s.nextDay(1)
		res := s.start("cas")
		rec, ok := s.checkins["cas/2026-03-10"]
		if !ok || rec.Status != record.Partial || rec.Open != "Moe" || rec.Mood != 2 || rec.Date != "2026-03-10" {
			t.Errorf("yesterday's record = %+v", rec)
		}
		if st := s.st("cas"); st.Date != "2026-03-11" || st.Step != stepOpen || st.Rec.Mood != 0 {
			t.Errorf("today's state = %+v", st)
		}
		if len(res.Messages) != 1 || !res.Listen {
			t.Errorf("today's start: %+v", res)
		}
	})
	t.Run("skipping the open question counts as partial", func(t *testing.T) {
		s := newSim(t, false)
		s.start("cas")
		s.press("cas", "checkin.open", "skip")
		s.nextDay(1)
		s.start("cas")
		if rec := s.checkins["cas/2026-03-10"]; rec.Status != record.Partial {
			t.Errorf("record = %+v", rec)
		}
	})
	t.Run("missed", func(t *testing.T) {
		s := newSim(t, false)
		s.start("cas")
		s.nextDay(3) // over a weekend
		s.start("cas")
		if rec := s.checkins["cas/2026-03-10"]; rec.Status != record.Missed || rec.Person != "cas" || rec.Class != "2b" {
			t.Errorf("record = %+v", rec)
		}
	})
	t.Run("finished days are not recorded again", func(t *testing.T) {
		s := newSim(t, false)
		finish(s, "cas", "Doel")
		n := len(s.saved)
		s.nextDay(1)
		s.start("cas")
		if len(s.saved) != n {
			t.Errorf("extra records: %+v", s.saved[n:])
		}
	})
	t.Run("text on a new day records and clears", func(t *testing.T) {
		s := newSim(t, false)
		s.start("cas")
		s.nextDay(1)
		res := s.text("cas", "hallo?")
		if rec := s.checkins["cas/2026-03-10"]; rec.Status != record.Missed {
			t.Errorf("record = %+v", rec)
		}
		if !res.Clear || res.Listen || s.state["cas"] != nil {
			t.Errorf("result = %+v", res)
		}
		if m := one(t, res); m.Text != s.T("cas", "checkin.idle", "Command", "incheck", "Help", "hulp") {
			t.Errorf("reply = %q", m.Text)
		}
	})
	t.Run("unreadable state starts afresh", func(t *testing.T) {
		s := newSim(t, false)
		for _, bad := range []string{"{not json", `{"date":"2026-03-10","step":"later"}`, `{"step":"mood"}`} {
			s.state["cas"] = []byte(bad)
			if res := s.start("cas"); len(res.Messages) != 1 || s.stepOf("cas") != stepOpen {
				t.Errorf("start over state %s: %+v", bad, res)
			}
		}
	})
}

func TestAlertWords(t *testing.T) {
	tests := []struct {
		name   string
		pupil  string
		lang   string
		open   string
		help   string
		alert  bool
		mentor string
	}{
		{"Dutch word in the open answer", "cas", "nl", "Ik word gepest in de klas @everyone", "", true, "mees"},
		{"English word in an English class", "emma", "en", "I got BULLIED again", "", true, "noor"},
		{"Dutch phrase in an English class", "emma", "en", "ik zou dood willen zijn", "", true, "noor"},
		{"English phrase in a Dutch class", "cas", "nl", "soms wil ik kill myself zeggen", "", true, "mees"},
		{"word in the help answer", "cas", "nl", "", "ze hebben me gepest <!channel>", true, "mees"},
		{"part of a longer word", "cas", "nl", "ongepest en doodmoe", "", false, ""},
		{"nothing alarming", "cas", "nl", "Zin in gym", "Breuken", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, false)
			s.lang = tc.lang
			id := tc.pupil
			s.start(id)
			var staff []chat.Message
			collect := func(res dialog.Result) {
				for _, m := range res.Messages {
					if m.Staff {
						staff = append(staff, m)
					} else if m.To.Person != id {
						t.Errorf("message to %s", m.To.Person)
					}
				}
			}
			if tc.open != "" {
				collect(s.text(id, tc.open))
			} else {
				s.press(id, "checkin.open", "skip")
			}
			s.press(id, "checkin.mood", "3")
			s.text(id, "Doel")
			if tc.help != "" {
				collect(s.text(id, tc.help))
			} else {
				s.press(id, "checkin.help", "no")
			}
			if !tc.alert {
				for _, m := range staff {
					if strings.Contains(m.Text, "⚠️") {
						t.Errorf("unexpected alert: %+v", m)
					}
				}
				return
			}
			if len(staff) != 1 {
				t.Fatalf("want 1 alert, got %+v", staff)
			}
			m := staff[0]
			if m.To != (chat.Target{Kind: chat.ToPerson, Person: tc.mentor}) || len(m.Mentions) != 0 || m.Ephemeral {
				t.Errorf("alert addressed %+v", m)
			}
			answer := tc.open + tc.help
			if !hasText(m, chat.Literal(answer)) {
				t.Errorf("alert does not quote the answer as a literal: %q", m.Text)
			}
			name := s.person(id).Name
			if !hasText(m, name) {
				t.Errorf("alert does not name the pupil: %q", m.Text)
			}
			// Everything the pupil typed stays inside a literal segment.
			for _, seg := range chat.Segments(m.Text) {
				if !seg.Literal && (strings.Contains(seg.Text, "@everyone") || strings.Contains(seg.Text, "<!channel>")) {
					t.Errorf("pupil text outside a literal: %q", seg.Text)
				}
			}
		})
	}
	t.Run("care contact sees it too", func(t *testing.T) {
		s := newSim(t, true)
		s.start("cas")
		res := s.text("cas", "gepest")
		var to []string
		for _, m := range res.Messages {
			if m.Staff {
				to = append(to, m.To.Person)
			}
		}
		if !slices.Equal(to, []string{"mees", "zoe"}) {
			t.Errorf("alert recipients = %v", to)
		}
	})
}

func TestLowMoodRun(t *testing.T) {
	tests := []struct {
		run     string
		mood    string
		wantRun string
		alert   bool
	}{
		{"", "1", "1", false},
		{"1", "1", "2", false},
		{"2", "1", "", true},
		{"2", "2", "", false},
		{"5", "1", "", true},
		{"", "4", "", false},
	}
	for _, tc := range tests {
		s := newSim(t, false)
		s.profile["cas"] = map[string]string{}
		if tc.run != "" {
			s.profile["cas"]["lowrun"] = tc.run
		}
		s.start("cas")
		s.press("cas", "checkin.open", "skip")
		res := s.press("cas", "checkin.mood", tc.mood)
		if got := s.profile["cas"]["lowrun"]; got != tc.wantRun {
			t.Errorf("run %q mood %s: lowrun %q, want %q", tc.run, tc.mood, got, tc.wantRun)
		}
		var alerts []chat.Message
		for _, m := range res.Messages {
			if m.Staff {
				alerts = append(alerts, m)
			}
		}
		if tc.alert != (len(alerts) == 1) || len(alerts) > 1 {
			t.Errorf("run %q mood %s: alerts %+v", tc.run, tc.mood, alerts)
		}
		if len(alerts) == 1 && (alerts[0].To.Person != "mees" || !hasText(alerts[0], "Cas Bakker")) {
			t.Errorf("alert = %+v", alerts[0])
		}
	}
	t.Run("three days in a row", func(t *testing.T) {
		s := newSim(t, false)
		var alerts int
		for day := 0; day < 6; day++ {
			s.start("cas")
			s.press("cas", "checkin.open", "skip")
			for _, m := range s.press("cas", "checkin.mood", "1").Messages {
				if m.Staff {
					alerts++
				}
			}
			if s.stepOf("cas") == stepPrev {
				s.press("cas", "checkin.prev", "met")
			}
			s.text("cas", "Doel")
			s.press("cas", "checkin.help", "no")
			if day == 2 && alerts != 1 {
				t.Fatalf("after three days: %d alerts", alerts)
			}
			s.nextDay(1)
		}
		if alerts != 2 {
			t.Errorf("six days of mood 1 gave %d alerts, want 2", alerts)
		}
	})
}

func TestSharedManyItems(t *testing.T) {
	s := newSim(t, false)
	s.caps = chat.Capabilities{}
	long := strings.Repeat("lang ", 30)
	s.setPlan("2b", s.today(), "a;b;c;d;e;f;g;"+long)
	s.start("bram")
	s.press("bram", "checkin.open", "skip")
	m := one(t, s.press("bram", "checkin.mood", "3"))
	if len(m.Choices) != 9 || m.Choices[8].Value != "own" {
		t.Fatalf("choices = %v", values(m.Choices))
	}
	if l := []rune(m.Choices[7].Label); len(l) != 80 || l[79] != '…' {
		t.Errorf("long label not clipped: %q", m.Choices[7].Label)
	}
	// A typed number picks the item, as a platform without buttons numbers them.
	s.text("bram", "7")
	if st := s.st("bram"); st.Step != stepHelp || st.Rec.Goal != "g" {
		t.Errorf("state = %+v", st)
	}
	// The plan changing mid-check-in does not change what the numbers mean.
	s2 := newSim(t, false)
	s2.setPlan("2b", s2.today(), "x;y")
	s2.start("bram")
	s2.press("bram", "checkin.open", "skip")
	s2.press("bram", "checkin.mood", "3")
	s2.setPlan("2b", s2.today(), "p;q")
	s2.press("bram", "checkin.choose", "2")
	if g := s2.st("bram").Rec.Goal; g != "y" {
		t.Errorf("goal = %q, want the offered item y", g)
	}
	// Typing the last choice's number picks "my own goal".
	s3 := newSim(t, false)
	s3.setPlan("2b", s3.today(), "x;y")
	s3.start("bram")
	s3.press("bram", "checkin.open", "skip")
	s3.press("bram", "checkin.mood", "3")
	s3.text("bram", "3")
	if s3.stepOf("bram") != stepGoal {
		t.Errorf("step = %q", s3.stepOf("bram"))
	}
}

// TestAnswerFormsWherePlatformHasThem: on a platform with forms, each free-text
// question comes with a form, and a submitted form answers the step like typed text.
func TestAnswerFormsWherePlatformHasThem(t *testing.T) {
	s := newSim(t, false)
	s.caps = chat.Capabilities{Buttons: true, Forms: true}
	res := s.start("cas")
	m := one(t, res)
	if m.Form == nil || m.Form.Action != "checkin.open" || len(m.Form.Fields) != 1 || m.Form.Fields[0].MaxLen != MaxAnswer {
		t.Fatalf("open question form = %+v", m.Form)
	}
	in := s.input("cas", dialog.Form)
	in.Action, in.Fields = "checkin.open", map[string]string{FormField: "Toets vandaag"}
	s.step(in)
	if st := s.st("cas"); st.Step != stepMood || st.Rec.Open != "Toets vandaag" {
		t.Fatalf("after the form: %+v", st)
	}
	// A stale form (for a step already answered) changes nothing.
	s.step(in)
	if st := s.st("cas"); st.Step != stepMood || st.Rec.Open != "Toets vandaag" {
		t.Fatalf("a stale form changed the state: %+v", st)
	}
	if m := one(t, s.press("cas", "checkin.mood", "3")); m.Form != nil && m.Form.Action == "checkin.mood" {
		t.Fatal("a choice question offered a form")
	}
}

// TestTooLongSaysWhatIsKept: the re-ask for a too-long answer says that only this answer
// was refused, that earlier answers stay, and how long it may be.
func TestTooLongSaysWhatIsKept(t *testing.T) {
	s := newSim(t, false)
	reach(t, s, "cas", stepGoal)
	m := one(t, s.text("cas", strings.Repeat("x", 301)))
	want := map[string][]string{
		"nl": {"hooguit 300 tekens", "301", "Alleen dit antwoord is niet bewaard", "eerder", "blijft staan"},
		"en": {"at most 300 characters", "301", "Only this answer was not saved", "earlier", "is kept"},
	}
	lang := s.loc(s.person("cas")).Lang()
	for _, w := range want[lang] {
		if !strings.Contains(m.Text, w) {
			t.Errorf("too-long reply %q lacks %q", m.Text, w)
		}
	}
	if st := s.st("cas"); st.Rec.Mood == 0 {
		t.Errorf("earlier answer lost: %+v", st.Rec)
	}
}
