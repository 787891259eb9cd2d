package privacy_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/privacy"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store"
)

// TestPlacesOutsideRecords: the places the engine and adapters keep outside declared
// records (language, linked accounts, link codes, DM caches, wrong-code counters,
// dedupe markers, queued messages, timers, class indexes, the audit log) are found for
// anna by her exact id, never for annabel, whose data sits beside hers everywhere;
// erase removes hers and leaves annabel's.
func TestPlacesOutsideRecords(t *testing.T) {
	for _, s := range bottest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rdb, prefix := s.Open(t, clock.NewFake(bottest.Monday0750))
			st := store.New(rdb, prefix, "demo", time.Hour)
			k := st.Key
			now := bottest.Monday0750
			for _, who := range []string{"anna", "annabel"} {
				help, _ := json.Marshal(record.HelpRequest{ID: who + "-2026-11-23", Person: who, Class: "2B", Text: who + " needs help with fractions"})
				msg := `{"platform":"discord","delivery":{"message":{"id":"m-` + who + `","to":{"kind":"person","person":"` + who + `"},"text":"hello ` + who + `","replyRef":"secret-handle"},"address":{"user":"u-` + who + `"}}}`
				audit := func(actor, subject string) string {
					b, _ := json.Marshal(record.Audit{Time: now, Actor: actor, Action: "set-level", Subject: subject})
					return string(b)
				}
				pipe := rdb.Pipeline()
				pipe.HSet(ctx, k("p:"+who), "v", "3", "goal", who+"'s goal")
				pipe.HSet(ctx, k("lang"), who, "en")
				pipe.HSet(ctx, k("links"), "discord:"+who, "u-"+who, "@discord:u-"+who, who, "slack:"+who, "-s-"+who)
				pipe.Set(ctx, k("lcp:"+who), "hash-"+who, 0)
				pipe.HSet(ctx, k("lc:hash-"+who), "person", who)
				pipe.HSet(ctx, k("lc:used-"+who), "person", who, "used", "1")
				pipe.Set(ctx, k("kv:discord:dm:u-"+who), "channel", 0)
				pipe.Set(ctx, k("kv:slack:dm:s-"+who), "channel", 0)
				pipe.HSet(ctx, k("lf:discord:u-"+who), "n", "2")
				pipe.Set(ctx, k("e:job:checkin.checkin:2B:2026-11-23:"+who), "1", 0)
				pipe.Set(ctx, k("e:tm:nod|"+who+"|relay:1"), "1", 0)
				pipe.HSet(ctx, k("om:m-"+who), "body", msg)
				pipe.ZAdd(ctx, k("ob"), redis.Z{Score: 1, Member: "m-" + who})
				pipe.HSet(ctx, k("tb:nod|"+who+"|relay"), "p", who, "pl", "a message for "+who)
				pipe.ZAdd(ctx, k("tm"), redis.Z{Score: 1, Member: "nod|" + who + "|relay"})
				pipe.Set(ctx, k("h:"+who+"-2026-11-23"), help, 0)
				pipe.ZAdd(ctx, k("hq:2B"), redis.Z{Score: 1, Member: who + "-2026-11-23"})
				pipe.LPush(ctx, k("audit:2026-11-23"), audit("devries", who), audit(who, "@2B"), audit("kring", "daan,"+who+",sanne"))
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			kinds, err := record.NewKinds()
			if err != nil {
				t.Fatal(err)
			}
			pv, err := privacy.New(privacy.Options{Store: st, Kinds: kinds})
			if err != nil {
				t.Fatal(err)
			}
			f, err := pv.Find(ctx, "anna")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(f.Bundle("demo", now))
			export := string(b)
			for _, want := range []string{"anna's goal", "anna needs help with fractions", "hello anna", "m-anna", "a message for anna", `"discord:anna":"u-anna"`} {
				if !strings.Contains(export, want) {
					t.Errorf("export lacks %q", want)
				}
			}
			if strings.Contains(export, "secret-handle") {
				t.Error("export holds a platform's reply handle")
			}
			if strings.Contains(export, "annabel") {
				t.Errorf("export holds annabel's data: %s", export)
			}
			if all, sole := f.AuditCounts(); all != 3 || sole != 2 {
				t.Errorf("audit entries naming anna: %d, %d about her alone; want 3, 2", all, sole)
			}

			if _, err := pv.Erase(ctx, f, privacy.EraseOptions{Audit: true}); err != nil {
				t.Fatal(err)
			}
			left := map[string]bool{}
			iter := rdb.Scan(ctx, 0, prefix+":*", 100).Iterator()
			for iter.Next(ctx) {
				left[strings.TrimPrefix(iter.Val(), k(""))] = true
			}
			if err := iter.Err(); err != nil {
				t.Fatal(err)
			}
			for _, gone := range []string{"p:anna", "lcp:anna", "lc:hash-anna", "lc:used-anna", "kv:discord:dm:u-anna", "kv:slack:dm:s-anna",
				"lf:discord:u-anna", "e:job:checkin.checkin:2B:2026-11-23:anna", "e:tm:nod|anna|relay:1", "om:m-anna", "tb:nod|anna|relay", "h:anna-2026-11-23"} {
				if left[gone] {
					t.Errorf("%s left", gone)
				}
				if kept := strings.ReplaceAll(gone, "anna", "annabel"); !left[kept] {
					t.Errorf("annabel's %s erased", kept)
				}
			}
			for key, fields := range map[string][]string{"lang": {"annabel"}, "links": {"discord:annabel", "@discord:u-annabel", "slack:annabel"}} {
				got := rdb.HGetAll(ctx, k(key)).Val()
				if len(got) != len(fields) {
					t.Errorf("%s: %v, want only annabel's %v", key, got, fields)
				}
			}
			for key, want := range map[string]string{"ob": "m-annabel", "tm": "nod|annabel|relay", "hq:2B": "annabel-2026-11-23"} {
				if got := rdb.ZRange(ctx, k(key), 0, -1).Val(); len(got) != 1 || got[0] != want {
					t.Errorf("%s: %v, want [%s]", key, got, want)
				}
			}
			entries := rdb.LRange(ctx, k("audit:2026-11-23"), 0, -1).Val()
			if len(entries) != 4 || strings.Contains(strings.Join(entries, ""), `"actor":"anna"`) || !strings.Contains(strings.Join(entries, ""), `"daan,anna,sanne"`) {
				t.Errorf("audit after erase with Audit: %v; want annabel's three and the shared one", entries)
			}
		})
	}
}
