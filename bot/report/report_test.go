package report

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/chart"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/embedded"
	"github.com/kring-school/kring/bot/store/storetest"
)

func school(t testing.TB, teachersSee bool) *config.School {
	t.Helper()
	d := func(s string) config.Date { v, _ := config.ParseDate(s); return v }
	s := &config.School{
		ID: "rep",
		Classes: []*config.Class{{ID: "2B", Name: "Klas 2B", Locale: "nl", Schedule: config.Schedule{
			Holidays: []config.Holiday{{Name: "voorjaarsvakantie", From: d("2027-02-13"), To: d("2027-02-21")}},
		}}},
		People: []*config.Person{
			{ID: "anna", Name: "Anna de Vries", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
			{ID: "bram", Name: "Bram Jansen", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
			{ID: "devries", Name: "Dhr. De Vries", Roles: []config.Role{config.Mentor, config.Teacher}, Classes: []string{"2B"}},
			{ID: "bakker", Name: "Mevr. Bakker", Roles: []config.Role{config.Teacher}, Classes: []string{"2B"}},
			{ID: "mulder", Name: "Mevr. Mulder", Roles: []config.Role{config.Care}},
			{ID: "root", Name: "Ria Admin", Roles: []config.Role{config.Admin}},
			{ID: "other", Name: "Ander Mentor", Roles: []config.Role{config.Mentor}},
		},
		Policy: config.Policy{TeachersSeeCheckins: teachersSee},
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAllowed(t *testing.T) {
	for _, teachersSee := range []bool{false, true} {
		s := school(t, teachersSee)
		anna, _ := s.Person("anna")
		for viewer, want := range map[string]bool{
			"anna": true, "devries": true, "mulder": true, "bakker": teachersSee,
			"bram": false, "root": false, "other": false,
		} {
			v, _ := s.Person(viewer)
			if got := Allowed(s, v, anna) == nil; got != want {
				t.Errorf("teachers_see_checkins=%v: %s may see anna = %v, want %v", teachersSee, viewer, got, want)
			}
		}
		dv, _ := s.Person("devries")
		if Allowed(s, anna, dv) == nil {
			t.Error("a report of a mentor")
		}
	}
}

// seed writes check-ins and help requests the way the Engine stores them.
func seed(t *testing.T, ctx context.Context, st *store.Store, recs []record.CheckIn, helps []record.HelpRequest) {
	t.Helper()
	pipe := st.Client().Pipeline()
	for _, r := range recs {
		doc, _ := json.Marshal(r)
		d, err := config.ParseDate(r.Date)
		if err != nil {
			t.Fatal(err)
		}
		pipe.Set(ctx, st.Key("ci:"+r.Person+":"+r.Date), doc, time.Hour)
		pipe.ZAdd(ctx, st.Key("cix:"+r.Person), redis.Z{Score: float64(bot.DayNumber(d)), Member: r.Date})
	}
	for _, h := range helps {
		doc, _ := json.Marshal(h)
		pipe.Set(ctx, st.Key("h:"+h.ID), doc, time.Hour)
		pipe.ZAdd(ctx, st.Key("hq:"+h.Class), redis.Z{Score: float64(h.Created.UnixMilli()), Member: h.ID})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

// The seeded period: Mon 8 Feb to Fri 5 Mar 2027, with the spring holiday (13-21 Feb)
// in it: 15 school days. Anna checks in on 11 of them, misses one, is away one, has a
// half-finished one, and one day has no record at all.
func seedPeriod(t *testing.T, ctx context.Context, st *store.Store, loc *time.Location) {
	t.Helper()
	at := func(date string) time.Time {
		d, _ := config.ParseDate(date)
		return config.TimeOfDay(8*60+20).On(d, loc)
	}
	var recs []record.CheckIn
	done := func(date string, mood int, open, goal, prevGoal string, prev record.GoalResult) {
		recs = append(recs, record.CheckIn{Person: "anna", Class: "2B", Date: date, Status: record.Done, Mood: mood,
			Open: open, Goal: goal, PrevGoal: prevGoal, PrevResult: prev, Started: at(date), Finished: at(date).Add(3 * time.Minute)})
	}
	done("2027-02-08", 4, "Zin in de week", "Wiskunde 4-8 af", "", "")
	done("2027-02-09", 3, "", "Wiskunde 9-12 af", "Wiskunde 4-8 af", record.GoalMet)
	done("2027-02-10", 2, "<script>alert(1)</script> *vet* [link](http://x.example)\nnieuwe regel", "Woordjes leren", "Wiskunde 9-12 af", record.GoalPartly)
	recs = append(recs, record.CheckIn{Person: "anna", Class: "2B", Date: "2027-02-11", Status: record.Missed})
	done("2027-02-12", 3, "", "Woordjes | leren", "Woordjes leren", record.GoalNot)
	// 13-21 Feb: holiday. A record in the holiday (the schedule changed since) is not
	// counted as a check-in, but its words are the pupil's and are shown.
	done("2027-02-15", 5, "vakantie!", "", "", "")
	done("2027-02-22", 4, "", "Boekverslag", "", "")
	recs = append(recs, record.CheckIn{Person: "anna", Class: "2B", Date: "2027-02-23", Status: record.Away})
	recs = append(recs, record.CheckIn{Person: "anna", Class: "2B", Date: "2027-02-24", Status: record.Partial, Mood: 1, Open: "Slecht geslapen"})
	// 2027-02-25: no record at all.
	done("2027-02-26", 4, "", "Boekverslag af", "Boekverslag", record.GoalMet)
	done("2027-03-01", 5, "", "Presentatie oefenen", "Boekverslag af", record.GoalMet)
	done("2027-03-02", 4, "", "", "", "")
	done("2027-03-03", 4, "Goed weekend gehad", "", "", "")
	done("2027-03-04", 5, "", "", "", "")
	done("2027-03-05", 4, "", "", "", "")
	// Outside the period: not read.
	done("2027-02-05", 1, "te vroeg", "", "", "")
	done("2027-03-08", 1, "te laat", "", "", "")
	// Bram's records and help request share the class index and must not show.
	recs = append(recs, record.CheckIn{Person: "bram", Class: "2B", Date: "2027-02-09", Status: record.Done, Mood: 2, Open: "Bram zijn woorden"})
	helps := []record.HelpRequest{
		{ID: "anna-2027-02-10", Person: "anna", Class: "2B", Text: "Ik snap breuken niet", Source: "checkin", Created: at("2027-02-10"), State: "open"},
		{ID: "anna-2027-03-09", Person: "anna", Class: "2B", Text: "te laat", Source: "checkin", Created: at("2027-03-09"), State: "open"},
		{ID: "bram-2027-02-09", Person: "bram", Class: "2B", Text: "Bram zijn hulpvraag", Source: "checkin", Created: at("2027-02-09"), State: "open"},
	}
	seed(t, ctx, st, recs, helps)
}

func TestReportOfASeededPeriod(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	s := school(t, false)
	st := store.New(rdb, prefix, s.ID, 0)
	ctx := context.Background()
	class, _ := s.Class("2B")
	seedPeriod(t, ctx, st, class.Location)
	anna, _ := s.Person("anna")
	from, _ := config.ParseDate("2027-02-08")
	to, _ := config.ParseDate("2027-03-05")

	counter := &roundTrips{}
	rdb.AddHook(counter)
	ds, err := Load(ctx, st, s, []*config.Person{anna}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if n := counter.n.Load(); n != 2 {
		t.Errorf("report read in %d round trips, want 2", n)
	}
	d := ds[0]
	f := Compute(d)
	want := Figures{SchoolDays: 15, Done: 11, Partial: 1, Missed: 1, Away: 1, NoRecord: 1,
		Moods: 12, Low: 2, Goals: 7, Met: 3, Partly: 1, Not: 1, Unknown: 2, HelpAsked: 1, Words: 4}
	got := f
	got.MoodAvg, got.FirstHalf, got.SecondHalf, got.Spark = 0, 0, 0, ""
	if got != want {
		t.Errorf("figures\n got %+v\nwant %+v", got, want)
	}
	// Moods 4 3 2 · 3 | 4 · 1 · 4 | 5 4 4 5 4: mean 43/12; first 7 days 16/5, last 8 27/7.
	if !near(f.MoodAvg, 43.0/12) || !near(f.FirstHalf, 16.0/5) || !near(f.SecondHalf, 27.0/7) {
		t.Errorf("averages %.3f %.3f %.3f", f.MoodAvg, f.FirstHalf, f.SecondHalf)
	}
	if f.Spark != "▆▄▃·▄▆·▁·▆█▆▆█▆" {
		t.Errorf("sparkline %q", f.Spark)
	}

	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	mentor, _ := s.Person("devries")
	page, err := Build(d, cat.For("nl"), mentor, time.Date(2027, 3, 8, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var html, md bytes.Buffer
	if err := page.HTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := page.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	for _, want := range []string{
		`<h1>Periodeverslag van Anna de Vries</h1>`, "Klas 2B · 8 februari 2027 t/m 5 maart 2027", "Mentor: Dhr. De Vries",
		`id="mood"`, `id="checkins"`, `id="goals"`, `id="help"`, `id="words"`,
		`src="data:image/png;base64,`, "Gemiddelde stemming 3,6", "op 12 van de 15 schooldagen", "Eerste helft", "3,2", "3,9",
		"<th scope=\"row\">Niet ingecheckt</th><td class=\"num\">1</td>", "7 doelen gezet: 3 gehaald, 1 deels, 1 niet gehaald, 2 zonder antwoord",
		"Wiskunde 9-12 af</td><td>deels", "Ik snap breuken niet", "Slecht geslapen",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "vakantie!", "Gemaakt op 8 maart 2027 door Dhr. De Vries",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "Bram", "te vroeg", "te laat", "http://x.example\""} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML holds %q", bad)
		}
	}
	if strings.Count(h, "http") != 1 { // only the pupil's own (escaped) text
		t.Errorf("HTML refers to %d URLs; it must be self-contained", strings.Count(h, "http"))
	}
	m := md.String()
	for _, want := range []string{
		"# Periodeverslag van Anna de Vries", "## Stemming", "## Check-ins", "## Doelen", "## Hulpvragen", "## In eigen woorden",
		"](data:image/png;base64,", "\\<script\\>alert(1)\\</script\\> \\*vet\\* \\[link\\](http\\:", "nieuwe regel",
		"| Woordjes \\| leren |", "| Niet ingecheckt | 1 |",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Contains(m, "Bram") || strings.Contains(m, "<script>") {
		t.Error("Markdown holds another pupil's words or live markup")
	}
	if err := Audit(ctx, st, mentor, d, time.Date(2027, 3, 8, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	entries, err := rdb.LRange(ctx, st.AuditKey(time.Date(2027, 3, 8, 9, 0, 0, 0, time.UTC)), 0, -1).Result()
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0], `"actor":"devries","action":"report","subject":"anna"`) {
		t.Errorf("audit %v %v", entries, err)
	}
}

func TestLongPeriodHasMonths(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	s := school(t, false)
	st := store.New(rdb, prefix, s.ID, 0)
	ctx := context.Background()
	var recs []record.CheckIn
	from, _ := config.ParseDate("2026-09-01")
	to, _ := config.ParseDate("2027-01-29")
	class, _ := s.Class("2B")
	i := 0
	for d := from; !to.Before(d); d = d.AddDays(1) {
		if !class.IsSchoolDay(d) {
			continue
		}
		i++
		if i%6 == 0 {
			continue
		}
		recs = append(recs, record.CheckIn{Person: "anna", Class: "2B", Date: d.String(), Status: record.Done, Mood: 1 + i%5, Goal: "doel " + d.String()})
	}
	seed(t, ctx, st, recs, nil)
	anna, _ := s.Person("anna")
	ds, err := Load(ctx, st, s, []*config.Person{anna}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := i18n.Load()
	page, err := Build(ds[0], cat.For("en"), anna, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Months.Rows) != 5 || page.Months.Rows[0][0] != "September 2026" || page.Months.Rows[4][0] != "January 2027" {
		t.Fatalf("months %v", page.Months.Rows)
	}
	sep := page.Months.Rows[0]
	// September 2026 has 22 weekdays; every sixth school day has no check-in.
	if sep[1] != "22" || sep[2] != "19" {
		t.Errorf("September row %v", sep)
	}
	var html bytes.Buffer
	if err := page.HTML(&html); err != nil || !strings.Contains(html.String(), `id="months"`) || !strings.Contains(html.String(), "Period report for Anna de Vries") {
		t.Errorf("long report HTML: %v", err)
	}
}

func TestBadPeriod(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	s := school(t, false)
	anna, _ := s.Person("anna")
	from, _ := config.ParseDate("2027-03-05")
	to, _ := config.ParseDate("2027-03-01")
	if _, err := Load(context.Background(), store.New(rdb, prefix, s.ID, 0), s, []*config.Person{anna}, from, to); err == nil {
		t.Error("a period that ends before it starts was accepted")
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"*a* <b> [c](d) @here":   "\\*a\\* \\<b\\> \\[c\\](d) @here",
		"# kop\n- lijst\n1. een": "\\# kop\\\n  \\- lijst\\\n  1\\. een",
		"a-b http://x":           "a-b http\\://x",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Escape(""); got != "" {
		t.Errorf("Escape = %q", got)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestNoMoodsNoChart: a period without any mood shows no empty chart frame, says so in
// words, and still counts the school days.
func TestNoMoodsNoChart(t *testing.T) {
	s := school(t, false)
	anna, _ := s.Person("anna")
	class, _ := s.Class("2B")
	from, _ := config.ParseDate("2027-03-01")
	to, _ := config.ParseDate("2027-03-05")
	d := &Data{Pupil: anna, Class: class, From: from, To: to, Days: chart.Series(chart.SchoolDays(class, from, to), nil)}
	cat, _ := i18n.Load()
	page, err := Build(d, cat.For("en"), anna, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := page.HTML(&b); err != nil {
		t.Fatal(err)
	}
	if page.Chart != nil || strings.Contains(b.String(), "<img") || !strings.Contains(b.String(), "No mood was given") || page.Figures.NoRecord != 5 {
		t.Errorf("page without moods: chart %d bytes, figures %+v", len(page.Chart), page.Figures)
	}
	for _, want := range []string{"<p>No questions to teachers in this period.</p>", "<p>No nods or messages in this period.</p>", "<p>No mentor&#39;s notes in this period.</p>"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("an empty period's page lacks %q", want)
		}
	}
}

// stores opens the test Redis and the embedded store (miniredis), so the period read is
// checked on both stores Kring runs on.
func stores(t *testing.T) map[string]func(t *testing.T) (redis.UniversalClient, string) {
	return map[string]func(t *testing.T) (redis.UniversalClient, string){
		"redis": func(t *testing.T) (redis.UniversalClient, string) { return storetest.Redis(t) },
		"embedded": func(t *testing.T) (redis.UniversalClient, string) {
			srv, err := embedded.Open(filepath.Join(t.TempDir(), "kring.json"), clock.Real{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rdb := srv.NewClient()
			t.Cleanup(func() { _ = rdb.Close(); _ = srv.Close() })
			return rdb, storetest.Prefix(t)
		},
	}
}

// seedDocs writes JSON documents of owner in the layout of bot/record/mentor.go: the
// document at key prefix:owner:id and the id in the sorted set index:owner, scored in
// Unix milliseconds. A doc of nil leaves only the index entry: a record that expired.
func seedDocs(t *testing.T, ctx context.Context, st *store.Store, key, index, owner string, docs map[string]any, at map[string]time.Time) {
	t.Helper()
	pipe := st.Client().Pipeline()
	for id, doc := range docs {
		if doc != nil {
			raw, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			pipe.Set(ctx, st.Key(key+":"+owner+":"+id), raw, time.Hour)
		}
		pipe.ZAdd(ctx, st.Key(index+":"+owner), redis.Z{Score: float64(at[id].UnixMilli()), Member: id})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// markup is a pupil's text that would be live markup, a link or a mass mention if it
// were not escaped.
const markup = "<script>alert(2)</script> [link](http://x.example) @everyone"

// seedMentorPeriod seeds Anna's questions, nods, relayed messages and mentor notes
// around the period of 8 Feb to 5 Mar 2027.
func seedMentorPeriod(t *testing.T, ctx context.Context, st *store.Store, loc *time.Location) {
	t.Helper()
	at := func(date string, hhmm int) time.Time {
		d, _ := config.ParseDate(date)
		return config.TimeOfDay(hhmm).On(d, loc)
	}
	q := func(id, date, subject, text, status string, anon bool) record.Question {
		return record.Question{ID: id, Person: "anna", Class: "2B", Subject: subject, Text: text, Status: status, Anon: anon, Created: at(date, 10*60)}
	}
	routed := func(q record.Question, to string) record.Question { q.To = to; return q }
	qs := map[string]any{
		"q-in":     q("q-in", "2027-02-10", "wiskunde", markup, "answered", false),
		"q-old":    routed(q("q-old", "2027-01-20", "", "Wanneer is de toets?", "open", false), "bakker"),
		"q-closed": q("q-closed", "2027-01-15", "engels", "Oude vraag", "closed", false),
		"q-anon":   q("q-anon", "2027-02-24", "biologie", "Anonieme vraag over mijn lichaam", "open", true),
		"q-gone":   q("q-gone", "2027-03-09", "", "Na de periode", "open", false),
		"q-wd":     q("q-wd", "2027-03-01", "", "Laat maar", "withdrawn", false),
		"q-exp":    nil,
	}
	qat := map[string]time.Time{"q-exp": at("2027-02-11", 9*60)}
	for id, v := range qs {
		if v != nil {
			qat[id] = v.(record.Question).Created
		}
	}
	seedDocs(t, ctx, st, "qa", "qaix", "anna", qs, qat)

	note := func(from, to, text string, when time.Time) record.Note {
		return record.Note{From: from, To: to, Text: text, Time: when}
	}
	seedNotes := func(key, index string, notes map[string]record.Note) {
		docs, ats := map[string]any{}, map[string]time.Time{}
		for id, n := range notes {
			docs[id], ats[id] = n, n.Time
		}
		seedDocs(t, ctx, st, key, index, "anna", docs, ats)
	}
	seedNotes("nod", "nodix", map[string]record.Note{
		"n1": note("devries", "anna", "Goed bezig!", at("2027-02-09", 12*60)),
		"n2": note("devries", "anna", "", at("2027-02-23", 12*60)),
		"n3": note("devries", "anna", "knik te laat", at("2027-03-10", 12*60)),
		"n0": note("devries", "anna", "knik te vroeg", at("2027-02-07", 23*60+59)),
	})
	seedNotes("relay", "relayix", map[string]record.Note{
		"r1": note("devries", "anna", "Zullen we praten?", at("2027-02-22", 9*60)),
		"r2": note("anna", "devries", "<b>ja</b> "+markup, at("2027-02-22", 9*60+30)),
		"r3": note("oudmentor", "anna", "Groetjes", at("2027-02-12", 15*60)),
	})
	seedNotes("note", "noteix", map[string]record.Note{
		"m1": note("devries", "anna", "Gesprek gehad over planning", at("2027-02-26", 16*60)),
		"m2": note("devries", "anna", "Voor de periode", at("2027-02-05", 16*60)),
		"m3": note("devries", "anna", "Laat op de laatste dag", at("2027-03-05", 23*60+30)),
		"m4": note("devries", "anna", "Net na middernacht", at("2027-03-06", 10)),
	})
	// An expired note: the index still names it, the record is gone.
	seedDocs(t, ctx, st, "note", "noteix", "anna", map[string]any{"m5": nil}, map[string]time.Time{"m5": at("2027-02-15", 9*60)})
	// Bram's records must never show in Anna's report.
	seedDocs(t, ctx, st, "note", "noteix", "bram", map[string]any{"b1": note("devries", "bram", "Bram zijn notitie", at("2027-02-15", 9*60))},
		map[string]time.Time{"b1": at("2027-02-15", 9*60)})
}

// TestQuestionsNodsAndNotes: the period's questions (and earlier ones still waiting),
// nods, relayed messages and mentor notes are read in the same two round trips, on both
// stores, and the page shows them to each reader as the privacy rules say, escaped.
func TestQuestionsNodsAndNotes(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			rdb, prefix := open(t)
			s := school(t, false)
			st := store.New(rdb, prefix, s.ID, 0)
			ctx := context.Background()
			class, _ := s.Class("2B")
			seedPeriod(t, ctx, st, class.Location)
			seedMentorPeriod(t, ctx, st, class.Location)
			anna, _ := s.Person("anna")
			bram, _ := s.Person("bram")
			from, _ := config.ParseDate("2027-02-08")
			to, _ := config.ParseDate("2027-03-05")

			counter := &roundTrips{}
			rdb.AddHook(counter)
			ds, err := Load(ctx, st, s, []*config.Person{anna, bram}, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if n := counter.n.Load(); n != 2 {
				t.Errorf("report read in %d round trips, want 2", n)
			}
			d := ds[0]
			var ids []string
			for _, q := range d.Questions {
				ids = append(ids, q.ID)
			}
			if got := strings.Join(ids, " "); got != "q-old q-in q-anon q-wd" {
				t.Errorf("questions %q, want the older waiting one, then the period's, oldest first", got)
			}
			texts := func(ns []record.Note) string {
				var out []string
				for _, n := range ns {
					out = append(out, n.Text)
				}
				return strings.Join(out, "|")
			}
			if got := texts(d.Nods); got != "Goed bezig!|" {
				t.Errorf("nods %q", got)
			}
			if got := texts(d.Relays); got != "Groetjes|Zullen we praten?|<b>ja</b> "+markup {
				t.Errorf("relays %q", got)
			}
			if got := texts(d.Notes); got != "Gesprek gehad over planning|Laat op de laatste dag" {
				t.Errorf("notes %q (the period ends at midnight in the class's time zone)", got)
			}
			if got := texts(ds[1].Notes) + texts(ds[1].Nods); got != "Bram zijn notitie" {
				t.Errorf("Bram's notes and nods %q", got)
			}

			cat, err := i18n.Load()
			if err != nil {
				t.Fatal(err)
			}
			mentor, _ := s.Person("devries")
			render := func(L *i18n.Localizer, by *config.Person) (string, string) {
				t.Helper()
				page, err := Build(d, L, by, time.Date(2027, 3, 8, 9, 0, 0, 0, time.UTC))
				if err != nil {
					t.Fatal(err)
				}
				var h, m bytes.Buffer
				if err := page.HTML(&h); err != nil {
					t.Fatal(err)
				}
				if err := page.Markdown(&m); err != nil {
					t.Fatal(err)
				}
				return h.String(), m.String()
			}

			h, m := render(cat.For("nl"), mentor)
			for _, want := range []string{
				`id="questions"`, "<h2>Vragen aan docenten</h2>", "Vragen gesteld in deze periode, en eerdere die nog op antwoord wachten:",
				`<td class="date">20 januari 2027</td><td>geen vak</td><td class="quote">Wanneer is de toets?</td><td>wacht op antwoord van Mevr. Bakker</td>`,
				`<td class="date">10 februari 2027</td><td>wiskunde</td>`, "<td>beantwoord</td>", "Laat maar</td><td>ingetrokken</td>",
				`id="contact"`, "<h2>Knikjes en berichten met de mentor</h2>",
				`<span class="date">9 februari 2027</span> Dhr. De Vries knikte: <span class="quote">Goed bezig!</span>`,
				`<span class="date">23 februari 2027</span> Dhr. De Vries knikte, zonder woorden.</li>`,
				"oudmentor aan Anna de Vries:", "Dhr. De Vries aan Anna de Vries:", "Anna de Vries aan Dhr. De Vries:",
				`id="notes"`, "<h2>Notities van de mentor</h2>",
				`<span class="date">26 februari 2027</span> Dhr. De Vries schreef: <span class="quote">Gesprek gehad over planning</span>`,
				"5 maart 2027</span> Dhr. De Vries schreef:",
				"&lt;script&gt;alert(2)&lt;/script&gt; [link](http://x.example) @everyone", "&lt;b&gt;ja&lt;/b&gt;",
			} {
				if !strings.Contains(h, want) {
					t.Errorf("mentor's HTML lacks %q", want)
				}
			}
			for _, bad := range []string{"Anonieme vraag", "anoniem", "biologie", "Oude vraag", "Na de periode", "te laat", "te vroeg",
				"Voor de periode", "Net na middernacht", "Bram", "<script>", "<b>", "href"} {
				if strings.Contains(h, bad) || strings.Contains(m, bad) {
					t.Errorf("mentor's report holds %q", bad)
				}
			}
			// Nods and messages are two indexes but one conversation: merged by time.
			order := []string{"Goed bezig!", "Groetjes", "Zullen we praten?", "ja&lt;/b&gt;", "knikte, zonder woorden"}
			for i := 1; i < len(order); i++ {
				if strings.Index(h, order[i-1]) > strings.Index(h, order[i]) {
					t.Errorf("%q shown after %q: nods and messages must be in time order", order[i-1], order[i])
				}
			}
			for _, want := range []string{
				"## Vragen aan docenten", "| Datum | Vak | Vraag | Stand |",
				"| 20 januari 2027 | geen vak | Wanneer is de toets? | wacht op antwoord van Mevr. Bakker |",
				"| wiskunde | \\<script\\>alert(2)\\</script\\> \\[link\\](http\\://x.example) @everyone | beantwoord |",
				"## Knikjes en berichten met de mentor", "- **9 februari 2027**: Dhr. De Vries knikte\\: Goed bezig\\!",
				"- **23 februari 2027**: Dhr. De Vries knikte, zonder woorden.",
				"Anna de Vries aan Dhr. De Vries\\: \\<b\\>ja\\</b\\> \\<script\\>",
				"## Notities van de mentor", "- **26 februari 2027**: Dhr. De Vries schreef\\: Gesprek gehad over planning",
			} {
				if !strings.Contains(m, want) {
					t.Errorf("mentor's Markdown lacks %q", want)
				}
			}
			// The only link target is the chart's data URI: a pupil's [link](url) is inert.
			if n := strings.Count(m, "](") - strings.Count(m, "\\]("); n != 1 || strings.Contains(m, "<script>") {
				t.Errorf("Markdown holds live markup: %d link targets", n)
			}

			// The pupil sees their own anonymous question, marked as such.
			h, m = render(cat.For("en"), anna)
			for _, want := range []string{"<h2>Questions to teachers</h2>", "Anonieme vraag over mijn lichaam", "waiting for an answer (asked anonymously)",
				"<td>no subject</td>", "Dhr. De Vries nodded:", "Dhr. De Vries nodded, without words.", "Anna de Vries to Dhr. De Vries:", "Dhr. De Vries wrote:"} {
				if !strings.Contains(h, want) {
					t.Errorf("pupil's HTML lacks %q", want)
				}
			}
			if !strings.Contains(m, "| biologie | Anonieme vraag over mijn lichaam | waiting for an answer (asked anonymously) |") {
				t.Error("pupil's Markdown lacks their anonymous question")
			}

			// Staff see it when the school's policy shows them who asked anonymously.
			s.Policy.TeacherSeesAnonymousName = true
			h, m = render(cat.For("nl"), mentor)
			if !strings.Contains(h, "Anonieme vraag over mijn lichaam") || !strings.Contains(m, "wacht op antwoord (anoniem gesteld)") {
				t.Error("with teacher_sees_anonymous_name the mentor does not see the anonymous question")
			}
		})
	}
}

// TestAnonymousQuestionIsNotCounted: a reader who may not see an anonymous question
// is not told there is one, not even by a count or an empty table.
func TestAnonymousQuestionIsNotCounted(t *testing.T) {
	s := school(t, false)
	anna, _ := s.Person("anna")
	mentor, _ := s.Person("devries")
	class, _ := s.Class("2B")
	from, _ := config.ParseDate("2027-03-01")
	to, _ := config.ParseDate("2027-03-05")
	d := &Data{Pupil: anna, Class: class, School: s, From: from, To: to, Days: chart.Series(chart.SchoolDays(class, from, to), nil),
		Questions: []record.Question{{ID: "q", Person: "anna", Text: "geheim", Status: "open", Anon: true, Created: time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)}}}
	cat, _ := i18n.Load()
	for _, by := range []*config.Person{mentor, nil} {
		page, err := Build(d, cat.For("en"), by, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var h, m bytes.Buffer
		if err := page.HTML(&h); err != nil {
			t.Fatal(err)
		}
		if err := page.Markdown(&m); err != nil {
			t.Fatal(err)
		}
		for _, out := range []string{h.String(), m.String()} {
			if strings.Contains(out, "geheim") || strings.Contains(out, "anonymously") || strings.Contains(out, "| Date | Subject |") ||
				!strings.Contains(out, "No questions to teachers in this period.") {
				t.Errorf("reader %v: the anonymous question shows or is hinted at:\n%s", by, out)
			}
		}
	}
}

// TestAlertingWordsAreWithheld: what the pupil wrote that holds a safeguarding phrase
// (it went to the mentor and care as an alert) is not in the report read with the
// parents, wherever it stood; a line says why. Other words and the mentor's are kept.
func TestAlertingWordsAreWithheld(t *testing.T) {
	s := school(t, false)
	anna, _ := s.Person("anna")
	mentor, _ := s.Person("devries")
	class, _ := s.Class("2B")
	from, _ := config.ParseDate("2027-03-01")
	to, _ := config.ParseDate("2027-03-05")
	at := time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)
	const bad = "mijn vader slaat me"
	d := &Data{Pupil: anna, Class: class, School: s, From: from, To: to, Days: chart.Series(chart.SchoolDays(class, from, to), nil),
		CheckIns: []record.CheckIn{
			{Person: "anna", Class: "2B", Date: "2027-03-01", Status: record.Done, Open: bad, Goal: bad, Help: bad},
			{Person: "anna", Class: "2B", Date: "2027-03-02", Status: record.Done, Open: "lekker geslapen", Goal: "hoofdstuk 4"},
		},
		Questions: []record.Question{{ID: "q", Person: "anna", Text: bad, Status: "open", Created: at}},
		Relays: []record.Note{
			{From: "anna", To: "devries", Text: bad, Time: at},
			{From: "devries", To: "anna", Text: "wil je erover praten? " + bad + "?", Time: at.Add(time.Minute)},
		},
		Sensitive: func(text string) bool { return strings.Contains(text, bad) && !strings.HasPrefix(text, "wil je") },
	}
	cat, _ := i18n.Load()
	page, err := Build(d, cat.For("nl"), mentor, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var h, m bytes.Buffer
	if err := page.HTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := page.Markdown(&m); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"html": h.String(), "markdown": m.String()} {
		// Open answer, goal, help, question and the pupil's relayed message: five places.
		if n := strings.Count(out, "gingen als zorgsignaal naar de mentor"); n != 5 {
			t.Errorf("%s: %d texts withheld, want 5:\n%s", name, n, out)
		}
		if strings.Count(out, bad) != 1 || !strings.Contains(out, "lekker geslapen") || !strings.Contains(out, "hoofdstuk 4") {
			t.Errorf("%s: want only the mentor's message to keep the words, and the other texts kept:\n%s", name, out)
		}
	}
}

// TestReplyAtTheSameMomentFollowsTheMessage: a pupil's relayed answer stamped with the
// same time as the mentor's message (a clock that stood still) is shown after it.
func TestReplyAtTheSameMomentFollowsTheMessage(t *testing.T) {
	s := school(t, false)
	anna, _ := s.Person("anna")
	mentor, _ := s.Person("devries")
	class, _ := s.Class("2B")
	from, _ := config.ParseDate("2027-03-01")
	to, _ := config.ParseDate("2027-03-05")
	at := time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)
	d := &Data{Pupil: anna, Class: class, School: s, From: from, To: to, Days: chart.Series(chart.SchoolDays(class, from, to), nil),
		Relays: []record.Note{{From: "anna", To: "devries", Text: "Ja, is goed.", Time: at}, {From: "devries", To: "anna", Text: "Zullen we praten?", Time: at}}}
	cat, _ := i18n.Load()
	page, err := Build(d, cat.For("nl"), mentor, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var m bytes.Buffer
	if err := page.Markdown(&m); err != nil {
		t.Fatal(err)
	}
	if q, a := strings.Index(m.String(), "Zullen we praten?"), strings.Index(m.String(), "Ja, is goed."); q < 0 || a < q {
		t.Errorf("the answer comes before the message:\n%s", m.String())
	}
}
