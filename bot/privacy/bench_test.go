package privacy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/privacy"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/storetest"
)

// BenchmarkFindAndErase measures an access and an erasure request in a school year on
// the test Redis: pupils with 190 check-ins each, a class discussion a day per class
// (every pupil answering), and an audit log of 190 days. Each iteration finds and
// erases one pupil who has all of that. Run with
//
//	go test -run '^$' -bench FindAndErase -benchtime 5x ./bot/privacy/
func BenchmarkFindAndErase(b *testing.B) {
	const pupils, classes, days = 600, 24, 190
	ctx := context.Background()
	rdb, prefix := storetest.Redis(b)
	st := store.New(rdb, prefix, "demo", 400*24*time.Hour)
	disc := record.Kind{Name: "discussion", Key: "disc:{id}", Shape: record.SharedRecord, Owners: record.OwnedByMembers}
	kinds, err := record.NewKinds(disc)
	if err != nil {
		b.Fatal(err)
	}
	pv, err := privacy.New(privacy.Options{Store: st, Kinds: kinds})
	if err != nil {
		b.Fatal(err)
	}
	start, _ := config.ParseDate("2025-09-01")
	seed := func(pupil string, class int) {
		pipe := rdb.Pipeline()
		for d := range days {
			date := start.AddDays(d)
			doc, _ := json.Marshal(record.CheckIn{Person: pupil, Class: "c", Date: date.String(), Status: record.Done, Mood: 3, Open: "a day like any other", Goal: "read a chapter"})
			pipe.Set(ctx, st.Key("ci:"+pupil+":"+date.String()), doc, time.Hour)
			pipe.ZAdd(ctx, st.Key("cix:"+pupil), redis.Z{Score: float64(bot.DayNumber(date)), Member: date.String()})
			pipe.ZAdd(ctx, st.Key("ri:"+pupil), redis.Z{Score: float64(d), Member: "ci:" + pupil + ":" + date.String()})
			pipe.HSet(ctx, st.Key(fmt.Sprintf("disc:%d-%d", class, d)), "m:"+pupil, `{"t":"my answer to today's question"}`)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for p := range pupils {
		seed(fmt.Sprintf("p%d", p), p%classes)
	}
	for d := range days {
		pipe := rdb.Pipeline()
		for p := range pupils {
			e, _ := json.Marshal(record.Audit{Actor: "kring", Action: "digest-read", Subject: fmt.Sprintf("p%d", p)})
			pipe.LPush(ctx, st.Key("audit:"+start.AddDays(d).String()), e)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	size, _ := rdb.DBSize(ctx).Result()
	b.Logf("%d keys in this Redis (%d in the school's prefix)", size, pupils*days+pupils*2+classes*days+days)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		seed("anna", i%classes)
		b.StartTimer()
		t0 := time.Now()
		f, err := pv.Find(ctx, "anna")
		if err != nil {
			b.Fatal(err)
		}
		found := time.Since(t0)
		if len(f.Docs) != days || len(f.Shares) != days {
			b.Fatalf("found %d records and %d shares, want %d each", len(f.Docs), len(f.Shares), days)
		}
		t1 := time.Now()
		if _, err := pv.Erase(ctx, f, privacy.EraseOptions{}); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.Logf("find %v, erase %v", found, time.Since(t1))
		}
	}
}
