package report

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/storetest"
)

// BenchmarkLoadDigest reads 30 pupils over a school year (190 school days of
// check-ins), each with a year's questions, nods, relayed messages and notes: as a
// mentor's digest reads them (LoadSummary: no nods, messages or notes) and as the
// report does (Load). The digest's budget is 50 ms; the read must stay two round trips.
func BenchmarkLoadDigest(b *testing.B) {
	rdb, prefix := storetest.Redis(b)
	s := school(b, false)
	st := store.New(rdb, prefix, s.ID, 0)
	ctx := context.Background()
	class, _ := s.Class("2B")
	from, _ := config.ParseDate("2026-09-01")
	to, _ := config.ParseDate("2027-06-30")
	var days []config.Date
	for d := from; !to.Before(d) && len(days) < 190; d = d.AddDays(1) {
		if class.IsSchoolDay(d) {
			days = append(days, d)
		}
	}
	var pupils []*config.Person
	pipe := rdb.Pipeline()
	put := func(key, index, id string, at time.Time, doc any) {
		raw, _ := json.Marshal(doc)
		pipe.Set(ctx, st.Key(key), raw, time.Hour)
		pipe.ZAdd(ctx, st.Key(index), redis.Z{Score: float64(at.UnixMilli()), Member: id})
	}
	for i := range 30 {
		id := fmt.Sprintf("p%02d", i)
		pupils = append(pupils, &config.Person{ID: id, Name: "Leerling " + id, Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"})
		for j, d := range days {
			doc, _ := json.Marshal(record.CheckIn{Person: id, Class: "2B", Date: d.String(), Status: record.Done, Mood: 1 + j%5,
				Goal: "Hoofdstuk afmaken", Open: "Gisteren was de training zwaar"})
			pipe.Set(ctx, st.Key("ci:"+id+":"+d.String()), doc, time.Hour)
			pipe.ZAdd(ctx, st.Key("cix:"+id), redis.Z{Score: float64(bot.DayNumber(d)), Member: d.String()})
			at := config.TimeOfDay(10*60).On(d, class.Location)
			n := record.Note{From: "devries", To: id, Text: "Goed bezig deze week", Time: at}
			qid := fmt.Sprintf("q%d", j)
			switch {
			case j%10 == 0:
				put("qa:"+id+":"+qid, "qaix:"+id, qid, at, record.Question{ID: qid, Person: id, Class: "2B", Text: "Hoe werkt dit?", Status: "answered", Created: at})
			case j%5 == 1:
				put("nod:"+id+":"+qid, "nodix:"+id, qid, at, n)
			case j%10 == 3:
				put("relay:"+id+":"+qid, "relayix:"+id, qid, at, n)
			case j%20 == 7:
				put("note:"+id+":"+qid, "noteix:"+id, qid, at, n)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	counter := &roundTrips{}
	rdb.AddHook(counter)
	for _, v := range []struct {
		name     string
		load     func(context.Context, *store.Store, *config.School, []*config.Person, config.Date, config.Date) ([]*Data, error)
		wantNods int
	}{{"digest", LoadSummary, 0}, {"report", Load, 38}} {
		b.Run(v.name, func(b *testing.B) {
			counter.n.Store(0)
			for b.Loop() {
				ds, err := v.load(ctx, st, s, pupils, from, to)
				if err != nil {
					b.Fatal(err)
				}
				if len(ds[0].CheckIns) != len(days) || len(ds[0].Questions) != 19 || len(ds[0].Nods) != v.wantNods {
					b.Fatalf("read %d check-ins, %d questions, %d nods", len(ds[0].CheckIns), len(ds[0].Questions), len(ds[0].Nods))
				}
			}
			b.ReportMetric(float64(counter.n.Load())/float64(b.N), "roundtrips/op")
		})
	}
}
