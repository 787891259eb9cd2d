package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/report"
	"github.com/kring-school/kring/bot/store"
	digestpkg "github.com/kring-school/kring/dialogs/digest"
)

// MenteeDigest is what a mentor's weekly digest says about one pupil. Mentor
// summaries are a later feature; this is the work such a digest does, so its cost is
// known: every check-in of the year read and decoded, a trend and a sparkline computed.
type MenteeDigest struct {
	Person           string
	Answered, Missed int
	GoalsMet         int
	HelpAsked        int
	// MoodAvg is the mean mood of the last five answered check-ins; MoodTrend the
	// least-squares slope of mood per check-in over the whole period.
	MoodAvg, MoodTrend float64
	// Spark is the last ten school days' moods as a text sparkline.
	Spark string
}

var sparks = []rune("▁▂▄▆█")

// Summarise computes one mentee's digest from their check-ins, newest first.
func Summarise(person string, recs []record.CheckIn) MenteeDigest {
	d := MenteeDigest{Person: person}
	var n, sx, sy, sxx, sxy float64
	recent, recentN := 0.0, 0
	for i, r := range recs {
		switch r.Status {
		case record.Missed:
			d.Missed++
			continue
		case record.Done, record.Partial:
			d.Answered++
		}
		if r.PrevResult == record.GoalMet {
			d.GoalsMet++
		}
		if r.Help != "" {
			d.HelpAsked++
		}
		if r.Mood > 0 {
			x := float64(len(recs) - i) // older records have smaller x
			y := float64(r.Mood)
			n++
			sx += x
			sy += y
			sxx += x * x
			sxy += x * y
			if recentN < 5 {
				recent += y
				recentN++
			}
		}
	}
	if recentN > 0 {
		d.MoodAvg = recent / float64(recentN)
	}
	if den := n*sxx - sx*sx; den != 0 {
		d.MoodTrend = (n*sxy - sx*sy) / den
	}
	var b strings.Builder
	last := min(10, len(recs))
	for i := last - 1; i >= 0; i-- {
		if m := recs[i].Mood; m >= 1 && m <= 5 {
			b.WriteRune(sparks[m-1])
		} else {
			b.WriteRune('·')
		}
	}
	d.Spark = b.String()
	return d
}

// digest seeds a school year of check-ins for one mentor's mentees and times the
// digest: through Engine.RecentCheckIns (two round trips per mentee), and with all
// reads pipelined (two round trips in all).
func digest(ctx context.Context, rep *Report, col int, t *target, school *config.School, cat *i18n.Catalog, o Options, progress func(string, ...any)) error {
	prefix := newPrefix("digest")
	rep.Prefixes = append(rep.Prefixes, prefix)
	defer func() { _ = deletePrefix(context.WithoutCancel(ctx), t.rdb, prefix) }()
	rt, err := newRuntime(t, prefix, school, cat, clock.NewFake(benchDay()))
	if err != nil {
		return err
	}
	mentor := school.Classes[0].ID
	mentor = "m" + strings.TrimPrefix(mentor, "c")
	mentees := school.Mentees(mentor)
	if len(mentees) > o.Mentees {
		mentees = mentees[:o.Mentees]
	}
	ids := make([]string, len(mentees))
	for i, p := range mentees {
		ids[i] = p.ID
	}
	days, err := seedYear(ctx, rt.Store, ids, o.Days)
	if err != nil {
		return err
	}
	progress("%s: seeded %d check-ins for %d mentees", t.name, len(ids)*len(days), len(ids))

	viaEngine := func() ([]MenteeDigest, error) {
		out := make([]MenteeDigest, 0, len(ids))
		for _, id := range ids {
			recs, err := rt.Engine.RecentCheckIns(ctx, id, o.Days)
			if err != nil {
				return nil, err
			}
			out = append(out, Summarise(id, recs))
		}
		return out, nil
	}
	pipelined := func() ([]MenteeDigest, error) { return pipelinedDigest(ctx, rt.Store, ids, o.Days) }

	for _, v := range []struct {
		key, label string
		f          func() ([]MenteeDigest, error)
	}{
		{"digest", "Engine.RecentCheckIns per mentee", viaEngine},
		{"digest.pipelined", "all reads pipelined", pipelined},
	} {
		var times []time.Duration
		var allocs, bytes uint64
		rt0 := t.rt.Count()
		for range o.DigestRuns {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			ds, err := v.f()
			el := time.Since(start)
			runtime.ReadMemStats(&m1)
			if err != nil {
				return err
			}
			if len(ds) != len(ids) || ds[0].Answered+ds[0].Missed != len(days) || len([]rune(ds[0].Spark)) != min(10, len(days)) {
				return fmt.Errorf("digest read %d mentees, first %+v; want %d with %d days", len(ds), ds[0], len(ids), len(days))
			}
			times = append(times, el)
			allocs += m1.Mallocs - m0.Mallocs
			bytes += m1.TotalAlloc - m0.TotalAlloc
		}
		rts := float64(t.rt.Count()-rt0) / float64(o.DigestRuns)
		sortDurations(times)
		med := percentile(times, .5)
		runs := uint64(o.DigestRuns)
		progress("%s: digest (%s): %s, %d allocations, %.0f round trips", t.name, v.label, med, allocs/runs, rts)
		what := fmt.Sprintf("4. digest, %d mentees × %d days (%s)", len(ids), len(days), v.label)
		rep.set(col, v.key+".time", what+": time", "", dur(med))
		rep.set(col, v.key+".allocs", what+": allocations", "", count(int64(allocs/runs)))
		rep.set(col, v.key+".bytes", what+": bytes allocated", "", mib(int64(bytes/runs)))
		rep.set(col, v.key+".rtt", what+": round trips", "", num(rts, "%.0f"))
	}
	return dialogDigest(ctx, rep, col, t, rt.Store, school, mentees, len(days), o, progress)
}

// dialogDigest times the mentor digest as dialogs/digest computes it: the Engine's
// period read (report.Load: every index in one pipeline, every record in a second) and
// digest.Summarise per mentee; once over the whole seeded year, and once over the
// week a weekly digest covers, with the year in the store.
func dialogDigest(ctx context.Context, rep *Report, col int, t *target, st *store.Store, school *config.School,
	mentees []*config.Person, ndays int, o Options, progress func(string, ...any)) error {
	to := config.DateOf(benchDay())
	for _, v := range []struct {
		key, label, target string
		from               config.Date
	}{
		{"digest.dialog", fmt.Sprintf("%d days (dialogs/digest: period read + Summarise)", ndays), "≤ 50 ms", to.AddDays(-ndays * 7 / 5)},
		{"digest.week", "the weekly digest's 7 days, a year stored (dialogs/digest)", "", to.AddDays(-6)},
	} {
		var times []time.Duration
		var allocs, bytes uint64
		rt0 := t.rt.Count()
		for range o.DigestRuns {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			ds, err := report.LoadSummary(ctx, st, school, mentees, v.from, to)
			if err != nil {
				return err
			}
			var out []digestpkg.Mentee
			for _, d := range ds {
				out = append(out, digestpkg.Summarise(d.Pupil, d.Class,
					dialog.PupilPeriod{Pupil: d.Pupil.ID, CheckIns: d.CheckIns, Help: d.Help, Questions: d.Questions},
					v.from, to, to.AddDays(-7), d.Pupil.Level))
			}
			digestpkg.Order(out)
			el := time.Since(start)
			runtime.ReadMemStats(&m1)
			if len(out) != len(mentees) || out[0].Answered == 0 || len(out[0].Questions) == 0 {
				return fmt.Errorf("digest dialog summarised %d mentees, first %+v; want each with check-ins and an open question", len(out), out[0])
			}
			times = append(times, el)
			allocs += m1.Mallocs - m0.Mallocs
			bytes += m1.TotalAlloc - m0.TotalAlloc
		}
		rts := float64(t.rt.Count()-rt0) / float64(o.DigestRuns)
		sortDurations(times)
		med := percentile(times, .5)
		runs := uint64(o.DigestRuns)
		progress("%s: digest (%s): %s, %d allocations, %.0f round trips", t.name, v.label, med, allocs/runs, rts)
		what := fmt.Sprintf("4. digest, %d mentees × %s", len(mentees), v.label)
		rep.set(col, v.key+".time", what+": time", v.target, dur(med))
		rep.set(col, v.key+".allocs", what+": allocations", "", count(int64(allocs/runs)))
		rep.set(col, v.key+".bytes", what+": bytes allocated", "", mib(int64(bytes/runs)))
		rep.set(col, v.key+".rtt", what+": round trips", "", num(rts, "%.0f"))
	}
	return nil
}

// seedYear writes days school days of check-ins (ending on the bench day) for each
// person, as the Engine stores them: one JSON record and one index entry per day.
func seedYear(ctx context.Context, st *store.Store, people []string, days int) ([]config.Date, error) {
	var dates []config.Date
	d := config.DateOf(benchDay())
	for len(dates) < days {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			dates = append(dates, d)
		}
		d = d.AddDays(-1)
	}
	ttl := st.Retention()
	pipe := st.Client().Pipeline()
	queued := 0
	for pi, p := range people {
		for di, date := range dates {
			rec := record.CheckIn{Person: p, Class: "c0", Date: date.String(), Status: record.Done,
				Mood: 1 + (pi*7+di*3+di/5)%5, Goal: "Hoofdstuk " + date.String() + " afmaken en de woordjes leren",
				PrevGoal: "De vorige opdracht inleveren", PrevResult: record.GoalMet, Level: string(config.SelfLed),
				Started: benchDay().AddDate(0, 0, -di), Finished: benchDay().AddDate(0, 0, -di).Add(3 * time.Minute)}
			if (pi+di)%9 == 0 {
				rec = record.CheckIn{Person: p, Class: "c0", Date: date.String(), Status: record.Missed}
			}
			if di%4 == 0 {
				rec.Open = "Gisteren was de training zwaar, vandaag een toets"
			}
			doc, err := json.Marshal(rec)
			if err != nil {
				return nil, err
			}
			pipe.Set(ctx, st.Key("ci:"+p+":"+date.String()), doc, ttl)
			pipe.ZAdd(ctx, st.Key("cix:"+p), redis.Z{Score: float64(bot.DayNumber(date)), Member: date.String()})
			if di%10 == 0 {
				// A question every two weeks (the latest still open), and a nod, a relayed
				// message and a mentor note: what a digest and a report read besides check-ins.
				if err := seedMentorRecords(ctx, pipe, st, p, date, di == 0, ttl); err != nil {
					return nil, err
				}
			}
			queued++
			if queued%2000 == 0 {
				if _, err := pipe.Exec(ctx); err != nil {
					return nil, fmt.Errorf("seed check-ins: %w", err)
				}
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("seed check-ins: %w", err)
	}
	return dates, nil
}

// seedMentorRecords writes one question (open when open is set, else answered), one
// nod, one relayed message and one mentor note for pupil on date, as the Engine stores
// them (record kinds in bot/record).
func seedMentorRecords(ctx context.Context, pipe redis.Pipeliner, st *store.Store, pupil string, date config.Date, open bool, ttl time.Duration) error {
	at := date.On(time.UTC).Add(10 * time.Hour)
	id := date.String()
	status := "answered"
	if open {
		status = "open"
	}
	docs := map[string]any{
		record.KindQuestion: record.Question{ID: id, Person: pupil, Class: "c0", Subject: "wiskunde", To: "t0",
			Text: "Hoe reken je de oppervlakte van een cirkel uit?", Status: status, Created: at, Updated: at},
		record.KindNod:   record.Note{From: "m0", To: pupil, Text: "Goed bezig deze week!", Time: at},
		record.KindRelay: record.Note{From: "m0", To: pupil, Text: "Zullen we morgen even praten?", Time: at},
		record.KindNote:  record.Note{From: "m0", To: pupil, Text: "Gesproken over plannen; probeert een weekplanning.", Time: at},
	}
	for _, k := range append(record.MentorKinds(), record.QuestionKind()) {
		doc, err := json.Marshal(docs[k.Name])
		if err != nil {
			return err
		}
		pipe.Set(ctx, st.Key(k.KeyFor(pupil, id)), doc, ttl)
		pipe.ZAdd(ctx, st.Key(k.IndexFor(pupil, "")), redis.Z{Score: float64(at.UnixMilli()), Member: id})
	}
	return nil
}

// pipelinedDigest reads every mentee's index in one pipeline and every record in a
// second, then summarises: two round trips for the whole digest.
func pipelinedDigest(ctx context.Context, st *store.Store, ids []string, n int) ([]MenteeDigest, error) {
	pipe := st.Client().Pipeline()
	idx := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range ids {
		idx[i] = pipe.ZRevRange(ctx, st.Key("cix:"+id), 0, int64(n-1))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("digest index: %w", err)
	}
	pipe = st.Client().Pipeline()
	docs := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		dates := idx[i].Val()
		keys := make([]string, len(dates))
		for j, d := range dates {
			keys[j] = st.Key("ci:" + id + ":" + d)
		}
		if len(keys) > 0 {
			docs[i] = pipe.MGet(ctx, keys...)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("digest records: %w", err)
	}
	out := make([]MenteeDigest, 0, len(ids))
	for i, id := range ids {
		var recs []record.CheckIn
		if docs[i] != nil {
			vals := docs[i].Val()
			recs = make([]record.CheckIn, 0, len(vals))
			for _, v := range vals {
				s, ok := v.(string)
				if !ok {
					continue
				}
				var c record.CheckIn
				if err := json.Unmarshal([]byte(s), &c); err != nil {
					return nil, fmt.Errorf("decode check-in of %s: %w", id, err)
				}
				recs = append(recs, c)
			}
		}
		out = append(out, Summarise(id, recs))
	}
	return out, nil
}
