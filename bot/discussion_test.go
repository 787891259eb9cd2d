package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/debate"
	"github.com/kring-school/kring/dialogs/discussion"
	"github.com/kring-school/kring/dialogs/terms"
	"github.com/redis/go-redis/v9"
)

// promptID finds the discussion prompt posted in the class thread.
func promptID(t *testing.T, rec *bottest.Recorder) string {
	t.Helper()
	for _, d := range rec.Sent() {
		if d.Message.To.Kind == chat.ToThread && strings.HasPrefix(d.Message.To.Thread, discussion.Name+":") {
			return strings.TrimPrefix(d.Message.To.Thread, discussion.Name+":")
		}
	}
	t.Fatal("no prompt posted")
	return ""
}

// TestThirtyPupilsAnswerOnePrompt: thirty pupils answer one think-first prompt at the
// same moment from four goroutines on two engines (one of them started after the
// prompt was posted, as after a restart): half through the private DM conversation
// (button, then typed text), half typed in the thread. Every answer is kept once, the
// prompt's version is untouched by answers, one pupil's change replaces their answer,
// and the teacher's digest counts exactly 30.
func TestThirtyPupilsAnswerOnePrompt(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		school := classOf(t, 30)
		rec1, rec2 := &bottest.Recorder{Caps: chat.Capabilities{Buttons: true}}, &bottest.Recorder{Caps: chat.Capabilities{Buttons: true}}
		opts := func(rec *bottest.Recorder) bottest.Options {
			return bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk,
				Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{discussion.New(), terms.New()}}
		}
		h1 := bottest.New(t, opts(rec1))
		h1.At("10:00")
		mustHandle(t, h1, command("post", "bakker", "discuss", "Waarom is water belangrijk? anonymous:ja"))
		h1.Tick()
		id := promptID(t, rec1)
		h2 := bottest.New(t, opts(rec2)) // a second process, started after the post
		engines := []*bottest.Harness{h1, h2}
		jobs := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					p := fmt.Sprintf("p%02d", i)
					h := engines[i%2].Engine
					evs := []chat.Event{inThread("say-"+p, p, discussion.Name+":"+id, "Antwoord van "+p)}
					if i%2 == 0 {
						evs = []chat.Event{button("open-"+p, p, discussion.Name+".answer", id), typed("type-"+p, p, "Antwoord van "+p)}
					}
					for _, ev := range evs {
						if r := h.Handle(context.Background(), ev); len(r) > 0 {
							t.Errorf("%s: %s", ev.ID, r[0].Text)
						}
					}
				}
			}()
		}
		for i := 1; i <= 30; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		// p02 changes their answer.
		mustHandle(t, h2, button("edit-p02", "p02", discussion.Name+".edit", id))
		mustHandle(t, h1, typed("retype-p02", "p02", "Nieuw antwoord"))
		got, err := rdb.HGetAll(context.Background(), prefix+":{core2}:disc:"+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 30; i++ {
			p := fmt.Sprintf("p%02d", i)
			want := "Antwoord van " + p
			if p == "p02" {
				want = "Nieuw antwoord"
			}
			var a struct {
				T string `json:"t"`
			}
			if err := json.Unmarshal([]byte(got["m:"+p]), &a); err != nil || a.T != want {
				t.Errorf("answer of %s = %q, want %q", p, got["m:"+p], want)
			}
		}
		if got["v"] != "2" {
			t.Errorf("version %s: answers must not bump it (created, opened: 2)", got["v"])
		}
		mustHandle(t, h2, button("close", "bakker", discussion.Name+".close", id))
		h1.Tick()
		h2.Tick()
		var digest string
		for _, rec := range []*bottest.Recorder{rec1, rec2} {
			for _, m := range rec.To("bakker") {
				if strings.Contains(m.Text, "Discussie gesloten") {
					if digest != "" {
						t.Errorf("two digests")
					}
					digest = m.Text
				}
			}
		}
		if !strings.Contains(digest, "30 van de 30") || strings.Contains(digest, "Niet geantwoord") {
			t.Fatalf("digest = %q", digest)
		}
		// A late press of the old answer button is answered, never counted.
		mustHandle(t, h1, button("late", "p01", discussion.Name+".answer", id))
		h1.Tick()
		if m := lastTo(t, rec1, "p01"); !strings.Contains(m.Text, "al gesloten") {
			t.Errorf("late press answered %q", m.Text)
		}
		// Nothing a pupil wrote went to the class channel before the teacher revealed.
		for _, rec := range []*bottest.Recorder{rec1, rec2} {
			for _, d := range rec.Sent() {
				if d.Message.To.Kind != chat.ToPerson && strings.Contains(d.Message.Text, "Antwoord van") {
					t.Errorf("a think-first answer reached the channel: %q", d.Message.Text)
				}
			}
		}
	})
}

// TestWordListThroughTheEngine: a teacher adds a term, a pupil looks it up with the
// Dutch command, accents and case ignored; a pupil's proposal is approved by button.
func TestWordListThroughTheEngine(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		rec := &bottest.Recorder{Caps: chat.Capabilities{Buttons: true}}
		h := bottest.New(t, bottest.Options{School: classOf(t, 2), Redis: rdb, Prefix: prefix, Clock: clk,
			Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{discussion.New(), terms.New()}})
		h.At("10:00")
		mustHandle(t, h, command("add", "bakker", "term", "toevoegen Fotosynthese = Planten maken suiker uit licht"))
		mustHandle(t, h, command("look", "p01", "term", "FOTOSYNTHÈSE"))
		h.Tick()
		if m := lastTo(t, rec, "p01"); !strings.Contains(m.Text, "Planten maken suiker") {
			t.Fatalf("look-up answered %q", m.Text)
		}
		mustHandle(t, h, command("prop", "p02", "term", "voorstel Ecosysteem = Alles wat samen leeft"))
		h.Tick()
		ask := lastTo(t, rec, "bakker")
		if len(ask.Choices) != 2 {
			t.Fatalf("teacher got %+v", ask)
		}
		mustHandle(t, h, button("ok", "bakker", ask.Choices[0].Action, ask.Choices[0].Value))
		mustHandle(t, h, button("ok-again", "bakker", ask.Choices[0].Action, ask.Choices[0].Value))
		h.Tick()
		if m := lastTo(t, rec, "bakker"); !strings.Contains(m.Text, "al besloten") {
			t.Errorf("double approve answered %q", m.Text)
		}
		got, err := rdb.HGetAll(context.Background(), prefix+":{core2}:terms:2B").Result()
		if err != nil {
			t.Fatal(err)
		}
		if got["f:t.ecosysteem"] == "" || got["f:t.fotosynthese"] == "" || got["m:p02"] != "" {
			t.Errorf("word list record = %v", got)
		}
	})
}

// TestThirtyPupilsVoteInOneDebate: thirty pupils vote before the debate at the same
// moment from four goroutines on two engines, a third of them pressing twice and a
// third changing their mind: every pupil counts once, the totals are exact, and the
// debate's version is untouched by votes.
func TestThirtyPupilsVoteInOneDebate(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		school := classOf(t, 30)
		rec1, rec2 := &bottest.Recorder{Caps: chat.Capabilities{Buttons: true}}, &bottest.Recorder{Caps: chat.Capabilities{Buttons: true}}
		opts := func(rec *bottest.Recorder) bottest.Options {
			return bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk,
				Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{debate.New(), terms.New()}}
		}
		h1, h2 := bottest.New(t, opts(rec1)), bottest.New(t, opts(rec2))
		h1.At("10:00")
		mustHandle(t, h1, command("start", "bakker", "debate", "Huiswerk moet worden afgeschaft"))
		h1.Tick()
		var id string
		for _, d := range rec1.Sent() {
			if d.Message.To.Kind == chat.ToThread {
				id = strings.TrimPrefix(d.Message.To.Thread, debate.Name+":")
			}
		}
		if id == "" {
			t.Fatal("no debate posted")
		}
		engines := []*bottest.Harness{h1, h2}
		jobs := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					p := fmt.Sprintf("p%02d", i)
					final := debate.Votes[i%3]
					var evs []chat.Event
					switch i % 3 {
					case 0: // presses twice
						evs = append(evs, button("v-"+p, p, debate.Name+".vote", id+":1:"+final), button("v2-"+p, p, debate.Name+".vote", id+":1:"+final))
					case 1: // changes their mind
						evs = append(evs, button("v-"+p, p, debate.Name+".vote", id+":1:unsure"), button("v2-"+p, p, debate.Name+".vote", id+":1:"+final))
					default:
						evs = append(evs, button("v-"+p, p, debate.Name+".vote", id+":1:"+final))
					}
					for k, ev := range evs {
						if r := engines[(i+k)%2].Engine.Handle(context.Background(), ev); len(r) > 0 {
							t.Errorf("%s: %s", ev.ID, r[0].Text)
						}
					}
				}
			}()
		}
		for i := 1; i <= 30; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		got, err := rdb.HGetAll(context.Background(), prefix+":{core2}:deb:"+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for k := range got {
			for _, v := range debate.Votes {
				if strings.HasPrefix(k, "s:v1."+v+":") {
					count[v]++
				}
			}
		}
		if count["agree"] != 10 || count["disagree"] != 10 || count["unsure"] != 10 {
			t.Errorf("totals = %v, want 10 each", count)
		}
		if got["v"] != "1" {
			t.Errorf("votes bumped the debate's version to %s", got["v"])
		}
		// The first round's post shows exactly those totals to the class.
		mustHandle(t, h2, button("r1", "bakker", debate.Name+".next", id+":1"))
		h2.Tick()
		found := false
		for _, d := range rec2.Sent() {
			found = found || strings.Contains(d.Message.Text, "eens 10, oneens 10, weet niet 10")
		}
		if !found {
			t.Errorf("the class did not see the exact totals")
		}
	})
}

// TestScheduledPromptSurvivesRestarts: a prompt scheduled for later and closed by its
// own timer, with the process that scheduled it gone: a new engine posts it at its time,
// takes an answer, and a third one closes it and sends the digest, once.
func TestScheduledPromptSurvivesRestarts(t *testing.T) {
	forEachStore(t, func(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock.Fake) {
		school := classOf(t, 2)
		open := func() (*bottest.Harness, *bottest.Recorder) {
			rec := &bottest.Recorder{Caps: chat.Capabilities{Buttons: true}}
			return bottest.New(t, bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk,
				Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{discussion.New(), terms.New()}}), rec
		}
		h1, rec1 := open()
		h1.At("10:00")
		mustHandle(t, h1, command("plan", "bakker", "discuss", "Wat vind jij? at:11:00 close:11:30"))
		h1.Tick()
		for _, d := range rec1.Sent() {
			if d.Message.To.Kind != chat.ToPerson {
				t.Fatalf("posted before its time: %q", d.Message.Text)
			}
		}
		h2, rec2 := open() // the first process is gone
		h2.At("11:00")
		id := promptID(t, rec2)
		mustHandle(t, h2, button("a1", "p01", discussion.Name+".answer", id))
		mustHandle(t, h2, typed("a2", "p01", "Mijn antwoord"))
		h3, rec3 := open()
		h3.At("11:30")
		h2.Tick()
		digests := 0
		for _, rec := range []*bottest.Recorder{rec1, rec2, rec3} {
			for _, m := range rec.To("bakker") {
				if strings.Contains(m.Text, "Discussie gesloten") {
					digests++
					if !strings.Contains(m.Text, "1 van de 2") || !strings.Contains(m.Text, "Pupil 02") {
						t.Errorf("digest = %q", m.Text)
					}
				}
			}
		}
		if digests != 1 {
			t.Errorf("%d digests, want 1", digests)
		}
	})
}
