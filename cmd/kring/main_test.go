package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/shell"
	"github.com/kring-school/kring/bot/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden transcript")

// runKring runs kring in-process, speaking English whatever the machine's LANG or
// the school file's locale, so the assertions on its texts mean the same everywhere
// (lang_test.go runs it in other languages).
func runKring(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	t.Setenv("KRING_LANG", "en")
	return runKringRaw(t, stdin, args...)
}

// runKringRaw runs kring in-process in whatever language the environment chooses.
func runKringRaw(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// TestDemoTranscript plays examples/demo.kring, a school morning, and compares the
// transcript with the golden one. Run with -update after an intended change.
func TestDemoTranscript(t *testing.T) {
	out := playScript(t, "demo")
	// The story the demo must tell, checked independently of the exact wording.
	for _, must := range []string{
		"Dagplan voor Klas 2B",         // the teacher set the day plan
		"Dat snapte ik niet helemaal",  // Daan's bad mood input was re-asked
		"herinnering",                  // Milan got a reminder
		"Vorige keer was je doel",      // the next day, Anna reports on yesterday's goal
		"het sturingsniveau van Milan", // the mentor changed a steering level
	} {
		if !strings.Contains(out, must) {
			t.Errorf("demo transcript lacks %q", must)
		}
	}
	reminders := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "[DM") && strings.Contains(line, "een herinnering") {
			reminders++
			if !strings.Contains(line, "Milan") {
				t.Errorf("a reminder went to someone who answered: %s", line)
			}
		}
	}
	if reminders != 1 {
		t.Errorf("the demo should show exactly one reminder (Milan), transcript has %d", reminders)
	}
}

// playScript plays examples/NAME.kring on a throwaway store, compares the transcript
// with testdata/NAME.golden (rewritten with -update) and returns it.
func playScript(t *testing.T, name string) string {
	t.Helper()
	t.Setenv("KRING_REDIS_URL", "")
	out, errs, code := runKring(t, "", "shell", "--config", "../../examples/school.yaml", "--script", "../../examples/"+name+".kring")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	checkGolden(t, name, out)
	return out
}

// checkGolden compares a transcript with testdata/NAME.golden (rewritten with -update).
func checkGolden(t *testing.T, name, out string) {
	t.Helper()
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/kring -update to create it)", err)
	}
	if out != string(want) {
		t.Fatalf("transcript differs from %s; rerun with -update if intended.\n--- got ---\n%s", golden, out)
	}
}

// TestPollTranscript plays examples/poll.kring: a class poll answered by button, in its
// thread and privately beside an open check-in, closed by its timer.
func TestPollTranscript(t *testing.T) {
	out := playScript(t, "poll")
	// The story, independently of the exact wording: the post in its thread, a vote by
	// button, one typed in the thread, Anna's typed text going to the poll (re-asked)
	// and, once she voted, to her check-in again; the timer closes the poll at 09:00.
	for _, must := range []string{
		"(draad poll:",
		"Genoteerd: “Walibi”",
		"Genoteerd: “Efteling”",
		"anna> doe maar Artis\n[DM → Anna de Boer] Dat herken ik niet als een van de opties.",
		"Genoteerd: “Artis”",
		"anna> Ik ben een beetje moe, maar het gaat.\n[DM → Anna de Boer] Hoe voel je je vandaag?",
		"--- maandag 2026-11-23 09:00 ---\n[klas 2B › Waar gaan we heen op schoolreis? (draad poll:",
		"3 van de 6 leerlingen antwoordden",
		"Niet geantwoord (alleen jij ziet dit): Milan Jansen, Fleur Bos, Yusuf Öztürk",
	} {
		if !strings.Contains(out, must) {
			t.Errorf("poll transcript lacks %q", must)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	out, _, code := runKring(t, "", "config", "check", "../../examples/school.yaml")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("config check of the example: exit %d, %q", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("id: demo\nname: X\nclasses:\n  - id: 2B\n    schedule:\n      checkin: \"8.15\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := runKring(t, "", "config", "check", bad)
	if code != 1 || !strings.Contains(errs, "bad.yaml:6") || !strings.Contains(errs, "checkin") {
		t.Fatalf("bad config: exit %d, stderr %q; want exit 1 naming line 6 and the field", code, errs)
	}
}

func TestRunWithoutTokensExplains(t *testing.T) {
	t.Setenv("DISCORD_TOKEN", "")
	t.Setenv("SLACK_BOT_TOKEN", "")
	_, errs, code := runKring(t, "", "run", "--config", "../../examples/school.yaml")
	if code == 0 || !strings.Contains(errs, "DISCORD_TOKEN") {
		t.Fatalf("run without tokens: exit %d, %q", code, errs)
	}
}

func TestUnknownCommandShowsUsage(t *testing.T) {
	_, errs, code := runKring(t, "", "frobnicate")
	if code != 2 || !strings.Contains(errs, "Usage") {
		t.Fatalf("exit %d, %q", code, errs)
	}
}

func TestInteractiveShellQuits(t *testing.T) {
	t.Setenv("KRING_REDIS_URL", "")
	data := filepath.Join(t.TempDir(), "k.json")
	out, errs, code := runKring(t, ":who\n/help\n:quit\n", "shell", "--config", "../../examples/school.yaml", "--data", data, "--start", "2026-11-23 07:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "Welkom") || !strings.Contains(out, "Anna de Boer") || !strings.Contains(out, "/incheck") {
		t.Fatalf("interactive shell output lacks intro, roster or help:\n%s", out)
	}
	if _, err := os.Stat(data); err != nil {
		t.Fatalf("the embedded store left no data file: %v", err)
	}
}

func TestHelpNeverPrintsTheRedisPassword(t *testing.T) {
	t.Setenv("KRING_REDIS_URL", "redis://u:topsecret@127.0.0.1:1/0")
	_, errs, _ := runKring(t, "", "run", "--help")
	_, errs2, _ := runKring(t, "", "shell", "--bogus")
	if strings.Contains(errs+errs2, "topsecret") {
		t.Fatalf("help output shows the Redis password:\n%s%s", errs, errs2)
	}
}

func TestRunRejectsABadDiscordRate(t *testing.T) {
	t.Setenv("DISCORD_TOKEN", "x")
	t.Setenv("KRING_DISCORD_RATE", "500")
	t.Setenv("KRING_REDIS_URL", "")
	_, errs, code := runKring(t, "", "run", "--config", "../../examples/school.yaml", "--data", filepath.Join(t.TempDir(), "k.json"), "--metrics-addr", "")
	if code != 1 || !strings.Contains(errs, "KRING_DISCORD_RATE") {
		t.Fatalf("exit %d, %q; want a message naming KRING_DISCORD_RATE", code, errs)
	}
}

func TestHealthcheckFailsWithoutKring(t *testing.T) {
	_, errs, code := runKring(t, "", "healthcheck", "--metrics-addr", "127.0.0.1:1")
	if code != 1 || errs == "" {
		t.Fatalf("healthcheck against nothing: exit %d, %q", code, errs)
	}
}

// TestClassConversationTranscripts plays examples/discussion.kring and
// examples/debate.kring and compares them with their golden transcripts (rewrite with
// -update after an intended change), then checks the story each must tell.
func TestClassConversationTranscripts(t *testing.T) {
	t.Setenv("KRING_REDIS_URL", "")
	cases := []struct {
		name string
		must []string
		not  []string
	}{
		{"discussion", []string{
			"Anoniem antwoorden", // anonymity allowed
			"Je antwoord is veranderd; alleen het nieuwe telt", // Sanne edits
			"- Anoniem: Je wilt niet alleen zijn",              // classmates see no name
			"] 💬 Anoniem: Je wilt niet alleen zijn",            // nor in the thread after reveal
			"Niet geantwoord (alleen jij ziet dit): Milan Jansen",
			"2 bijna gelijke antwoorden (Anna de Boer, Yusuf Öztürk)", // grouped in the digest
			"Daan Visser (anoniem voor de klas)",                      // the teacher sees names
			"Bewaard op de woordenlijst van de klas: “Groepsgevoel”",  // a term saved
			"📖 Groepsgevoel",                                          // and looked up with a typo
		}, []string{"] 💬 Daan"}},
		{"debate", []string{
			"Je stemde al Eens; die telt één keer",             // a double press is no second vote
			"Tegen (3): Milan Jansen, Fleur Bos, Yusuf Öztürk", // balanced sides
			"Vooraf: eens 2, oneens 2, weet niet 1",
			"Achteraf: eens 1, oneens 3, weet niet 1",
			"Verschuiving: −1 Eens, +1 Oneens",
			"↪ antwoord op #anna-1", // which argument answers which
			"Deden mee (4)",         // the teacher's report
			"📖 Herhaling",           // a word-list look-up
			"Ronde 3: slot",         // all rounds
		}, []string{"[klas 2B] Yusuf Öztürk stemde"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := runKring(t, "", "shell", "--config", "../../examples/school.yaml", "--script", "../../examples/"+c.name+".kring")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/kring -run ClassConversation -update to create it)", err)
			}
			if out != string(want) {
				t.Fatalf("transcript differs from %s; rerun with -update if intended.\n--- got ---\n%s", golden, out)
			}
			for _, m := range c.must {
				if !strings.Contains(out, m) {
					t.Errorf("transcript lacks %q", m)
				}
			}
			for _, m := range c.not {
				if strings.Contains(out, m) {
					t.Errorf("transcript has %q", m)
				}
			}
			// Nothing a pupil typed reaches the class channel in a form that pings.
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "[klas") && strings.Contains(line, "<@") {
					t.Errorf("a mention in the class channel: %s", line)
				}
			}
		})
	}
}

// TestSecondShellOnSharedRedisRefused: a terminal on a shared Redis holds a lock; a
// second one on the same prefix is refused with a message saying why and what to do,
// and a terminal that ends gives the lock back.
func TestSecondShellOnSharedRedisRefused(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	url := os.Getenv(storetest.EnvURL)
	if url == "" {
		url = storetest.DefaultURL
	}
	t.Setenv("KRING_REDIS_URL", "")
	ctx := context.Background()
	key := prefix + ":{demo}:shell"
	held, err := shell.Lock(ctx, rdb, key, "other-host-42", time.Now(), shell.LockTTL)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"shell", "--config", "../../examples/school.yaml", "--redis", url, "--prefix", prefix, "--start", "2026-11-23 07:00"}
	_, errs, code := runKring(t, ":quit\n", args...)
	if code != 1 || !strings.Contains(errs, "Er draait al een terminal") || !strings.Contains(errs, "other-host-42") || !strings.Contains(errs, "--prefix") {
		t.Fatalf("second terminal: exit %d\n%s", code, errs)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := runKring(t, ":who\n:quit\n", args...); code != 0 {
		t.Fatalf("terminal after release: exit %d\n%s", code, errs)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Fatal("the terminal left its lock behind")
	}
}

// TestMentorTranscript plays examples/mentor.kring, a week as a mentor: check-ins, a
// self-harm phrase and its handling (re-sent and escalated, then taken), a silent
// pupil, open questions, the weekly digest, nods (button and command), a relayed reply
// and a mentor's note. Run with -update after an
// intended change.
func TestMentorTranscript(t *testing.T) {
	t.Setenv("KRING_REDIS_URL", "")
	out, errs, code := runKring(t, "", "shell", "--config", "../../examples/school.yaml", "--script", "../../examples/mentor.kring")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden := filepath.Join("testdata", "mentor.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/kring -run Mentor -update to create it)", err)
	}
	if out != string(want) {
		t.Fatalf("transcript differs from %s; rerun with -update if intended.\n--- got ---\n%s", golden, out)
	}
	for _, must := range []string{
		"0800-0113",                                           // the pupil was told where to find help now
		"Nog open: zorgsignaal over Anna",                     // re-sent when nobody acted ...
		"[DM → Mevr. El Amrani] ⏰",                            // ... and escalated to the admin
		"Dhr. De Vries pakt het signaal over Anna de Boer op", // the others were told who took it
		"Milan Jansen (Klas 2B) heeft 3 schooldagen niet ingecheckt",
		"Overzicht van je mentorleerlingen",
		"heeft je check-in gezien",
		"Anna de Boer schrijft terug",
		"vraag aan Mevr. Bakker (nederlands), wacht sinds 2026-11-26", // an open question in the digest
		"vraag aan jou (geen vak)",                                    // one waiting on the mentor
		"Verstuurd: Fleur Bos weet dat je de check-in zag",            // the nod from the digest's button
		"Genoteerd bij Anna de Boer",                                  // the mentor's note
	} {
		if !strings.Contains(out, must) {
			t.Errorf("mentor transcript lacks %q", must)
		}
	}
	// Every check-in of the week goes through: a script answer the check-in did not
	// expect would show as a re-asked question.
	if n := strings.Count(out, "Kies een van de mogelijkheden"); n != 0 {
		t.Errorf("the script's answers were refused %d times", n)
	}
	if strings.Contains(out, "Knikje aan Milan") {
		t.Error("a nod button for a pupil who gave no check-in")
	}
	digest := out[strings.Index(out, "Overzicht van je mentorleerlingen"):]
	if a, q := strings.Index(digest, "Milan"), strings.Index(digest, "Rustig"); a < 0 || q < a {
		t.Errorf("the silent pupil is not among those who need attention first:\n%s", digest)
	}
}
