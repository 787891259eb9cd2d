package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kring-school/kring/bot"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/storetest"
)

// TestReportCommand: kring report writes both files for a mentee, shows an anonymous
// question to the pupil but not to the mentor, refuses a teacher (teachers_see_checkins
// is false in the example school) and an unknown person, and audits what it wrote.
func TestReportCommand(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	url := os.Getenv(storetest.EnvURL)
	if url == "" {
		url = storetest.DefaultURL
	}
	ctx := context.Background()
	st := store.New(rdb, prefix, "demo", 0)
	pipe := rdb.Pipeline()
	for i, date := range []string{"2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05"} {
		d, _ := config.ParseDate(date)
		open := "dag " + date
		if i == 2 {
			// Words that went to the mentor and care as an alert are not in the report.
			open = "ik word gepest op " + date
		}
		doc, _ := json.Marshal(record.CheckIn{Person: "anna", Class: "2B", Date: date, Status: record.Done, Mood: 1 + i, Open: open, Goal: "doel " + date})
		pipe.Set(ctx, st.Key("ci:anna:"+date), doc, time.Hour)
		pipe.ZAdd(ctx, st.Key("cix:anna"), redis.Z{Score: float64(bot.DayNumber(d)), Member: date})
	}
	// A question and an anonymous one, and a mentor's note, in the layout of
	// bot/record/mentor.go: the report passes --as to the page, which shows the
	// anonymous question to Anna herself only (teacher_sees_anonymous_name is false).
	asked := time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, q := range []record.Question{
		{ID: "q1", Person: "anna", Class: "2B", Subject: "wiskunde", Text: "Hoe werkt de stelling?", Status: "open", Created: asked},
		{ID: "q2", Person: "anna", Class: "2B", Text: "Mijn anonieme vraag", Status: "open", Anon: true, Created: asked.Add(time.Hour)},
	} {
		doc, _ := json.Marshal(q)
		pipe.Set(ctx, st.Key("qa:anna:"+q.ID), doc, time.Hour)
		pipe.ZAdd(ctx, st.Key("qaix:anna"), redis.Z{Score: float64(q.Created.UnixMilli()), Member: q.ID})
	}
	note, _ := json.Marshal(record.Note{From: "devries", To: "anna", Text: "Goed gesprek gehad", Time: asked})
	pipe.Set(ctx, st.Key("note:anna:n1"), note, time.Hour)
	pipe.ZAdd(ctx, st.Key("noteix:anna"), redis.Z{Score: float64(asked.UnixMilli()), Member: "n1"})
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	args := func(as string) []string {
		return []string{"report", "--config", "../../examples/school.yaml", "--redis", url, "--prefix", prefix,
			"--as", as, "--pupil", "anna", "--from", "2027-03-01", "--to", "2027-03-12", "--out", out, "--log-level", "warn"}
	}
	stdout, stderr, code := runKring(t, "", args("devries")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	base := filepath.Join(out, "report-anna-2027-03-01-2027-03-12")
	if strings.TrimSpace(stdout) != base+".html\n"+base+".md" {
		t.Errorf("stdout %q", stdout)
	}
	for _, ext := range []string{".html", ".md"} {
		fi, err := os.Stat(base + ext)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; it holds a minor's words", ext, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(base + ext)
		for _, want := range []string{"Periodeverslag van Anna", "dag 2027", "data:image/png;base64,", "Hoe werkt de stelling?", "Goed gesprek gehad"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %q", ext, want)
			}
		}
		if strings.Contains(string(b), "anonieme vraag") {
			t.Errorf("the mentor's %s shows the pupil's anonymous question", ext)
		}
		if strings.Contains(string(b), "gepest") || !strings.Contains(string(b), "als zorgsignaal naar de mentor") {
			t.Errorf("the %s shows words that raised an alert, or does not say they were left out", ext)
		}
	}
	keys, _ := rdb.Keys(ctx, prefix+":{demo}:audit:*").Result()
	var found bool
	for _, k := range keys {
		for _, e := range rdb.LRange(ctx, k, 0, -1).Val() {
			found = found || strings.Contains(e, `"actor":"devries","action":"report","subject":"anna"`)
		}
	}
	if !found {
		t.Error("report not audited")
	}

	if _, stderr, code := runKring(t, "", args("anna")...); code != 0 {
		t.Fatalf("--as anna: exit %d: %s", code, stderr)
	}
	for _, ext := range []string{".html", ".md"} {
		if b, _ := os.ReadFile(base + ext); !strings.Contains(string(b), "Mijn anonieme vraag") {
			t.Errorf("Anna's own %s lacks her anonymous question", ext)
		}
	}

	for as, want := range map[string]string{"bakker": "refused", "nobody": "not on the roster"} {
		_, stderr, code = runKring(t, "", args(as)...)
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("--as %s: exit %d, %q", as, code, stderr)
		}
	}
	if _, stderr, code = runKring(t, "", "report", "--pupil", "anna"); code != 2 || !strings.Contains(stderr, "--as") {
		t.Errorf("without --as: exit %d %q", code, stderr)
	}
	// --class as the mentor: every pupil of 2B is a mentee of devries.
	stdout, stderr, code = runKring(t, "", "report", "--config", "../../examples/school.yaml", "--redis", url, "--prefix", prefix,
		"--as", "devries", "--class", "2B", "--from", "2027-03-01", "--to", "2027-03-05", "--out", out, "--log-level", "warn")
	if code != 0 || strings.Count(stdout, ".html") != 6 {
		t.Errorf("--class: exit %d, %q %q", code, stdout, stderr)
	}
}
