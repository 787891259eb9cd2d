package poll

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/internal/dialogtest"
)

// sim plays the Engine for the poll (dialogtest), with short names for its tests.
type sim struct {
	*dialogtest.Sim
}

func newSim(t *testing.T, pupils int) *sim {
	return &sim{dialogtest.New(t, dialogtest.School(t, pupils), New())}
}

func (s *sim) step(id string, in dialog.Input) dialog.Result { return s.Step(Name, id, in) }

func (s *sim) last(id string) chat.Message { return s.Last(id) }

func (s *sim) create(q string) (string, chat.Message) {
	s.T.Helper()
	s.step("bakker", dialog.Input{Kind: dialog.Command, Command: "poll", Args: map[string]string{"poll": q}})
	for _, m := range s.Out {
		if m.To.Kind == chat.ToThread {
			return strings.TrimPrefix(m.To.Thread, Name+":"), m
		}
	}
	s.T.Fatalf("no thread post; sent %+v", s.Out)
	return "", chat.Message{}
}

func TestClassPollEndToEnd(t *testing.T) {
	s := newSim(t, 30)
	id, post := s.create("Welk onderwerp eerst? | Breuken | Procenten | Grafieken")
	if post.To.Class != "2B" || len(post.Choices) != 4 || post.Choices[3].Action != Name+".private" {
		t.Fatalf("post = %+v", post)
	}
	if len(s.Timers) != 1 {
		t.Fatalf("timers = %v, want the close timer", s.Timers)
	}
	want := map[int]int{}
	for i := 1; i <= 30; i++ {
		p := fmt.Sprintf("p%02d", i)
		n := i%3 + 1
		switch i % 3 {
		case 0: // by button
			s.step(p, dialog.Input{Kind: dialog.Choice, Action: Name + ".vote", Value: fmt.Sprintf("%s:%d", id, n)})
		case 1: // typed in the thread, by number
			s.step(p, dialog.Input{Kind: dialog.Text, Thread: Name + ":" + id, Text: fmt.Sprint(n)})
		case 2: // typed in the thread, by words, other case and accents
			s.step(p, dialog.Input{Kind: dialog.Text, Thread: Name + ":" + id, Text: strings.ToUpper([]string{"breuken", "procénten", "grafieken"}[n-1])})
		}
		want[n]++
		if got := s.last(p).Text; !strings.Contains(got, "Genoteerd") {
			t.Fatalf("%s got %q", p, got)
		}
	}
	if got := len(s.Shared[ref(id)].Members); got != 30 {
		t.Fatalf("%d answers kept, want 30", got)
	}
	s.Advance(PollDuration)
	report := s.last("bakker").Text
	for n, opt := range []string{"Breuken", "Procenten", "Grafieken"} {
		line := s.Tr("bakker", "poll.tally_line", "Option", chat.Literal(opt), "Count", want[n+1])
		if !strings.Contains(report, line) {
			t.Errorf("report lacks %q:\n%s", line, report)
		}
	}
	if !strings.Contains(report, "30 van de 30") {
		t.Errorf("report = %q", report)
	}
	if strings.Contains(report, "Niet geantwoord") {
		t.Errorf("everyone answered, yet: %q", report)
	}
	// The class sees only totals, in the thread.
	var result chat.Message
	for _, m := range s.Out {
		if m.To.Kind == chat.ToThread && strings.Contains(m.Text, "gesloten") {
			result = m
		}
	}
	if result.Text == "" || strings.Contains(result.Text, "Pupil") {
		t.Errorf("class result = %q", result.Text)
	}
	// A late vote is refused, truthfully.
	s.step("p01", dialog.Input{Kind: dialog.Choice, Action: Name + ".vote", Value: id + ":1"})
	if got := s.last("p01").Text; !strings.Contains(got, "gesloten") {
		t.Errorf("late vote answered %q", got)
	}
	if s.Shared[ref(id)].Members["p01"] != "2" {
		t.Errorf("late vote changed the answer to %q", s.Shared[ref(id)].Members["p01"])
	}
}

func TestPollPrivateConversationAndMissing(t *testing.T) {
	s := newSim(t, 3)
	id, _ := s.create("Klaar voor de toets? | Ja | Nee")
	res := s.step("p01", dialog.Input{Kind: dialog.Choice, Action: Name + ".private", Value: id})
	if !res.Listen || res.Topic == "" || len(res.ListenRefs) != 1 || res.ListenRefs[0] != ref(id) {
		t.Fatalf("private question should listen on the poll: %+v", res)
	}
	res = s.step("p01", dialog.Input{Kind: dialog.Text, Text: "misschien"})
	if !res.Listen || !strings.Contains(s.last("p01").Text, "herken ik niet") {
		t.Fatalf("unclear answer should re-ask and keep listening: %+v / %q", res, s.last("p01").Text)
	}
	res = s.step("p01", dialog.Input{Kind: dialog.Text, Text: "nee"})
	if res.Listen || !res.Clear {
		t.Fatalf("answered: the conversation should end: %+v", res)
	}
	if s.Shared[ref(id)].Members["p01"] != "2" {
		t.Fatalf("answer = %q", s.Shared[ref(id)].Members["p01"])
	}
	// p02 changes their mind; p03 never answers.
	s.step("p02", dialog.Input{Kind: dialog.Choice, Action: Name + ".vote", Value: id + ":1"})
	s.step("p02", dialog.Input{Kind: dialog.Choice, Action: Name + ".vote", Value: id + ":2"})
	if got := s.last("p02").Text; !strings.Contains(got, "Veranderd") {
		t.Errorf("changed vote answered %q", got)
	}
	// The teacher closes early.
	s.step("bakker", dialog.Input{Kind: dialog.Choice, Action: Name + ".close", Value: id})
	if len(s.Timers) != 0 {
		t.Errorf("closing by hand should cancel the timer: %v", s.Timers)
	}
	report := s.last("bakker").Text
	if !strings.Contains(report, "2 van de 3") || !strings.Contains(report, "Pupil 03") || strings.Contains(report, "Pupil 01") {
		t.Errorf("report = %q", report)
	}
	for _, m := range s.Out {
		if m.To.Kind != chat.ToPerson && strings.Contains(m.Text, "Pupil 03") {
			t.Errorf("who did not answer reached the class: %q", m.Text)
		}
	}
	s.step("bakker", dialog.Input{Kind: dialog.Choice, Action: Name + ".close", Value: id})
	if got := s.last("bakker").Text; got != s.Tr("bakker", "poll.already_closed") {
		t.Errorf("second close answered %q", got)
	}
}

func TestPollRules(t *testing.T) {
	s := newSim(t, 2)
	s.step("bakker", dialog.Input{Kind: dialog.Command, Command: "poll", Args: map[string]string{"poll": "Alleen een vraag"}})
	if got := s.last("bakker").Text; !strings.Contains(got, "minstens 2 opties") {
		t.Errorf("no options answered %q", got)
	}
	s.step("jansen", dialog.Input{Kind: dialog.Command, Command: "poll", Args: map[string]string{"poll": "V? | a | b", "class": "2B"}})
	if got := s.last("jansen").Text; !strings.Contains(got, "geen les") {
		t.Errorf("teacher of another class answered %q", got)
	}
	id, _ := s.create("V? | a | b")
	s.step("bakker", dialog.Input{Kind: dialog.Choice, Action: Name + ".vote", Value: id + ":1"})
	if got := s.last("bakker").Text; got != s.Tr("bakker", "poll.not_for_you") {
		t.Errorf("teacher vote answered %q", got)
	}
	s.step("p01", dialog.Input{Kind: dialog.Choice, Action: Name + ".close", Value: id})
	if got := s.last("p01").Text; got != s.Tr("p01", "poll.only_teacher") {
		t.Errorf("pupil close answered %q", got)
	}
	// Worrying words typed in the thread reach the mentor (in English) and care, never the class.
	s.step("p02", dialog.Input{Kind: dialog.Text, Thread: Name + ":" + id, Text: "ik word gepest"})
	if got := s.last("devries"); !got.Staff || !strings.Contains(got.Text, "Safeguarding alert") || !strings.Contains(got.Text, "gepest") {
		t.Errorf("mentor alert = %+v", got)
	}
	if got := s.last("mulder"); !got.Staff || !strings.Contains(got.Text, "gepest") {
		t.Errorf("care alert = %+v", got)
	}
	if got := s.last("p02").Text; !strings.Contains(got, "herken ik niet") {
		t.Errorf("pupil got %q", got)
	}
	var told bool
	for _, m := range s.Out {
		told = told || (m.To.Person == "p02" && !m.Staff && strings.Contains(m.Text, "0800-0432"))
	}
	if !told || len(s.Audits) != 1 || s.Audits[0].Action != "safeguard-alert" {
		t.Errorf("pupil not told where to find help (%v) or alert not audited (%+v)", told, s.Audits)
	}
}
