package bench_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bench"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store/storetest"
)

func testURL(t *testing.T) string {
	t.Helper()
	storetest.Redis(t) // skips or fails the way every storage test does
	if u := os.Getenv(storetest.EnvURL); u != "" {
		return u
	}
	return storetest.DefaultURL
}

// TestQuickRunHasEveryRow runs `kring bench --quick` end to end on the test Redis and
// the embedded store, and checks the table: every figure in both columns, exactly two
// Redis round trips per engine step, every DM delivered, and no key left behind.
func TestQuickRunHasEveryRow(t *testing.T) {
	url := testURL(t)
	var progress bytes.Buffer
	rep, err := bench.Run(context.Background(), bench.Options{RedisURL: url, Embedded: true, Quick: true, Progress: &progress})
	if err != nil {
		t.Fatalf("bench: %v\nprogress:\n%s", err, progress.String())
	}
	if len(rep.Columns) != 2 || rep.Versions[0] == "" || !strings.Contains(rep.Versions[1], "embedded") {
		t.Fatalf("columns %v versions %v", rep.Columns, rep.Versions)
	}
	both := []string{
		"engine.c1.p50", "engine.c1.p99", "engine.c1.rate", "redis.c1.rate", "ratio.c1",
		"engine.c8.p50", "engine.c8.p99", "engine.c8.rate", "redis.c8.rate", "ratio.c8",
		"engine.c64.p50", "engine.c64.p99", "engine.c64.rate", "redis.c64.rate", "ratio.c64",
		"engine.rtt",
		"fanout.queue", "fanout.queue.rate", "fanout.deliver", "fanout.rate", "fanout.fraction", "fanout.pace", "fanout.429",
		"digest.time", "digest.allocs", "digest.rtt", "digest.pipelined.time", "digest.pipelined.rtt",
		"memory.rss", "memory.rss.added", "memory.heap", "memory.heap.added",
		"report.time", "report.peak", "report.bytes", "report.rtt",
		"class.prompt.all", "class.prompt.p99", "class.debate.all", "class.debate.p99",
	}
	for _, key := range both {
		row, ok := rep.Row(key)
		if !ok {
			t.Errorf("row %s missing", key)
			continue
		}
		for i, v := range row.Values {
			if v.Text == "" {
				t.Errorf("row %s has no figure for %s", key, rep.Columns[i])
			}
		}
	}
	for _, key := range []string{"step.time", "step.allocs"} {
		if row, ok := rep.Row(key); !ok || row.Values[0].Text == "" || row.Values[0].V <= 0 {
			t.Errorf("pure step row %s = %+v", key, row)
		}
	}
	if row, _ := rep.Row("engine.rtt"); row.Values[0].V != 2 || row.Values[1].V != 2 {
		t.Errorf("round trips per engine step = %v / %v, want exactly 2", row.Values[0].V, row.Values[1].V)
	}
	if row, _ := rep.Row("digest.pipelined.rtt"); row.Values[0].V != 2 {
		t.Errorf("pipelined digest round trips = %v, want 2", row.Values[0].V)
	}
	if row, _ := rep.Row("report.rtt"); row.Values[0].V != 2 || row.Values[1].V != 2 {
		t.Errorf("report round trips = %v / %v, want 2", row.Values[0].V, row.Values[1].V)
	}
	if row, _ := rep.Row("digest.rtt"); row.Values[0].V != 60 {
		t.Errorf("digest round trips = %v, want 2 per mentee (60)", row.Values[0].V)
	}

	var table bytes.Buffer
	if err := rep.Markdown(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| figure | redis | embedded | target |", "machine:", "Go: go", "redis: Redis ", "round trips per step | 2.00 | 2.00 |"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(progress.String(), "delivered") {
		t.Errorf("no progress on the fan-out:\n%s", progress.String())
	}

	rdb, _ := storetest.Redis(t)
	if len(rep.Prefixes) != 10 {
		t.Errorf("prefixes %v, want five parts on two stores", rep.Prefixes)
	}
	for _, p := range rep.Prefixes {
		if keys, err := rdb.Keys(context.Background(), p+":*").Result(); err != nil || len(keys) > 0 {
			t.Errorf("prefix %s left %d keys (%v)", p, len(keys), err)
		}
	}
}

func TestRoundTripsCountsCommandsAndPipelines(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	var rt bench.RoundTrips
	rdb.AddHook(&rt)
	ctx := context.Background()
	before := rt.Count()
	rdb.Set(ctx, prefix+":a", "1", 0)
	pipe := rdb.Pipeline()
	pipe.Get(ctx, prefix+":a")
	pipe.Incr(ctx, prefix+":b")
	pipe.HGetAll(ctx, prefix+":c")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, prefix+":b")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := rt.Count() - before; got != 3 {
		t.Fatalf("round trips = %d, want 3 (one command, one pipeline, one transaction)", got)
	}
}

func TestSummariseTrendAndSparkline(t *testing.T) {
	// Newest first: moods rising over time 1,2,3,4,5, with a missed day in between.
	recs := []record.CheckIn{
		{Status: record.Done, Mood: 5, Help: "wiskunde"},
		{Status: record.Done, Mood: 4, PrevResult: record.GoalMet},
		{Status: record.Missed},
		{Status: record.Done, Mood: 3},
		{Status: record.Done, Mood: 2},
		{Status: record.Partial, Mood: 1},
	}
	d := bench.Summarise("anna", recs)
	if d.Answered != 5 || d.Missed != 1 || d.GoalsMet != 1 || d.HelpAsked != 1 {
		t.Errorf("counts %+v", d)
	}
	if d.MoodTrend <= 0 {
		t.Errorf("trend %v for rising moods, want > 0", d.MoodTrend)
	}
	if d.Spark != "▁▂▄·▆█" {
		t.Errorf("spark %q, want oldest to newest ▁▂▄·▆█", d.Spark)
	}
	if d.MoodAvg != 3 {
		t.Errorf("mean of the last five moods = %v, want 3", d.MoodAvg)
	}
}
