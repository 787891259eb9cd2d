package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/link"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/embedded"
)

// onboardingSchool copies the example school into a directory, with its roster CSV on.
func onboardingSchool(t *testing.T) (dir, school string) {
	t.Helper()
	t.Setenv("KRING_REDIS_URL", "")
	dir = t.TempDir()
	y, err := os.ReadFile("../../examples/school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y = []byte(strings.Replace(string(y), "# roster: roster.csv", "roster: roster.csv", 1))
	school = filepath.Join(dir, "school.yaml")
	if err := os.WriteFile(school, y, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := os.ReadFile("../../examples/roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "roster.csv"), r, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, school
}

var (
	codePattern = regexp.MustCompile(`\b[` + link.Alphabet + `]{4}-[` + link.Alphabet + `]{4}\b`)
	datePattern = regexp.MustCompile(`\b20\d\d-\d\d-\d\d\b`)
)

// TestOnboardingGolden runs a school's onboarding from the command line: import the
// SOMtoday-like export, make link codes for 2B, two pupils link, then the status and
// the export. Codes and dates differ per run and are masked; run with -update after an
// intended change.
func TestOnboardingGolden(t *testing.T) {
	dir, school := onboardingSchool(t)
	data := filepath.Join(dir, "k.json")
	var transcript strings.Builder
	step := func(args ...string) string {
		t.Helper()
		out, errs, code := runKring(t, "", args...)
		if code != 0 {
			t.Fatalf("kring %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		transcript.WriteString("$ kring " + strings.Join(args, " ") + "\n" + out + "\n")
		return out
	}
	step("roster", "import", "--config", school, "--dry-run", "../../examples/exports/somtoday.csv")
	step("roster", "import", "--config", school, "../../examples/exports/somtoday.csv")
	if _, err := os.Stat(filepath.Join(dir, "roster.csv.bak")); err != nil {
		t.Errorf("the previous roster was not kept: %v", err)
	}
	step("link", "codes", "--config", school, "--data", data, "--class", "2B", "--out", filepath.Join(dir, "slips"))
	codesCSV, err := os.ReadFile(filepath.Join(dir, "slips", "link-codes-2B.csv"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "slips", "link-codes-2B.html"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(codesCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, r := range rows[1:] {
		codes[r[0]] = r[3]
		if !strings.Contains(string(page), r[3]) || !strings.Contains(string(page), r[1]) {
			t.Errorf("the printable page lacks %s's slip", r[0])
		}
	}
	if len(codes) != 12 {
		t.Fatalf("%d codes for 2B, want 12 (6 from the school file, 6 imported)", len(codes))
	}
	transcript.WriteString("--- link-codes-2B.csv\n" + string(codesCSV) + "\n")

	// Two pupils link themselves, as the bot would on their first message.
	s, err := config.Load(school)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := embedded.Open(data, clock.Real{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rdb := srv.NewClient()
	links := link.New(s, store.New(rdb, "kring", s.ID, s.Retention.Std()), nil, nil, link.Policy{})
	ctx := context.Background()
	for user, who := range map[string]string{"700000000000000001": "anna", "U0SEM": "100205"} {
		pl := chat.Discord
		if strings.HasPrefix(user, "U") {
			pl = chat.Slack
		}
		if r, err := links.Redeem(ctx, pl, user, codes[who]); err != nil || r.Outcome != link.OK {
			t.Fatalf("%s's code: %+v %v", who, r, err)
		}
	}
	_ = rdb.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	step("roster", "status", "--config", school, "--data", data)
	export := step("roster", "export", "--config", school, "--data", data, "--only-roster")
	if !strings.Contains(export, ",U0SEM,") {
		t.Errorf("the export lacks Sem's Slack link:\n%s", export)
	}

	mask := func(s string) string {
		s = strings.ReplaceAll(s, dir, "DIR")
		s = codePattern.ReplaceAllString(s, "XXXX-XXXX")
		return datePattern.ReplaceAllString(s, "YYYY-MM-DD")
	}
	golden(t, "onboarding.golden", mask(transcript.String()))
	golden(t, "link-codes-2B.html", mask(string(page)))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/kring -run Onboarding -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s; rerun with -update if intended.\n--- got ---\n%s", path, got)
	}
}

func TestRosterImportBadRows(t *testing.T) {
	dir, school := onboardingSchool(t)
	export := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(export, []byte("Leerlingnummer;Naam;Klas\n100301;Kim Bos;2B\n100302;Tim Bos;9Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "roster.csv"))
	out, errs, code := runKring(t, "", "roster", "import", "--config", school, export)
	if code != 1 || !strings.Contains(out, "export.csv:3: class:") || !strings.Contains(errs, "--skip-bad-rows") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "roster.csv"))
	if string(after) != string(before) {
		t.Fatal("a bad row let the import write the roster")
	}
	_, errs, code = runKring(t, "", "roster", "import", "--config", school, "--skip-bad-rows", export)
	if code != 0 {
		t.Fatalf("--skip-bad-rows: exit %d %s", code, errs)
	}
	people, err := config.ReadRoster(filepath.Join(dir, "roster.csv"))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, p := range people {
		found[p.ID] = p.Active()
	}
	if !found["100301"] || found["lotte"] {
		t.Fatalf("after --skip-bad-rows: %v; want Kim added and the old CSV pupils marked as left", found)
	}
	if _, ok := found["100302"]; ok {
		t.Fatal("the bad row was imported")
	}

	// No roster named in the school file: the import says where to name it.
	if err := os.WriteFile(school, []byte(strings.Replace(mustRead(t, school), "roster: roster.csv", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code = runKring(t, "", "roster", "import", "--config", school, export)
	if code != 1 || !strings.Contains(errs, "roster: roster.csv") {
		t.Fatalf("without roster: exit %d %q", code, errs)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLinkSlackEmailsCommand(t *testing.T) {
	dir, school := onboardingSchool(t)
	data := filepath.Join(dir, "k.json")
	if _, errs, code := runKring(t, "", "roster", "import", "--config", school, "../../examples/exports/somtoday.csv"); code != 0 {
		t.Fatal(errs)
	}
	fake := fakeslack.New(fakeslack.Options{BotToken: "xoxb-test", Emails: map[string]string{
		"lotte.vandijk@leerling.demo-college.nl": "U0LOTTE", "sem.kuipers@leerling.demo-college.nl": "U0SEM"}})
	t.Cleanup(fake.Close)
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-test")
	out, errs, code := runKring(t, "", "link", "slack-emails", "--config", school, "--data", data, "--api-url", fake.APIURL, "--dry-run")
	if code != 0 || !strings.Contains(out, "would link 2,") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = runKring(t, "", "link", "slack-emails", "--config", school, "--data", data, "--api-url", fake.APIURL)
	if code != 0 || !strings.Contains(out, "linked 2, already linked 0, no e-mail 10, no Slack account 4") ||
		!regexp.MustCompile(`2B +100202 +Ravi Ramdin +ravi.ramdin@leerling.demo-college.nl`).MatchString(out) || !strings.Contains(errs, "looked up") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	status, _, _ := runKring(t, "", "roster", "status", "--config", school, "--data", data)
	if !strings.Contains(status, "2B: 2 of 12 pupils linked (Discord 0, Slack 2)") {
		t.Fatalf("status after linking by e-mail:\n%s", status)
	}
	t.Setenv("SLACK_BOT_TOKEN", "")
	if _, errs, code := runKring(t, "", "link", "slack-emails", "--config", school, "--data", data); code != 1 || !strings.Contains(errs, "SLACK_BOT_TOKEN") {
		t.Fatalf("without a token: exit %d %q", code, errs)
	}
}
