package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
)

// TestReportReadsWhatTheEngineWrote: a check-in done through the real Engine (keys,
// indexes and JSON as the core writes them) shows up in the report, help request
// included, on both stores.
func TestReportReadsWhatTheEngineWrote(t *testing.T) {
	for _, s := range bottest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			clk := clock.NewFake(bottest.Monday0750)
			rdb, prefix := s.Open(t, clk)
			h := bottest.New(t, bottest.Options{Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{&bottest.Recorder{}}})
			h.At("08:15")
			ctx := context.Background()
			for i, text := range []string{"Ik ben moe", "4", "Hoofdstuk 3 lezen", "Ik snap breuken niet"} {
				ev := chat.Event{ID: "r" + string(rune('a'+i)), Platform: chat.Shell, User: "anna", DM: true, Kind: chat.KindMessage, Text: text}
				if replies := h.Engine.Handle(ctx, ev); len(replies) > 0 {
					t.Fatalf("%q: %+v", text, replies)
				}
			}
			h.Tick()
			anna, _ := h.School.Person("anna")
			today := config.DateOf(clk.Now().In(bottest.Monday0750.Location()))
			ds, err := Load(ctx, h.Store, h.School, []*config.Person{anna}, today.AddDays(-7), today)
			if err != nil {
				t.Fatal(err)
			}
			d := ds[0]
			if len(d.CheckIns) != 1 || d.CheckIns[0].Mood != 4 || d.CheckIns[0].Open != "Ik ben moe" || len(d.Help) != 1 || d.Help[0].Text != "Ik snap breuken niet" {
				t.Fatalf("report data: check-ins %+v, help %+v", d.CheckIns, d.Help)
			}
			page, err := Build(d, h.Catalog.For("nl"), anna, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := page.HTML(&b); err != nil || !strings.Contains(b.String(), "Ik snap breuken niet") || !strings.Contains(b.String(), "Hoofdstuk 3 lezen") {
				t.Errorf("HTML: %v", err)
			}
		})
	}
}
