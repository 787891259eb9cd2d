package ask_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/ask"
)

// school is class 2B on Discord: Bakker teaches wiskunde, De Vries mentors; Monday
// 2026-11-30 is a holiday. bakkerID is Bakker's Discord id ("" leaves her unreachable).
func school(t *testing.T, bakkerID string) *config.School {
	t.Helper()
	s := &config.School{ID: "asktest", Locale: "nl", Classes: []*config.Class{{ID: "2B", Name: "Klas 2B",
		Subjects: map[string]string{"wiskunde": "bakker"},
		Schedule: config.Schedule{Holidays: []config.Holiday{{Name: "studiedag",
			From: config.Date{Year: 2026, Month: 11, Day: 30}, To: config.Date{Year: 2026, Month: 11, Day: 30}}}}}}}
	s.People = []*config.Person{
		{ID: "bakker", Name: "Mevr. Bakker", Roles: []config.Role{config.Teacher}, Classes: []string{"2B"}, Discord: bakkerID},
		{ID: "devries", Name: "Dhr. De Vries", Roles: []config.Role{config.Mentor}, Discord: "d-devries"},
		{ID: "anna", Name: "Anna de Boer", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries", Discord: "d-anna"},
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

func forEachStore(t *testing.T, f func(t *testing.T, o bottest.Options, clk *clock.Fake, rec *bottest.Recorder)) {
	for _, st := range bottest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(bottest.Monday0750)
			rdb, prefix := st.Open(t, clk)
			rec := &bottest.Recorder{P: chat.Discord, Caps: chat.Capabilities{Buttons: true, Forms: true, MaxButtons: 25}}
			f(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec},
				Dialogs: []dialog.Dialog{ask.New()}}, clk, rec)
		})
	}
}

func handle(t *testing.T, h *bottest.Harness, ev chat.Event) {
	t.Helper()
	ev.Platform, ev.DM = chat.Discord, true
	if r := h.Engine.Handle(context.Background(), ev); len(r) > 0 {
		t.Fatalf("%s: %s", ev.ID, r[0].Text)
	}
	h.Tick()
}

// press presses the button labelled label in user's latest message.
func press(t *testing.T, h *bottest.Harness, rec *bottest.Recorder, id, user, label string) {
	t.Helper()
	ms := rec.To(user)
	for _, c := range ms[len(ms)-1].Choices {
		if c.Label == label {
			handle(t, h, chat.Event{ID: id, User: user, Kind: chat.KindButton, Action: c.Action, Value: c.Value})
			return
		}
	}
	t.Fatalf("no button %q in %+v", label, ms[len(ms)-1])
}

func askMaths(t *testing.T, h *bottest.Harness, rec *bottest.Recorder) {
	t.Helper()
	handle(t, h, chat.Event{ID: "q1", User: "d-anna", Kind: chat.KindCommand, Command: "ask", ArgText: "Hoe deel je breuken?"})
	press(t, h, rec, "q2", "d-anna", "wiskunde")
	press(t, h, rec, "q3", "d-anna", "Anoniem")
}

func count(rec *bottest.Recorder, user, part string) int {
	n := 0
	for _, m := range rec.To(user) {
		if strings.Contains(chat.Plain(m.Text), part) {
			n++
		}
	}
	return n
}

// TestReminderAndEscalationAcrossAWeekendAndAHolidayWithARestart: asked on Friday at
// 14:00, the teacher is reminded after 4 school hours (Tuesday 10:00: the weekend and
// Monday's holiday do not count) and the mentor sees it after 8 (Tuesday 14:00), by a
// process started after the question was asked; each fires once; the answer by form
// reaches the pupil and ends the timers.
func TestReminderAndEscalationAcrossAWeekendAndAHolidayWithARestart(t *testing.T) {
	forEachStore(t, func(t *testing.T, o bottest.Options, clk *clock.Fake, rec *bottest.Recorder) {
		o.School = school(t, "d-bakker")
		loc := bottest.Monday0750.Location()
		clk.Set(time.Date(2026, 11, 27, 14, 0, 0, 0, loc))
		first := bottest.New(t, o)
		askMaths(t, first, rec)
		note := rec.To("d-bakker")
		if len(note) != 1 || !note[0].Staff || note[0].Form == nil || !strings.Contains(note[0].Text, "Hoe deel je breuken?") {
			t.Fatalf("teacher got %+v", note)
		}
		if strings.Contains(note[0].Text, "Anna") {
			t.Fatal("the teacher sees the name of an anonymous question")
		}
		second := bottest.New(t, o) // a restart: the timers live in the store
		for _, at := range []time.Time{
			time.Date(2026, 11, 28, 12, 0, 0, 0, loc), // Saturday
			time.Date(2026, 11, 30, 12, 0, 0, 0, loc), // Monday, the holiday
			time.Date(2026, 12, 1, 9, 59, 0, 0, loc),  // Tuesday, a minute early
		} {
			clk.Set(at)
			second.Tick()
			if n := count(rec, "d-bakker", "Herinnering"); n != 0 {
				t.Fatalf("reminded at %s", at)
			}
		}
		clk.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, loc))
		second.Tick()
		first.Tick()
		if n := count(rec, "d-bakker", "Herinnering"); n != 1 {
			t.Fatalf("reminders at Tuesday 10:00: %d, want 1", n)
		}
		if n := count(rec, "d-devries", "Hoe deel je breuken?"); n != 0 {
			t.Fatal("escalated too early")
		}
		clk.Set(time.Date(2026, 12, 1, 14, 0, 0, 0, loc))
		first.Tick()
		second.Tick()
		if n := count(rec, "d-devries", "Hoe deel je breuken?"); n != 1 {
			t.Fatalf("mentor got the question %d times, want 1", n)
		}
		if n := count(rec, "d-anna", "Dhr. De Vries"); n != 1 {
			t.Fatalf("pupil told of the escalation %d times", n)
		}
		form := note[0].Form
		handle(t, second, chat.Event{ID: "a1", User: "d-bakker", Kind: chat.KindForm, Action: form.Action,
			Fields: map[string]string{form.Fields[0].ID: "Omkeren en vermenigvuldigen."}})
		if n := count(rec, "d-anna", "Omkeren en vermenigvuldigen."); n != 1 {
			t.Fatalf("the answer reached the pupil %d times", n)
		}
		next, err := second.Engine.NextTimer(context.Background())
		if err != nil || !next.IsZero() {
			t.Fatalf("a timer is still due at %s after the answer (%v)", next, err)
		}
	})
}

// TestTeacherWithoutAPlatformIDIsSkipped: the question goes to the mentor, the pupil is
// told so, and nothing is queued for the teacher.
func TestTeacherWithoutAPlatformIDIsSkipped(t *testing.T) {
	forEachStore(t, func(t *testing.T, o bottest.Options, clk *clock.Fake, rec *bottest.Recorder) {
		o.School = school(t, "")
		clk.Set(time.Date(2026, 11, 24, 10, 0, 0, 0, bottest.Monday0750.Location()))
		h := bottest.New(t, o)
		askMaths(t, h, rec)
		if n := count(rec, "d-devries", "Hoe deel je breuken?"); n != 1 {
			t.Fatalf("mentor got it %d times", n)
		}
		ms := rec.To("d-anna")
		told := chat.Plain(ms[len(ms)-1].Text)
		if !strings.Contains(told, "Mevr. Bakker") || !strings.Contains(told, "Dhr. De Vries") {
			t.Fatalf("pupil told %q", told)
		}
		for _, d := range rec.Sent() {
			if d.Message.To.Person == "bakker" {
				t.Fatalf("something was sent for the unreachable teacher: %+v", d)
			}
		}
	})
}

// TestManyPupilsAskAtOnce: thirty pupils ask and send their questions at the same moment
// on two processes sharing the store; every question is kept and routed.
func TestManyPupilsAskAtOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, o bottest.Options, clk *clock.Fake, rec *bottest.Recorder) {
		s := school(t, "d-bakker")
		const n = 30
		for i := range n {
			id := fmt.Sprintf("p%02d", i)
			s.People = append(s.People, &config.Person{ID: id, Name: "Pupil " + id, Roles: []config.Role{config.Pupil},
				Classes: []string{"2B"}, Mentor: "devries", Discord: "d-" + id})
		}
		if err := s.Prepare(); err != nil {
			t.Fatal(err)
		}
		o.School = s
		clk.Set(time.Date(2026, 11, 24, 10, 0, 0, 0, bottest.Monday0750.Location()))
		engines := []*bottest.Harness{bottest.New(t, o), bottest.New(t, o)}
		var wg sync.WaitGroup
		busy := make(chan string, 3*n)
		run := func(step string, ev func(i int) chat.Event) {
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					e := ev(i)
					e.Platform, e.DM, e.User = chat.Discord, true, fmt.Sprintf("d-p%02d", i)
					if r := engines[i%2].Engine.Handle(context.Background(), e); len(r) > 0 {
						busy <- step + ": " + r[0].Text
					}
				}()
			}
			wg.Wait()
			engines[0].Tick()
		}
		run("ask", func(i int) chat.Event {
			return chat.Event{ID: fmt.Sprintf("ask-%d", i), Kind: chat.KindCommand, Command: "ask",
				ArgText: fmt.Sprintf("Vraag %d over hoofdstuk %d van de geschiedenisles", i, i)}
		})
		choice := func(user, label string) (string, string) {
			ms := rec.To(user)
			for _, c := range ms[len(ms)-1].Choices {
				if c.Label == label {
					return c.Action, c.Value
				}
			}
			t.Fatalf("%s has no %q button", user, label)
			return "", ""
		}
		for _, step := range []string{"wiskunde", "Anoniem"} {
			actions := make([][2]string, n)
			for i := range n {
				a, v := choice(fmt.Sprintf("d-p%02d", i), step)
				actions[i] = [2]string{a, v}
			}
			run(step, func(i int) chat.Event {
				return chat.Event{ID: step + fmt.Sprint(i), Kind: chat.KindButton, Action: actions[i][0], Value: actions[i][1]}
			})
		}
		close(busy)
		for b := range busy {
			t.Errorf("a pupil was told: %s", b)
		}
		if got := count(rec, "d-bakker", "Nieuwe vraag"); got != n {
			t.Fatalf("the teacher got %d questions, want %d", got, n)
		}
	})
}
