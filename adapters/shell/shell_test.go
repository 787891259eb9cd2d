package shell_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kring-school/kring/adapters/shell"
	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/i18n"
)

// play runs the terminal class on input and returns what it printed.
func play(t *testing.T, script bool, input string) string {
	t.Helper()
	clk := clock.NewFake(bottest.Monday0750)
	school := bottest.ExampleSchool(t)
	var out bytes.Buffer
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	sh := shell.New(shell.Options{School: school, Catalog: cat, Clock: clk, In: strings.NewReader(input), Out: &out, Script: script})
	h := bottest.New(t, bottest.Options{School: school, Clock: clk, Adapters: []chat.Adapter{sh}})
	h.Deliverer.Workers = 1
	sh.Bind(h.Runtime, h.Scheduler)
	if err := sh.Run(context.Background(), h.Engine); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestInteractiveShowsOnlyMyMessagesAndKeepsTheRest(t *testing.T) {
	out := play(t, false, ":as anna\n:clock 08:15\n:as daan\n:quit\n")
	before, after, ok := strings.Cut(out, "Je bent nu Daan Visser")
	if !ok {
		t.Fatalf("no switch to Daan in:\n%s", out)
	}
	if strings.Contains(before, "Hoi Daan!") {
		t.Fatalf("Daan's check-in was shown while playing Anna:\n%s", before)
	}
	if !strings.Contains(before, "nieuw bericht voor Daan Visser (:as daan)") {
		t.Fatalf("no notice of Daan's waiting message:\n%s", before)
	}
	if !strings.Contains(after, "Hoi Daan!") {
		t.Fatalf("Daan's waiting check-in was not shown after switching:\n%s", after)
	}
}

func TestChoicesByNumberAndByText(t *testing.T) {
	out := play(t, true, ":as anna\n:clock 08:15\nOverslaan\n9\ngoed\n")
	// "Overslaan" is the label of choice 1 (skip), "9" is out of range for the mood
	// question and is re-asked, "goed" names a mood.
	if !strings.Contains(out, "Hoe voel je je vandaag?") {
		t.Fatalf("typing a choice's label did not press it:\n%s", out)
	}
	if !strings.Contains(out, "Dat snapte ik niet helemaal") {
		t.Fatalf("an out-of-range number was not re-asked:\n%s", out)
	}
}

func TestClockWalksThroughJobsAndRefusesToGoBack(t *testing.T) {
	out := play(t, true, ":clock 10:30\n:date 2026-11-01\n:clock soon\n:frob\n")
	if strings.Index(out, "08:15 ---") > strings.Index(out, "10:00 ---") || !strings.Contains(out, "10:30 ---") {
		t.Fatalf("the clock did not stop at 08:15 and 10:00 on its way to 10:30:\n%s", out)
	}
	for _, want := range []string{"De klok gaat alleen vooruit", "Schrijf :clock 08:15", "Onbekend terminalcommando :frob"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestPressAndThreadExplainWhatIsMissing(t *testing.T) {
	out := play(t, true, ":druk 1\n:draad poll:x hallo\n:help\n")
	for _, want := range []string{"Er is nog geen bericht met knoppen", "Er is geen draad poll:x", ":press N", ":thread SLEUTEL tekst"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
