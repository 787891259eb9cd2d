package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/kring-school/kring/bench"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/poll"
)

// BenchmarkEngineStep measures Engine.Handle of one event on a real Redis (and the
// embedded store): load the pupil's state, run the check-in step, commit state and
// the reply in one script. It reports the Redis round trips per step, which must be 2.
// `kring bench` measures the same with concurrency and a Redis ceiling beside it.
func BenchmarkEngineStep(b *testing.B) {
	for _, s := range bottest.Stores() {
		b.Run(s.Name, func(b *testing.B) {
			school, err := bench.School(4, 1)
			if err != nil {
				b.Fatal(err)
			}
			clk := clock.NewFake(bottest.Monday0750)
			rdb, prefix := s.Open(b, clk)
			var rt bench.RoundTrips
			rdb.AddHook(&rt)
			h := bottest.New(b, bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{&bottest.Recorder{}}})
			ctx := context.Background()
			event := func(id string) chat.Event {
				return chat.Event{ID: id, Platform: chat.Shell, User: "p0", DM: true, Kind: chat.KindCommand, Command: "checkin"}
			}
			// The first step starts the check-in and loads the commit script into Redis;
			// every later one re-asks the open question (a step that commits and queues).
			if r := h.Engine.Handle(ctx, event("warm")); len(r) > 0 {
				b.Fatalf("warm-up step: %s", r[0].Text)
			}
			b.ReportAllocs()
			rt0, n := rt.Count(), 0
			for b.Loop() {
				if r := h.Engine.Handle(ctx, event("ev-"+strconv.Itoa(n))); len(r) > 0 {
					b.Fatalf("step: %s", r[0].Text)
				}
				n++
			}
			b.ReportMetric(float64(rt.Count()-rt0)/float64(n), "roundtrips/op")
		})
	}
}

// BenchmarkSharedRecordStep measures a step that reads and writes a shared record: a
// pupil's vote on a poll (the poll is read with the pupil's state in one pipelined round
// trip, its version checked and the pupil's answer written in the commit).
func BenchmarkSharedRecordStep(b *testing.B) {
	for _, s := range bottest.Stores() {
		b.Run(s.Name, func(b *testing.B) {
			school, err := bench.School(4, 1)
			if err != nil {
				b.Fatal(err)
			}
			clk := clock.NewFake(bottest.Monday0750)
			rdb, prefix := s.Open(b, clk)
			var rt bench.RoundTrips
			rdb.AddHook(&rt)
			rec := &bottest.Recorder{}
			h := bottest.New(b, bottest.Options{School: school, Redis: rdb, Prefix: prefix, Clock: clk,
				Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{poll.New()}})
			ctx := context.Background()
			teacher := ""
			for _, p := range school.People {
				if p.Has(config.Teacher) && p.InClass(school.Classes[0].ID) {
					teacher = p.ID
				}
			}
			if teacher == "" {
				b.Skip("the bench school has no class teacher")
			}
			if r := h.Engine.Handle(ctx, chat.Event{ID: "create", Platform: chat.Shell, User: teacher, DM: true,
				Kind: chat.KindCommand, Command: "poll", ArgText: "Q? | a | b"}); len(r) > 0 {
				b.Fatalf("create: %s", r[0].Text)
			}
			h.Tick()
			var id string
			for _, d := range rec.Sent() {
				if len(d.Message.Choices) > 0 && d.Message.To.Kind == chat.ToThread {
					id, _, _ = strings.Cut(d.Message.Choices[0].Value, ":")
				}
			}
			b.ReportAllocs()
			rt0, n := rt.Count(), 0
			for b.Loop() {
				ev := chat.Event{ID: "v" + strconv.Itoa(n), Platform: chat.Shell, User: "p0", DM: true,
					Kind: chat.KindButton, Action: "poll.vote", Value: id + ":" + strconv.Itoa(n%2+1)}
				if r := h.Engine.Handle(ctx, ev); len(r) > 0 {
					b.Fatalf("vote: %s", r[0].Text)
				}
				n++
			}
			b.ReportMetric(float64(rt.Count()-rt0)/float64(n), "roundtrips/op")
		})
	}
}
