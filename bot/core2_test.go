package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/poll"
	"github.com/redis/go-redis/v9"
)

// classOf builds a school with one class 2B: teacher bakker, mentor devries, care
// mulder, and n pupils p01..pNN.
func classOf(t *testing.T, n int) *config.School {
	t.Helper()
	s := &config.School{ID: "core2", Locale: "nl", Classes: []*config.Class{{ID: "2B", Name: "2B"}}}
	s.People = append(s.People,
		&config.Person{ID: "bakker", Name: "Mevr. Bakker", Roles: []config.Role{config.Teacher}, Classes: []string{"2B"}},
		&config.Person{ID: "devries", Name: "Dhr. de Vries", Roles: []config.Role{config.Mentor}},
		&config.Person{ID: "mulder", Name: "Mw. Mulder", Roles: []config.Role{config.Care}},
	)
	for i := 1; i <= n; i++ {
		s.People = append(s.People, &config.Person{ID: fmt.Sprintf("p%02d", i), Name: fmt.Sprintf("Pupil %02d", i),
			Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"})
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

func shellEvent(id, user string) chat.Event {
	return chat.Event{ID: id, Platform: chat.Shell, User: user, DM: true}
}

func command(id, user, cmd, args string) chat.Event {
	ev := shellEvent(id, user)
	ev.Kind, ev.Command, ev.ArgText = chat.KindCommand, cmd, args
	return ev
}

func button(id, user, action, value string) chat.Event {
	ev := shellEvent(id, user)
	ev.Kind, ev.Action, ev.Value = chat.KindButton, action, value
	return ev
}

func typed(id, user, text string) chat.Event {
	ev := shellEvent(id, user)
	ev.Kind, ev.Text = chat.KindMessage, text
	return ev
}

func inThread(id, user, key, text string) chat.Event {
	ev := typed(id, user, text)
	ev.DM, ev.ThreadKey = false, key
	return ev
}

func mustHandle(t *testing.T, h *bottest.Harness, ev chat.Event) {
	t.Helper()
	if r := h.Engine.Handle(context.Background(), ev); len(r) > 0 {
		t.Fatalf("%s: %s", ev.ID, r[0].Text)
	}
}

// pollID finds the poll the teacher posted, from the class post's buttons.
func pollID(t *testing.T, rec *bottest.Recorder) string {
	t.Helper()
	for _, d := range rec.Sent() {
		if d.Message.To.Kind == chat.ToThread && len(d.Message.Choices) > 0 {
			id, _, _ := strings.Cut(d.Message.Choices[0].Value, ":")
			return id
		}
	}
	t.Fatal("no poll posted")
	return ""
}

func lastTo(t *testing.T, rec *bottest.Recorder, user string) chat.Message {
	t.Helper()
	ms := rec.To(user)
	if len(ms) == 0 {
		t.Fatalf("nothing sent to %s", user)
	}
	return ms[len(ms)-1]
}

// TestThirtyPupilsAnswerOneSharedRecord: thirty pupils answer one poll at the same moment,
// from four goroutines on two engines sharing one store: every answer is kept, the
// tally is exact, and the timer set by one engine is fired by the other.
func TestThirtyPupilsAnswerOneSharedRecord(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		school := classOf(t, 30)
		rec1, rec2 := &bottest.Recorder{}, &bottest.Recorder{}
		opts := func(rec *bottest.Recorder) bottest.Options {
			return bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk,
				Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{poll.New()}}
		}
		h1, h2 := bottest.New(t, opts(rec1)), bottest.New(t, opts(rec2))
		h1.At("10:00")
		mustHandle(t, h1, command("create", "bakker", "poll", "Welk onderwerp eerst? | Breuken | Procenten | Grafieken"))
		h1.Tick()
		id := pollID(t, rec1)
		engines := []*bottest.Harness{h1, h2}
		want := map[string]string{}
		jobs := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					p := fmt.Sprintf("p%02d", i)
					n := i%3 + 1
					var ev chat.Event
					if i%2 == 0 {
						ev = button("vote-"+p, p, "poll.vote", fmt.Sprintf("%s:%d", id, n))
					} else {
						ev = inThread("say-"+p, p, "poll:"+id, fmt.Sprint(n))
					}
					if r := engines[i%2].Engine.Handle(context.Background(), ev); len(r) > 0 {
						t.Errorf("%s: %s", p, r[0].Text)
					}
				}
			}()
		}
		for i := 1; i <= 30; i++ {
			want[fmt.Sprintf("p%02d", i)] = fmt.Sprint(i%3 + 1)
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		got, err := rdb.HGetAll(context.Background(), prefix+":{core2}:poll:"+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		for p, v := range want {
			if got["m:"+p] != v {
				t.Errorf("answer of %s = %q, want %q", p, got["m:"+p], v)
			}
		}
		if got["v"] != "1" {
			t.Errorf("answers bumped the poll's version to %s; only whole-record writes may", got["v"])
		}
		clk.Advance(poll.PollDuration)
		h2.Tick() // the other engine fires the timer the first one set
		h1.Tick()
		report := lastTo(t, rec2, "bakker").Text
		if !strings.Contains(report, "30 van de 30") {
			t.Fatalf("teacher report = %q", report)
		}
		for _, opt := range []string{"Breuken", "Procenten", "Grafieken"} {
			if !strings.Contains(report, chat.Literal(opt)+": 10") {
				t.Errorf("report lacks %s: 10:\n%s", opt, report)
			}
		}
		reports := 0
		for _, rec := range []*bottest.Recorder{rec1, rec2} {
			for _, m := range rec.To("bakker") {
				if strings.Contains(m.Text, "Uitslag") {
					reports++
				}
			}
		}
		if reports != 1 {
			t.Errorf("the teacher got %d reports, want 1", reports)
		}
	})
}

// gate is a dialog whose first step blocks until released, so a test can hold a
// step between its read and its commit.
type gate struct {
	started, release chan struct{}
	calls            atomic.Int32
}

func (*gate) Name() string { return "gate" }
func (*gate) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: "peek"}, {Name: "raise"}}
}
func (g *gate) Step(in dialog.Input) (dialog.Result, error) {
	switch in.Command {
	case "peek":
		if g.calls.Add(1) == 1 {
			close(g.started)
			<-g.release
		}
		// A pupil's step that writes what it read of its own profile.
		return dialog.Result{Effects: []dialog.Effect{dialog.SetProfile{Person: in.Person.ID,
			Fields: map[string]string{"seen_level": in.Profile["level"]}}}}, nil
	case "raise":
		// The mentor writes into the pupil's profile.
		return dialog.Result{Effects: []dialog.Effect{dialog.SetProfile{Person: "p01",
			Fields: map[string]string{"level": "self"}}}}, nil
	}
	return dialog.Result{}, nil
}

// TestCrossPersonWriteIsNotOverwritten: a mentor's write into a pupil's profile that
// lands while the pupil's own step is between read and commit makes that step retry,
// so the pupil's step never commits what it decided on stale data.
func TestCrossPersonWriteIsNotOverwritten(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		school := classOf(t, 1)
		g := &gate{started: make(chan struct{}), release: make(chan struct{})}
		opts := bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk,
			Adapters: []chat.Adapter{&bottest.Recorder{}}, Dialogs: []dialog.Dialog{g}}
		h1, h2 := bottest.New(t, opts), bottest.New(t, opts)
		done := make(chan []chat.Message)
		go func() { done <- h1.Engine.Handle(context.Background(), command("peek", "p01", "peek", "")) }()
		<-g.started
		mustHandle(t, h2, command("raise", "devries", "raise", ""))
		close(g.release)
		if r := <-done; len(r) > 0 {
			t.Fatalf("peek: %s", r[0].Text)
		}
		got, err := rdb.HGetAll(context.Background(), prefix+":{core2}:p:p01").Result()
		if err != nil {
			t.Fatal(err)
		}
		if got["level"] != "self" || got["seen_level"] != "self" {
			t.Errorf("profile = level %q, seen_level %q; want both self (the stale step retried)", got["level"], got["seen_level"])
		}
		if n := g.calls.Load(); n != 2 {
			t.Errorf("the pupil's step ran %d times, want 2 (once stale, once again)", n)
		}
	})
}

// TestTypedTextFindsItsConversation: a pupil with an open check-in and an open poll
// question: typed text reaches the one that asked last; after it ends the check-in gets
// text again; when both asked at nearly the same time Kring asks which one; text no
// conversation expects goes to the inbox, which alerts on worrying words.
func TestTypedTextFindsItsConversation(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		rec := &bottest.Recorder{}
		h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec},
			Dialogs: []dialog.Dialog{checkin.New(), poll.New()}})
		nl := h.Catalog.For("nl")
		ctx := context.Background()

		// Before the check-ins: Sanne's text has no conversation. Worrying words alert the
		// mentor at once, and Sanne is told so and where to find help (no offer to keep it).
		mustHandle(t, h, typed("s1", "sanne", "ik word gepest in de pauze"))
		h.Tick()
		if got := lastTo(t, rec, "sanne"); !strings.Contains(got.Text, "0800-0432") || len(got.Choices) != 0 {
			t.Fatalf("worrying text answered %+v", got)
		}
		alerted := false
		for _, m := range rec.To("devries") {
			alerted = alerted || (m.Staff && strings.Contains(m.Text, "gepest"))
		}
		if !alerted {
			t.Error("worrying words typed outside any conversation alerted nobody")
		}
		// Other text: the inbox keeps it and offers where it should go.
		mustHandle(t, h, typed("s1b", "sanne", "mag ik in de pauze binnen blijven?"))
		h.Tick()
		if got := lastTo(t, rec, "sanne"); got.Text != nl.T("inbox.offer") || len(got.Choices) != 3 {
			t.Fatalf("unexpected text answered %+v", got)
		}
		mustHandle(t, h, button("s2", "sanne", "inbox.mentor", "1"))
		h.Tick()
		if got := lastTo(t, rec, "sanne").Text; !strings.Contains(got, "Vries") {
			t.Errorf("sanne was told %q", got)
		}

		h.At("08:15") // check-ins out: each pupil's check-in asks its open question
		mustHandle(t, h, command("c1", "bakker", "poll", "Klaar voor de toets? | Ja | Nee"))
		h.Tick()
		id := pollID(t, rec)

		// Daan opens the poll two minutes after his check-in asked: which one is it for?
		clk.Advance(2 * time.Minute) // 08:17
		mustHandle(t, h, button("d1", "daan", "poll.private", id))
		mustHandle(t, h, typed("d2", "daan", "weet ik nog niet"))
		h.Tick()
		ask := lastTo(t, rec, "daan")
		if !strings.Contains(ask.Text, "weet ik nog niet") || len(ask.Choices) != 2 {
			t.Fatalf("ambiguous text should be asked about: %+v", ask)
		}
		var toCheckIn chat.Choice
		for _, c := range ask.Choices {
			if c.Value == "checkin" {
				toCheckIn = c
			}
		}
		mustHandle(t, h, button("d3", "daan", toCheckIn.Action, toCheckIn.Value))
		h.Tick()
		if got := lastTo(t, rec, "daan").Text; !strings.Contains(got, nl.T("checkin.mood.question")) {
			t.Fatalf("the routed text should answer the check-in's open question; daan got %q", got)
		}
		if r := h.Engine.Handle(ctx, button("d4", "daan", toCheckIn.Action, toCheckIn.Value)); len(r) != 1 || r[0].Text != nl.T("core.route_gone") {
			t.Errorf("a second press should say the text was handled; got %+v", r)
		}
		// Anna opens the poll privately a quarter of an hour after her check-in asked.
		clk.Advance(15 * time.Minute)
		mustHandle(t, h, button("a1", "anna", "poll.private", id))
		mustHandle(t, h, typed("a2", "anna", "nee"))
		h.Tick()
		if got := lastTo(t, rec, "anna").Text; !strings.Contains(got, "Genoteerd") {
			t.Fatalf("anna's answer to the poll got %q", got)
		}
		mustHandle(t, h, typed("a3", "anna", "Ik ben een beetje moe."))
		h.Tick()
		if got := lastTo(t, rec, "anna").Text; !strings.Contains(got, nl.T("checkin.mood.question")) {
			t.Fatalf("after the poll the check-in should get text again; anna got %q", got)
		}

	})
}

// TestTextForAClosedPollGoesOn: a pupil's private poll question that closed before
// they answered no longer swallows what they type: a late vote is told the poll
// closed, and other words go on to the next conversation on the stack (the check-in),
// or to the inbox when there is none.
func TestTextForAClosedPollGoesOn(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		rec := &bottest.Recorder{}
		h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec},
			Dialogs: []dialog.Dialog{checkin.New(), poll.New()}})
		nl := h.Catalog.For("nl")

		// Before the check-ins: Anna's only conversation is the poll.
		mustHandle(t, h, command("c1", "bakker", "poll", "Klaar voor de toets? | Ja | Nee"))
		h.Tick()
		id := pollID(t, rec)
		mustHandle(t, h, button("a1", "anna", "poll.private", id))
		mustHandle(t, h, button("d1", "daan", "poll.private", id))
		mustHandle(t, h, button("c2", "bakker", "poll.close", id))
		h.Tick()
		mustHandle(t, h, typed("a2", "anna", "mag ik in de pauze binnen blijven?"))
		h.Tick()
		if got := lastTo(t, rec, "anna"); got.Text != nl.T("inbox.offer") || len(got.Choices) != 3 {
			t.Fatalf("text after the poll closed should reach the inbox; anna got %+v", got)
		}
		mustHandle(t, h, typed("d2", "daan", "ja"))
		h.Tick()
		if got := lastTo(t, rec, "daan").Text; !strings.Contains(got, "al gesloten") {
			t.Fatalf("a late vote should be told the poll closed; daan got %q", got)
		}

		// After the check-ins went out: Sanne's poll is on top of her check-in.
		h.At("08:15")
		clk.Advance(10 * time.Minute) // past the moment two conversations asked at once
		mustHandle(t, h, command("c3", "bakker", "poll", "Uitje naar het museum? | Ja | Nee"))
		h.Tick()
		var id2 string
		for _, d := range rec.Sent() {
			if d.Message.To.Kind == chat.ToThread && len(d.Message.Choices) > 0 && strings.Contains(d.Message.Text, "museum") {
				id2, _, _ = strings.Cut(d.Message.Choices[0].Value, ":")
			}
		}
		mustHandle(t, h, button("s1", "sanne", "poll.private", id2))
		mustHandle(t, h, button("c4", "bakker", "poll.close", id2))
		h.Tick()
		mustHandle(t, h, typed("s2", "sanne", "Ik ben een beetje moe."))
		h.Tick()
		if got := lastTo(t, rec, "sanne").Text; !strings.Contains(got, nl.T("checkin.mood.question")) {
			t.Fatalf("text after the poll closed should answer the check-in below it; sanne got %q", got)
		}
	})
}

// stepCounter counts the steps of its jobs and timers per person.
type stepCounter struct {
	mu    sync.Mutex
	steps map[string]int
}

func (*stepCounter) Name() string                   { return "counted" }
func (*stepCounter) Commands() []dialog.CommandSpec { return []dialog.CommandSpec{{Name: "later"}} }
func (c *stepCounter) Jobs(*config.Class) []dialog.Job {
	return []dialog.Job{
		{Name: "weekly", At: 9 * 60, Kind: dialog.Start, PerClass: true, Days: []time.Weekday{time.Wednesday}},
		{Name: "teacher", At: 9*60 + 30, Kind: dialog.Start, Person: "bakker"},
	}
}
func (c *stepCounter) Step(in dialog.Input) (dialog.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := in.Person.ID + "/" + string(in.Kind) + "/" + in.Job
	c.steps[key]++
	if in.Kind == dialog.Command {
		// Remind me after four school hours.
		return dialog.Result{Effects: []dialog.Effect{dialog.SetTimer{Key: "remind", After: 4 * time.Hour, SchoolTime: true, Payload: "hi"}}}, nil
	}
	if in.Kind == dialog.Wake {
		c.steps["payload:"+in.Payload]++
	}
	return dialog.Result{}, nil
}

func (c *stepCounter) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.steps[k]
}

// TestWeeklyAndOnceJobsRunOnceAcrossThreeEngines: a weekly once-per-class job and a
// one-person job run once per occurrence however many engines race for them, only on
// their days.
func TestWeeklyAndOnceJobsRunOnceAcrossThreeEngines(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		c := &stepCounter{steps: map[string]int{}}
		school := classOf(t, 2)
		var hs []*bottest.Harness
		for i := 0; i < 3; i++ {
			hs = append(hs, bottest.New(t, bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk,
				Adapters: []chat.Adapter{&bottest.Recorder{}}, Dialogs: []dialog.Dialog{c}}))
		}
		race := func() {
			var wg sync.WaitGroup
			for _, h := range hs {
				wg.Add(1)
				go func() { defer wg.Done(); _, _ = h.Scheduler.RunDue(context.Background()) }()
			}
			wg.Wait()
		}
		monday := bottest.Monday0750
		clk.Set(monday.Add(2 * time.Hour)) // Monday 09:50
		race()
		if n := c.get("@2B/start/weekly"); n != 0 {
			t.Errorf("the Wednesday job ran %d times on Monday", n)
		}
		if n := c.get("bakker/start/teacher"); n != 1 {
			t.Errorf("the teacher's job ran %d times on Monday, want 1", n)
		}
		clk.Set(monday.AddDate(0, 0, 2).Add(2 * time.Hour)) // Wednesday 09:50
		race()
		race()
		if n := c.get("@2B/start/weekly"); n != 1 {
			t.Errorf("the weekly class job ran %d times on Wednesday, want 1", n)
		}
		if n := c.get("bakker/start/teacher"); n != 2 {
			t.Errorf("the teacher's job ran %d times by Wednesday, want 2", n)
		}
	})
}

// TestSchoolTimeTimerSkipsWeekendAndSurvivesRestart: a timer set on Friday afternoon
// for four school hours fires on Monday morning, not over the weekend, once, on an
// engine started after the one that set it.
func TestSchoolTimeTimerSkipsWeekendAndSurvivesRestart(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		c := &stepCounter{steps: map[string]int{}}
		school := classOf(t, 1)
		opts := bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk,
			Adapters: []chat.Adapter{&bottest.Recorder{}}, Dialogs: []dialog.Dialog{c}}
		loc := bottest.Monday0750.Location()
		clk.Set(time.Date(2026, 11, 27, 15, 0, 0, 0, loc)) // Friday 15:00; school ends 16:30
		first := bottest.New(t, opts)
		mustHandle(t, first, command("later", "p01", "later", ""))
		// A new process: the timer lives in the store, not in the engine that set it.
		second := bottest.New(t, opts)
		for _, at := range []time.Time{
			time.Date(2026, 11, 28, 12, 0, 0, 0, loc),  // Saturday
			time.Date(2026, 11, 30, 10, 59, 0, 0, loc), // Monday, a minute early
		} {
			clk.Set(at)
			second.Tick()
			if n := c.get("payload:hi"); n != 0 {
				t.Fatalf("timer fired at %s", at)
			}
		}
		if next := second.Scheduler.NextDue(context.Background(), clk.Now()); !next.Equal(time.Date(2026, 11, 30, 11, 0, 0, 0, loc)) {
			t.Errorf("next due = %s, want Monday 11:00", next)
		}
		clk.Set(time.Date(2026, 11, 30, 11, 0, 0, 0, loc))
		second.Tick()
		second.Tick()
		first.Tick()
		if n := c.get("payload:hi"); n != 1 {
			t.Errorf("timer fired %d times at Monday 11:00, want 1", n)
		}
	})
}

// boom panics on /boom.
type boom struct{}

func (boom) Name() string                   { return "boom" }
func (boom) Commands() []dialog.CommandSpec { return []dialog.CommandSpec{{Name: "boom"}} }
func (boom) Step(in dialog.Input) (dialog.Result, error) {
	// An index out of range, as dialogs have them.
	return dialog.Result{Messages: []chat.Message{{Text: in.Fields["x"][:len(in.Text)+1]}}}, nil
}

type panicCount struct {
	alertCount
	panics atomic.Int32
}

func (p *panicCount) Panic(string) { p.panics.Add(1) }

// TestPanickingDialogIsContained: the process survives, the person gets the apology,
// the event is marked handled so its retry is not replayed, and the metric counts one.
func TestPanickingDialogIsContained(t *testing.T) {
	obs := &panicCount{}
	h := bottest.New(t, bottest.Options{School: classOf(t, 1), Adapters: []chat.Adapter{&bottest.Recorder{}},
		Dialogs: []dialog.Dialog{boom{}}, EngineObserver: obs})
	ev := command("b1", "p01", "boom", "")
	r := h.Engine.Handle(context.Background(), ev)
	if len(r) != 1 || r[0].Text != h.Catalog.For("nl").T("core.busy") {
		t.Fatalf("panic answered %+v", r)
	}
	if r := h.Engine.Handle(context.Background(), ev); len(r) != 0 {
		t.Errorf("the retried event was replayed: %+v", r)
	}
	if n := obs.panics.Load(); n != 1 {
		t.Errorf("panics counted %d, want 1", n)
	}
}
