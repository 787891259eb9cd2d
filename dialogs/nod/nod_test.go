package nod_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/checkin"
	"github.com/kring-school/kring/dialogs/nod"
)

func school(t *testing.T) *config.School {
	t.Helper()
	s := &config.School{ID: "nod", Locale: "nl", Classes: []*config.Class{{ID: "2B", Name: "2B"}}}
	s.People = []*config.Person{
		{ID: "devries", Name: "Dhr. de Vries", Roles: []config.Role{config.Mentor}},
		{ID: "jansen", Name: "Mw. Jansen", Roles: []config.Role{config.Mentor}},
		{ID: "mulder", Name: "Mw. Mulder", Roles: []config.Role{config.Care}},
		{ID: "anna", Name: "Anna", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

func ev(id, user string) chat.Event {
	return chat.Event{ID: id, Platform: chat.Shell, User: user, DM: true}
}

func run(t *testing.T, h *bottest.Harness, e chat.Event) {
	t.Helper()
	if r := h.Engine.Handle(context.Background(), e); len(r) > 0 {
		t.Fatalf("%s: %s", e.ID, r[0].Text)
	}
	h.Tick()
}

func last(t *testing.T, rec *bottest.Recorder, user string) string {
	t.Helper()
	ms := rec.To(user)
	if len(ms) == 0 {
		t.Fatalf("nothing sent to %s", user)
	}
	return ms[len(ms)-1].Text
}

// TestNodAndRelayedReply: the mentor's nod reaches the pupil with the mentor's words
// escaped and is kept in the pupil's record; another mentor may not nod; the mentor's
// reply reaches the pupil, whose typed answer goes back to the mentor (not to the
// inbox), both kept in the pupil's record; a worrying answer also alerts.
func TestNodAndRelayedReply(t *testing.T) {
	for _, st := range bottest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(bottest.Monday0750)
			rdb, prefix := st.Open(t, clk)
			rec := &bottest.Recorder{}
			h := bottest.New(t, bottest.Options{School: school(t), Redis: rdb, Prefix: prefix, Clock: clk,
				Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{checkin.New(), nod.New()}})
			ctx := context.Background()
			n := ev("n1", "devries")
			n.Kind, n.Command, n.ArgText = chat.KindCommand, "nod", "anna Goed bezig @everyone *echt*"
			run(t, h, n)
			got := last(t, rec, "anna")
			if !strings.Contains(got, "heeft je check-in gezien") || !strings.Contains(got, chat.Literal("Goed bezig @everyone *echt*")) {
				t.Fatalf("pupil's nod = %q", got)
			}
			if keys := rdb.Keys(ctx, prefix+":{nod}:nod:anna:*").Val(); len(keys) != 1 {
				t.Errorf("nod records %v, want 1 in the pupil's record", keys)
			}
			o := ev("n2", "jansen")
			o.Kind, o.Command, o.ArgText = chat.KindCommand, "nod", "anna"
			run(t, h, o)
			if got := last(t, rec, "jansen"); !strings.Contains(got, "niet jouw mentorleerling") {
				t.Errorf("another mentor's nod answered %q", got)
			}
			b := ev("n3", "devries")
			b.Kind, b.Action, b.Value = chat.KindButton, nod.ActionNod, "anna"
			run(t, h, b)
			if c := len(rec.To("anna")); c != 2 {
				t.Errorf("the nod button sent %d messages to anna in all, want 2", c)
			}

			r := ev("r1", "devries")
			r.Kind, r.Command, r.ArgText = chat.KindCommand, "reply", "anna Zullen we morgen even praten?"
			run(t, h, r)
			h.Tick() // the pupil's side wakes
			if got := last(t, rec, "anna"); !strings.Contains(got, chat.Literal("Zullen we morgen even praten?")) {
				t.Fatalf("pupil did not get the mentor's message: %q", got)
			}
			run(t, h, func() chat.Event {
				e := ev("r2", "anna")
				e.Kind, e.Text = chat.KindMessage, "ja graag, na de les"
				return e
			}())
			if got := last(t, rec, "devries"); !strings.Contains(got, chat.Literal("ja graag, na de les")) {
				t.Fatalf("mentor did not get the pupil's answer: %q", got)
			}
			if got := last(t, rec, "anna"); !strings.Contains(got, "Doorgegeven") {
				t.Errorf("pupil was told %q", got)
			}
			if keys := rdb.Keys(ctx, prefix+":{nod}:relay:anna:*").Val(); len(keys) != 2 {
				t.Errorf("relay records %v, want the message and the answer", keys)
			}
			// The conversation ended: the next text is the inbox's again.
			run(t, h, func() chat.Event { e := ev("r3", "anna"); e.Kind, e.Text = chat.KindMessage, "nog iets"; return e }())
			if got := last(t, rec, "devries"); strings.Contains(got, "nog iets") {
				t.Error("text after the answer was relayed too")
			}
		})
	}
}

// TestRelayedAnswerIsChecked: a worrying answer to the mentor alerts like any text.
func TestRelayedAnswerIsChecked(t *testing.T) {
	rec := &bottest.Recorder{}
	h := bottest.New(t, bottest.Options{School: school(t), Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{nod.New()}})
	r := ev("r1", "devries")
	r.Kind, r.Command, r.ArgText = chat.KindCommand, "reply", "anna Hoe gaat het?"
	run(t, h, r)
	h.Tick()
	e := ev("r2", "anna")
	e.Kind, e.Text = chat.KindMessage, "niet goed, ik word gepest"
	run(t, h, e)
	alerted := false
	for _, m := range rec.To("mulder") {
		alerted = alerted || (m.Staff && strings.Contains(m.Text, "gepest"))
	}
	if !alerted {
		t.Error("a worrying answer to the mentor did not alert the care coordinator")
	}
}

// TestMentorNote: a note is kept in the pupil's record and nothing reaches the pupil;
// the mentor is told who will read it; another mentor may not write one; a note
// without words gets the usage line.
func TestMentorNote(t *testing.T) {
	for _, st := range bottest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(bottest.Monday0750)
			rdb, prefix := st.Open(t, clk)
			rec := &bottest.Recorder{}
			h := bottest.New(t, bottest.Options{School: school(t), Redis: rdb, Prefix: prefix, Clock: clk,
				Adapters: []chat.Adapter{rec}, Dialogs: []dialog.Dialog{nod.New()}})
			ctx := context.Background()
			n := ev("n1", "devries")
			n.Kind, n.Command, n.ArgText = chat.KindCommand, "note", "anna Gesproken over plannen"
			run(t, h, n)
			if got := last(t, rec, "devries"); !strings.Contains(got, "periodeverslag") {
				t.Errorf("mentor told %q, want where the note appears", got)
			}
			if ms := rec.To("anna"); len(ms) != 0 {
				t.Errorf("the pupil got %q for a note", ms[0].Text)
			}
			keys := rdb.Keys(ctx, prefix+":{nod}:note:anna:*").Val()
			if len(keys) != 1 || !strings.Contains(rdb.Get(ctx, keys[0]).Val(), "Gesproken over plannen") {
				t.Fatalf("note records %v, want 1 with the words", keys)
			}
			if n := rdb.ZCard(ctx, prefix+":{nod}:noteix:anna").Val(); n != 1 {
				t.Errorf("note index holds %d, want 1", n)
			}
			o := ev("n2", "jansen")
			o.Kind, o.Command, o.ArgText = chat.KindCommand, "note", "anna iets"
			run(t, h, o)
			if got := last(t, rec, "jansen"); !strings.Contains(got, "niet jouw mentorleerling") {
				t.Errorf("another mentor's note answered %q", got)
			}
			e := ev("n3", "devries")
			e.Kind, e.Command, e.ArgText = chat.KindCommand, "note", "anna"
			if r := h.Engine.Handle(ctx, e); len(r) != 1 || !strings.Contains(r[0].Text, "/notitie <leerling> <notitie>") {
				t.Errorf("an empty note answered %+v, want the usage line", r)
			}
			if keys := rdb.Keys(ctx, prefix+":{nod}:note:anna:*").Val(); len(keys) != 1 {
				t.Errorf("note records %v after refusals, want still 1", keys)
			}
		})
	}
}
