package digest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/digest"
	"github.com/redis/go-redis/v9"
)

// school: class 2B (anna, bram, cas, and n extra pupils of another mentor) and class 3A
// (dave); devries mentors anna, bram, cas and dave; bakker teaches 2B.
func school(t *testing.T, extra int) *config.School {
	t.Helper()
	s := &config.School{ID: "digest", Locale: "nl", Classes: []*config.Class{{ID: "2B", Name: "2B"}, {ID: "3A", Name: "3A"}}}
	s.People = []*config.Person{
		{ID: "devries", Name: "Dhr. de Vries", Roles: []config.Role{config.Mentor}},
		{ID: "jansen", Name: "Mw. Jansen", Roles: []config.Role{config.Mentor}},
		{ID: "bakker", Name: "Mevr. Bakker", Roles: []config.Role{config.Teacher}, Classes: []string{"2B"}},
		{ID: "anna", Name: "Anna", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
		{ID: "bram", Name: "Bram", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
		{ID: "cas", Name: "Cas", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
		{ID: "dave", Name: "Dave", Roles: []config.Role{config.Pupil}, Classes: []string{"3A"}, Mentor: "devries"},
	}
	for i := 1; i <= extra; i++ {
		s.People = append(s.People, &config.Person{ID: fmt.Sprintf("x%d", i), Name: fmt.Sprintf("X%d", i),
			Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "jansen"})
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

// seedTerm writes check-ins from 2026-09-01 to the Friday before friday: anna checks in
// every day with mood 4 and meets every goal; bram has moods 4 until the last week, then
// 1 and 2 and misses two days (a missed check-in has no mood); cas 3 every day; dave 4.
func seedTerm(t *testing.T, rdb redis.UniversalClient, prefix string, s *config.School, until config.Date) {
	t.Helper()
	ctx := context.Background()
	pipe := rdb.Pipeline()
	c, _ := s.Class("2B")
	put := func(ci record.CheckIn) {
		doc, _ := json.Marshal(ci)
		d, _ := config.ParseDate(ci.Date)
		pipe.Set(ctx, prefix+":{digest}:ci:"+ci.Person+":"+ci.Date, doc, 0)
		pipe.ZAdd(ctx, prefix+":{digest}:cix:"+ci.Person, redis.Z{Score: float64(bot.DayNumber(d)), Member: ci.Date})
	}
	lastWeek := until.AddDays(-4)
	for d, _ := config.ParseDate("2026-09-01"); !until.Before(d); d = d.AddDays(1) {
		if !c.IsSchoolDay(d) {
			continue
		}
		ds := d.String()
		put(record.CheckIn{Person: "anna", Class: "2B", Date: ds, Status: record.Done, Mood: 4, PrevResult: record.GoalMet, Level: "teacher"})
		put(record.CheckIn{Person: "cas", Class: "2B", Date: ds, Status: record.Done, Mood: 3})
		put(record.CheckIn{Person: "dave", Class: "3A", Date: ds, Status: record.Done, Mood: 4})
		switch {
		case d.Before(lastWeek):
			put(record.CheckIn{Person: "bram", Class: "2B", Date: ds, Status: record.Done, Mood: 4})
		case d.Weekday() == time.Tuesday || d.Weekday() == time.Wednesday:
			put(record.CheckIn{Person: "bram", Class: "2B", Date: ds, Status: record.Missed})
		default:
			put(record.CheckIn{Person: "bram", Class: "2B", Date: ds, Status: record.Done, Mood: 1 + d.Day%2})
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func cmd(id, user, name, args string) chat.Event {
	return chat.Event{ID: id, Platform: chat.Shell, User: user, DM: true, Kind: chat.KindCommand, Command: name, ArgText: args}
}

// TestWeeklyDigestFromASeededTerm: on the Friday of a seeded term the mentor gets one
// digest for mentees in two classes, pupils who need attention first, a quiet pupil on
// one line, a steering suggestion accepted with one button, and each mentee's read
// audited; on Monday (weekly) nothing; after /samenvatting dagelijks, Monday's digest
// marks what is new.
func TestWeeklyDigestFromASeededTerm(t *testing.T) {
	for _, st := range bottest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			s := school(t, 0)
			friday := time.Date(2026, 11, 27, 7, 0, 0, 0, bottest.Monday0750.Location())
			clk := clock.NewFake(friday)
			rdb, prefix := st.Open(t, clk)
			seedTerm(t, rdb, prefix, s, config.DateOf(friday))
			rec := &bottest.Recorder{}
			h := bottest.New(t, bottest.Options{School: s, Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec},
				Dialogs: []dialog.Dialog{checkin.New(), digest.New(s)}})
			// An alert about dave nobody has handled yet.
			rdb.HSet(context.Background(), prefix+":{digest}:p:dave", "alert:a1", "bullying")
			h.At("15:30")
			h.Tick()
			var digests []chat.Message
			for _, m := range rec.To("devries") {
				if strings.Contains(m.Text, "Overzicht van je mentorleerlingen") {
					digests = append(digests, m)
				}
			}
			if len(digests) != 1 {
				t.Fatalf("mentor got %d digests, want 1 (mentees in two classes)", len(digests))
			}
			text := digests[0].Text
			att, quiet := strings.Index(text, "Aandacht nodig"), strings.Index(text, "Rustig")
			bram, cas := strings.Index(text, chat.Literal("Bram")), strings.Index(text, chat.Literal("Cas"))
			if att < 0 || quiet < att || bram < att || bram > quiet || cas < quiet {
				t.Fatalf("attention first, quiet last:\n%s", text)
			}
			if !strings.Contains(text, "lage stemming") || !strings.Contains(text, "2 gemist") {
				t.Errorf("bram's line lacks low mood or missed days:\n%s", text)
			}
			// Bram's moods in the week: Mon 1+23%2=2? The average counts only given moods.
			if strings.Count(text, chat.Literal("Dave")) != 1 {
				t.Errorf("dave (other class) missing or twice:\n%s", text)
			}
			if dave := strings.Index(text, chat.Literal("Dave")); dave > quiet || !strings.Contains(text[dave:], "open zorgsignaal, nog door niemand opgepakt (pesten)") {
				t.Errorf("dave's open alert is not among what needs attention:\n%s", text)
			}
			var steer *chat.Choice
			for i, c := range digests[0].Choices {
				if c.Action == digest.ActionLevel && strings.HasPrefix(c.Value, "anna:") {
					steer = &digests[0].Choices[i]
				}
			}
			if steer == nil || steer.Value != "anna:shared" {
				t.Fatalf("no steering suggestion for anna (goals met every day): %+v", digests[0].Choices)
			}
			ev := chat.Event{ID: "lv", Platform: chat.Shell, User: "devries", DM: true, Kind: chat.KindButton, Action: steer.Action, Value: steer.Value}
			if r := h.Engine.Handle(context.Background(), ev); len(r) > 0 {
				t.Fatal(r[0].Text)
			}
			h.Tick()
			if got := rdb.HGet(context.Background(), prefix+":{digest}:p:anna", "level").Val(); got != "shared" {
				t.Errorf("anna's level = %q after accepting, want shared", got)
			}
			audits := rdb.LRange(context.Background(), prefix+":{digest}:audit:2026-11-27", 0, -1).Val()
			reads := map[string]bool{}
			for _, a := range audits {
				var e record.Audit
				_ = json.Unmarshal([]byte(a), &e)
				if e.Action == "digest-read" && e.Actor == "devries" {
					reads[e.Subject] = true
				}
			}
			if len(reads) != 4 {
				t.Errorf("audited digest reads %v, want the 4 mentees", reads)
			}

			// Monday, weekly: no digest.
			rec.Reset()
			clk.Set(time.Date(2026, 11, 30, 7, 0, 0, 0, friday.Location()))
			h.At("15:30")
			if n := len(rec.To("devries")); n != 0 {
				t.Fatalf("weekly mentor got %d messages on Monday: %+v", n, rec.To("devries"))
			}
			if r := h.Engine.Handle(context.Background(), cmd("f1", "devries", "digest", "dagelijks")); len(r) > 0 {
				t.Fatal(r[0].Text)
			}
			// Cas checks in on Tuesday; the daily digest marks it new.
			pipe := rdb.Pipeline()
			doc, _ := json.Marshal(record.CheckIn{Person: "cas", Class: "2B", Date: "2026-12-01", Status: record.Done, Mood: 5})
			pipe.Set(context.Background(), prefix+":{digest}:ci:cas:2026-12-01", doc, 0)
			d, _ := config.ParseDate("2026-12-01")
			pipe.ZAdd(context.Background(), prefix+":{digest}:cix:cas", redis.Z{Score: float64(bot.DayNumber(d)), Member: "2026-12-01"})
			if _, err := pipe.Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			clk.Set(time.Date(2026, 12, 1, 7, 0, 0, 0, friday.Location()))
			rec.Reset()
			h.At("15:30")
			h.Tick()
			ms := rec.To("devries")
			if len(ms) != 2 || !strings.Contains(ms[1].Text, "🆕 *"+chat.Literal("Cas")) {
				t.Fatalf("daily digest on Tuesday does not mark cas's new check-in: %+v", ms)
			}
		})
	}
}

// TestClassFiguresNeedFivePupils: a teacher's class summary refuses a class of four
// pupils and gives only totals for five; a pupil's summary is their own.
func TestClassFiguresNeedFivePupils(t *testing.T) {
	for _, tc := range []struct {
		extra int
		want  string
	}{{0, "minder dan 5"}, {1, "5 leerlingen"}} {
		s := school(t, tc.extra) // 2B: anna, bram, cas + extra
		s.People = append(s.People[:0:0], s.People...)
		friday := time.Date(2026, 11, 27, 7, 0, 0, 0, bottest.Monday0750.Location())
		clk := clock.NewFake(friday)
		rdb, prefix := bottest.Stores()[0].Open(t, clk)
		if tc.extra == 0 {
			// 3 pupils in 2B plus one more: four.
			p := &config.Person{ID: "y1", Name: "Y1", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}}
			s.People = append(s.People, p)
			if err := s.Prepare(); err != nil {
				t.Fatal(err)
			}
		} else {
			s.People = append(s.People, &config.Person{ID: "y1", Name: "Y1", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}})
			if err := s.Prepare(); err != nil {
				t.Fatal(err)
			}
		}
		seedTerm(t, rdb, prefix, s, config.DateOf(friday))
		rec := &bottest.Recorder{}
		h := bottest.New(t, bottest.Options{School: s, Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec},
			Dialogs: []dialog.Dialog{digest.New(s)}})
		if r := h.Engine.Handle(context.Background(), cmd("c1", "bakker", "summary", "klas:2B")); len(r) > 0 {
			t.Fatal(r[0].Text)
		}
		h.Tick()
		got := rec.To("bakker")
		if len(got) != 1 || !strings.Contains(got[0].Text, tc.want) {
			t.Fatalf("class summary with %d pupils: %+v", 4+tc.extra, got)
		}
		for _, name := range []string{"Anna", "Bram"} {
			if strings.Contains(got[0].Text, name) {
				t.Errorf("class figures name a pupil: %q", got[0].Text)
			}
		}
		if r := h.Engine.Handle(context.Background(), cmd("c2", "bram", "summary", "leerling:anna")); len(r) > 0 {
			t.Fatal(r[0].Text)
		}
		h.Tick()
		own := rec.To("bram")
		if len(own) != 1 || strings.Contains(own[0].Text, chat.Literal("Anna")) || !strings.Contains(own[0].Text, chat.Literal("Bram")) {
			t.Errorf("a pupil's summary must be their own: %+v", own)
		}
	}
}

// TestDigestAttachesChartsWhereFilesWork: where the mentor's platform takes files, the
// digest adds a mood chart for each pupil who needs attention (at most MaxCharts), in
// staff-only messages whose file names hold no pupil's name; elsewhere only sparklines.
func TestDigestAttachesChartsWhereFilesWork(t *testing.T) {
	for _, files := range []bool{true, false} {
		t.Run(fmt.Sprintf("files=%v", files), func(t *testing.T) {
			t.Parallel()
			s := school(t, 0)
			friday := time.Date(2026, 11, 27, 7, 0, 0, 0, bottest.Monday0750.Location())
			clk := clock.NewFake(friday)
			rdb, prefix := bottest.Stores()[0].Open(t, clk)
			seedTerm(t, rdb, prefix, s, config.DateOf(friday))
			rec := &bottest.Recorder{Caps: chat.Capabilities{Buttons: true, Files: files}}
			h := bottest.New(t, bottest.Options{School: s, Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec},
				Dialogs: []dialog.Dialog{checkin.New(), digest.New(s)}})
			h.At("15:30")
			h.Tick()
			var charts []chat.Message
			for _, m := range rec.To("devries") {
				if m.Image != nil {
					charts = append(charts, m)
				}
			}
			if !files {
				if len(charts) != 0 {
					t.Fatalf("%d charts sent to a platform without files", len(charts))
				}
				return
			}
			if len(charts) == 0 || len(charts) > digest.MaxCharts {
				t.Fatalf("%d charts, want 1..%d (bram needs attention)", len(charts), digest.MaxCharts)
			}
			bram := false
			for _, m := range charts {
				img := m.Image
				if !m.Staff || len(img.PNG) < 1000 || string(img.PNG[:4]) != "\x89PNG" || img.Alt == "" {
					t.Errorf("chart message = staff %v, %d bytes, alt %q", m.Staff, len(img.PNG), img.Alt)
				}
				for _, p := range s.People {
					if strings.Contains(strings.ToLower(img.Name), strings.ToLower(p.ID)) {
						t.Errorf("file name %q holds %s", img.Name, p.ID)
					}
				}
				bram = bram || strings.Contains(m.Text, chat.Literal("Bram"))
			}
			if !bram {
				t.Errorf("no chart for bram, who needs attention: %+v", charts)
			}
		})
	}
}

// TestOpenQuestionsInTheDigest: a mentee's question still waiting for an answer is in
// the mentor's digest with whom it waits on, and puts the pupil among those who need
// attention; an answered one is not; an anonymous one is left out for the mentor (the
// policy does not show teachers who asked) but is in the pupil's own summary.
func TestOpenQuestionsInTheDigest(t *testing.T) {
	for _, st := range bottest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			s := school(t, 0)
			friday := time.Date(2026, 11, 27, 7, 0, 0, 0, bottest.Monday0750.Location())
			clk := clock.NewFake(friday)
			rdb, prefix := st.Open(t, clk)
			seedTerm(t, rdb, prefix, s, config.DateOf(friday))
			ctx := context.Background()
			wednesday := friday.AddDate(0, 0, -2).Add(3 * time.Hour)
			for _, q := range []record.Question{
				// Asked before the digest's week and still waiting: it must still show.
				{ID: "q1", Person: "cas", Class: "2B", Subject: "wiskunde", To: "bakker", Text: "Hoe deel je breuken <b>echt</b>?", Status: "open", Created: wednesday.AddDate(0, 0, -14)},
				{ID: "q2", Person: "cas", Class: "2B", To: "bakker", Text: "Een geheime vraag", Anon: true, Status: "open", Created: wednesday},
				{ID: "q3", Person: "anna", Class: "2B", Subject: "wiskunde", To: "bakker", Text: "Al beantwoord", Status: "answered", Created: wednesday},
			} {
				doc, _ := json.Marshal(q)
				rdb.Set(ctx, prefix+":{digest}:qa:"+q.Person+":"+q.ID, doc, 0)
				rdb.ZAdd(ctx, prefix+":{digest}:qaix:"+q.Person, redis.Z{Score: float64(q.Created.UnixMilli()), Member: q.ID})
			}
			rec := &bottest.Recorder{}
			h := bottest.New(t, bottest.Options{School: s, Redis: rdb, Prefix: prefix, Clock: clk, Adapters: []chat.Adapter{rec},
				Dialogs: []dialog.Dialog{checkin.New(), digest.New(s)}})
			h.At("15:30")
			h.Tick()
			var text string
			for _, m := range rec.To("devries") {
				if strings.Contains(m.Text, "Overzicht van je mentorleerlingen") {
					text = m.Text
				}
			}
			quiet := strings.Index(text, "Rustig")
			cas := strings.Index(text, chat.Literal("Cas"))
			if cas < 0 || (quiet >= 0 && cas > quiet) || !strings.Contains(text[cas:], "een vraag wacht op antwoord") {
				t.Fatalf("cas's open question does not put her among those who need attention:\n%s", text)
			}
			if !strings.Contains(text, "vraag aan "+chat.Literal("Mevr. Bakker")+" ("+chat.Literal("wiskunde")+"), wacht sinds 2026-11-11: "+chat.Literal("Hoe deel je breuken <b>echt</b>?")) {
				t.Errorf("the open question is not listed as waiting on the teacher:\n%s", text)
			}
			if strings.Contains(text, "geheime") || strings.Contains(text, "Al beantwoord") {
				t.Errorf("an anonymous or answered question is in the mentor's digest:\n%s", text)
			}
			if r := h.Engine.Handle(ctx, cmd("s1", "cas", "summary", "")); len(r) > 0 {
				t.Fatal(r[0].Text)
			}
			h.Tick()
			own := rec.To("cas")
			if len(own) == 0 || !strings.Contains(own[len(own)-1].Text, chat.Literal("Een geheime vraag")) {
				t.Errorf("the pupil's own summary lacks her anonymous question: %+v", own)
			}
		})
	}
}
