package bot_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/redis/go-redis/v9"
)

// counter is a test dialog: every input adds one to the person's count and says the
// new count, so lost updates and double effects show up as wrong numbers.
type counter struct{}

func (counter) Name() string { return "count" }
func (counter) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: "count"}}
}
func (counter) Step(in dialog.Input) (dialog.Result, error) {
	n, _ := strconv.Atoi(string(in.State))
	n++
	return dialog.Result{
		State:  []byte(strconv.Itoa(n)),
		Listen: true,
		Messages: []chat.Message{{
			To:   chat.Target{Kind: chat.ToPerson, Person: in.Person.ID},
			Text: strconv.Itoa(n),
		}},
		Effects: []dialog.Effect{dialog.SetProfile{Person: in.Person.ID, Fields: map[string]string{"last": strconv.Itoa(n)}}},
	}, nil
}

func countEvent(id, user string) chat.Event {
	return chat.Event{ID: id, Platform: chat.Shell, User: user, DM: true, Kind: chat.KindCommand, Command: "count"}
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

func TestConcurrentEventsOfOnePersonLoseNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		rec := &bottest.Recorder{}
		h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{counter{}}})
		const n = 40
		var wg sync.WaitGroup
		replies := make(chan []chat.Message, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies <- h.Engine.Handle(context.Background(), countEvent(fmt.Sprintf("ev-%d", i), "anna"))
			}()
		}
		wg.Wait()
		close(replies)
		for r := range replies {
			if len(r) != 0 {
				t.Fatalf("a step failed: %q", r[0].Text)
			}
		}
		state, err := rdb.HGet(context.Background(), h.Store.PersonKey("anna"), "d:count").Result()
		if err != nil || state != strconv.Itoa(n) {
			t.Fatalf("count after %d concurrent events = %q (%v), want %d", n, state, err, n)
		}
		if _, err := h.Deliverer.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, m := range rec.To("anna") {
			got[m.Text] = true
		}
		for i := 1; i <= n; i++ {
			if !got[strconv.Itoa(i)] {
				t.Fatalf("message %d missing; got %d distinct messages", i, len(got))
			}
		}
	})
}

func TestSameEventTwiceHasOneEffect(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		rec := &bottest.Recorder{}
		h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{counter{}}})
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 5 {
			wg.Add(1)
			go func() { defer wg.Done(); h.Engine.Handle(ctx, countEvent("retried-event", "daan")) }()
		}
		wg.Wait()
		h.Engine.Handle(ctx, countEvent("retried-event", "daan"))
		if _, err := h.Deliverer.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rec.To("daan"); len(got) != 1 || got[0].Text != "1" {
			t.Fatalf("messages after a retried event: %+v, want exactly one saying 1", got)
		}
		if v, _ := rdb.HGet(ctx, h.Store.PersonKey("daan"), "last").Result(); v != "1" {
			t.Fatalf("profile effect applied %q times, want 1", v)
		}
	})
}

func TestUnknownUserIsToldPolitelyAndNothingIsStored(t *testing.T) {
	h := bottest.New(t, bottest.Options{})
	ctx := context.Background()
	replies := h.Engine.Handle(ctx, chat.Event{ID: "x1", Platform: chat.Discord, User: "999", Kind: chat.KindCommand, Command: "checkin", ReplyRef: "tok"})
	if len(replies) != 1 || !replies[0].Ephemeral || replies[0].ReplyRef != "tok" {
		t.Fatalf("replies = %+v, want one ephemeral reply in place", replies)
	}
	if !strings.Contains(replies[0].Text, "niet ingeschreven") {
		t.Fatalf("reply %q does not say the user is not enrolled", replies[0].Text)
	}
	keys, _ := h.Redis.Keys(ctx, h.Prefix+":*").Result()
	if len(keys) != 0 {
		t.Fatalf("an unknown user left keys behind: %v", keys)
	}
}

func TestCommandsCheckRolesAndArguments(t *testing.T) {
	h := bottest.New(t, bottest.Options{})
	ctx := context.Background()
	cases := []struct {
		user, cmd, args, want string
	}{
		{"anna", "dayplan", "lezen", "Alleen een docent"},
		{"anna", "nonsense", "", "ken ik niet"},
		{"devries", "level", "", "Vul ook"},
		{"devries", "level", "nobody shared", "niet vinden"},
		{"devries", "level", "milan sometimes", "kan niet bij *niveau*; kies uit: docent, gedeeld, zelf.\nGebruik: /niveau <leerling> <docent|gedeeld|zelf>"},
		{"devries", "level", "", "Vul ook *leerling* in"},
		{"anna", "nonsense", "", "Typ /hulp"},
		{"bakker", "dayplan", "klas:9Z lezen", "Er is geen klas"},
	}
	for _, c := range cases {
		ev := chat.Event{ID: "c-" + c.user + c.cmd + c.args, Platform: chat.Shell, User: c.user, DM: true, Kind: chat.KindCommand, Command: c.cmd, ArgText: c.args}
		replies := h.Engine.Handle(ctx, ev)
		if len(replies) != 1 || !strings.Contains(replies[0].Text, c.want) {
			t.Errorf("/%s %s as %s: replies %+v, want one containing %q", c.cmd, c.args, c.user, replies, c.want)
		}
	}
}

func TestRedisGoneTellsThePersonAndKeepsRunning(t *testing.T) {
	// A client pointing at a port where nothing listens: Redis is "gone".
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = dead.Close() })
	h := bottest.New(t, bottest.Options{Redis: dead, Prefix: "gone"})
	replies := h.Engine.Handle(context.Background(), chat.Event{ID: "g1", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindMessage, Text: "hoi"})
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "probeer het over een minuut opnieuw") {
		t.Fatalf("replies = %+v, want the storage-down message", replies)
	}
}

func TestOversizedMessageIsRefusedWithItsLimit(t *testing.T) {
	h := bottest.New(t, bottest.Options{})
	replies := h.Engine.Handle(context.Background(), chat.Event{ID: "big", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindMessage, Text: strings.Repeat("a", 20000)})
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "16000") {
		t.Fatalf("replies = %+v, want a too-long message naming the limit", replies)
	}
}

func TestCheckInMorningEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		rec := &bottest.Recorder{Caps: chat.Capabilities{Buttons: true}}
		h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{checkin.New()}})
		ctx := context.Background()
		h.At("08:15")
		pupils := h.School.Members("2B", "pupil")
		for _, p := range pupils {
			if got := rec.To(p.ID); len(got) != 1 {
				t.Fatalf("%s got %d messages at 08:15, want 1", p.ID, len(got))
			}
		}
		if got := rec.To("devries"); len(got) != 0 {
			t.Fatalf("the mentor got check-in messages: %+v", got)
		}
		say := func(id, text string) {
			h.Engine.Handle(ctx, chat.Event{ID: id, Platform: chat.Shell, User: "sanne", DM: true, Kind: chat.KindMessage, Text: text})
			h.Tick()
		}
		press := func(id, action, value string) {
			h.Engine.Handle(ctx, chat.Event{ID: id, Platform: chat.Shell, User: "sanne", DM: true, Kind: chat.KindButton, Action: action, Value: value})
			h.Tick()
		}
		say("s1", "Spreekbeurt <@&123> @everyone")
		press("s2", "checkin.mood", "4")
		say("s3", "Spreekbeurt afmaken")
		say("s4", "Nee")
		recent, err := h.Engine.RecentCheckIns(ctx, "sanne", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(recent) != 1 || recent[0].Mood != 4 || recent[0].Goal != "Spreekbeurt afmaken" || recent[0].Status != "done" {
			t.Fatalf("stored check-in = %+v", recent)
		}
		if recent[0].Open != "Spreekbeurt <@&123> @everyone" {
			t.Fatalf("open answer stored as %q", recent[0].Open)
		}
		ttl := rdb.PTTL(ctx, h.Store.Key("ci:sanne:2026-11-23")).Val()
		if ttl <= 0 || ttl > h.School.Retention.Std() {
			t.Fatalf("check-in record TTL %v, want within retention %v", ttl, h.School.Retention.Std())
		}
		h.At("10:00")
		if got := rec.To("sanne"); strings.Contains(got[len(got)-1].Text, "herinnering") {
			t.Fatalf("sanne finished but got a reminder")
		}
		if got := rec.To("milan"); len(got) != 2 || !strings.Contains(got[1].Text, "herinnering") {
			t.Fatalf("milan got %d messages, want the check-in and one reminder", len(got))
		}
	})
}

func TestUnreachablePupilMentorToldOnce(t *testing.T) {
	rec := &bottest.Recorder{Fail: func(d chat.Delivery) error {
		if d.Address.User == "anna" {
			return chat.ErrUnreachable
		}
		return nil
	}}
	h := bottest.New(t, bottest.Options{Adapters: []chat.Adapter{rec}})
	h.At("08:15")
	h.At("10:00")
	notes := rec.To("devries")
	if len(notes) != 1 || !notes[0].Staff || !strings.Contains(notes[0].Text, "Anna de Boer") {
		t.Fatalf("mentor notices = %+v, want exactly one staff message about Anna", notes)
	}
	if v := h.Redis.HGet(context.Background(), h.Store.PersonKey("anna"), "unreachable:shell").Val(); v == "" {
		t.Fatal("anna not marked unreachable")
	}
}

func TestCommitRefusesStaleVersion(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	st := store.New(rdb, prefix, "s", 0)
	ctx := context.Background()
	b := st.NewBatch("p", "e1", "")
	b.SetFields(st.PersonKey("p"), map[string]string{"a": "1"})
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	stale := st.NewBatch("p", "e2", "")
	stale.SetFields(st.PersonKey("p"), map[string]string{"a": "2"})
	if err := stale.Commit(ctx); err != store.ErrConflict {
		t.Fatalf("stale commit: %v, want ErrConflict", err)
	}
	again := st.NewBatch("p", "e1", "1")
	if err := again.Commit(ctx); err != store.ErrDuplicate {
		t.Fatalf("repeated event: %v, want ErrDuplicate", err)
	}
	if v := rdb.HGet(ctx, st.PersonKey("p"), "a").Val(); v != "1" {
		t.Fatalf("field a = %q after refused commits, want 1", v)
	}
}

func TestTwoEnginesOnOneRedisLoseNothing(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	clk := clock.NewFake(bottest.Monday0750)
	a := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Dialogs: []dialog.Dialog{counter{}}})
	b := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Dialogs: []dialog.Dialog{counter{}}})
	const n = 15
	var wg sync.WaitGroup
	failed := make(chan string, 2*n)
	for i := range n {
		for j, h := range []*bottest.Harness{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := h.Engine.Handle(context.Background(), countEvent(fmt.Sprintf("ev-%d-%d", j, i), "fleur")); len(r) > 0 {
					failed <- r[0].Text
				}
			}()
		}
	}
	wg.Wait()
	close(failed)
	for f := range failed {
		t.Fatalf("a step failed: %s", f)
	}
	if got := rdb.HGet(context.Background(), a.Store.PersonKey("fleur"), "d:count").Val(); got != strconv.Itoa(2*n) {
		t.Fatalf("count = %s after %d events through two engines, want %d", got, 2*n, 2*n)
	}
}

func TestBatchWithoutEventIDWritesOnlyItsKeys(t *testing.T) {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	st := store.New(rdb, prefix, "s", 0)
	ctx := context.Background()
	if err := rdb.RPush(ctx, st.Key("somelist"), "x").Err(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		b := st.NewBatch("p", "", store.AnyVersion)
		b.Log(st.Key("somelist"), "entry", 10)
		if err := b.Commit(ctx); err != nil {
			t.Fatalf("commit without event id: %v", err)
		}
	}
	if n := rdb.LLen(ctx, st.Key("somelist")).Val(); n != 3 {
		t.Fatalf("list has %d entries, want 3", n)
	}
}

type alertCount struct {
	mu sync.Mutex
	n  int
}

func (a *alertCount) Event(chat.EventKind)              {}
func (a *alertCount) Step(string, time.Duration, error) {}
func (a *alertCount) Conflict()                         {}
func (a *alertCount) Duplicate()                        {}
func (a *alertCount) Alert(_ string, n int)             { a.mu.Lock(); a.n += n; a.mu.Unlock() }

func TestAlertsAreCounted(t *testing.T) {
	obs := &alertCount{}
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Adapters: []chat.Adapter{&bottest.Recorder{}}, EngineObserver: obs})
	h.At("08:15")
	h.Engine.Handle(context.Background(), chat.Event{ID: "al1", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindMessage, Text: "Ik word gepest"})
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.n != 2 { // the mentor and the care contact
		t.Fatalf("alerts counted %d, want 2", obs.n)
	}
}

// TestAlertReachesMentorInTheMentorsLanguage: an English-speaking pupil's alert reaches
// a Dutch-speaking mentor in Dutch, while the pupil is answered in English.
func TestAlertReachesMentorInTheMentorsLanguage(t *testing.T) {
	school := bottest.ExampleSchool(t)
	anna, _ := school.Person("anna")
	anna.Locale = "en"
	rec := &bottest.Recorder{}
	h := bottest.New(t, bottest.Options{School: school, Adapters: []chat.Adapter{rec}})
	h.At("08:15")
	h.Engine.Handle(context.Background(), chat.Event{ID: "en1", Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindMessage, Text: "I am being bullied"})
	h.Tick()
	mentor := rec.To("devries")
	if len(mentor) != 1 || !strings.Contains(mentor[0].Text, "Signaal") {
		t.Fatalf("mentor got %+v, want one alert in Dutch", mentor)
	}
	own := rec.To("anna")
	if last := own[len(own)-1].Text; !strings.Contains(last, "How are you feeling today?") {
		t.Fatalf("the pupil's next question is not in English: %q", last)
	}
}
