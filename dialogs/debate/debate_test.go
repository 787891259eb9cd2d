package debate

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/internal/dialogtest"
	"github.com/kring-school/kring/dialogs/terms"
)

func newSim(t *testing.T, pupils int) *dialogtest.Sim {
	return dialogtest.New(t, dialogtest.School(t, pupils), New(), terms.New())
}

func start(t *testing.T, s *dialogtest.Sim, motion string, args map[string]string) (string, chat.Message) {
	t.Helper()
	if args == nil {
		args = map[string]string{}
	}
	args["motion"] = motion
	before := len(s.Out)
	s.Command(Name, "bakker", "debate", args)
	for _, m := range s.Out[before:] {
		if m.To.Kind == chat.ToThread {
			return strings.TrimPrefix(m.To.Thread, Name+":"), m
		}
	}
	t.Fatalf("no debate posted; bakker got %q", s.Last("bakker").Text)
	return "", chat.Message{}
}

func rec(s *dialogtest.Sim, id string) debate {
	d := load(*s.Shared[ref(id)])
	d.ID = id
	return d
}

func vote(s *dialogtest.Sim, who, id, n, v string) {
	s.Press(who, chat.Choice{Action: Name + ".vote", Value: id + ":" + n + ":" + v})
}

func argue(t *testing.T, s *dialogtest.Sim, who string, c chat.Choice, text string) {
	t.Helper()
	if res := s.Press(who, c); !res.Listen {
		t.Fatalf("%s: argument not asked: %q", who, s.Last(who).Text)
	}
	s.Type(Name, who, text)
	if got := s.Last(who).Text; !strings.Contains(got, "staat in de draad") {
		t.Fatalf("%s: argument answered %q", who, got)
	}
}

func lastThread(s *dialogtest.Sim, id string) chat.Message {
	th := s.Thread(Name + ":" + id)
	return th[len(th)-1]
}

func TestDebateFromVoteToSummary(t *testing.T) {
	s := newSim(t, 4)
	id, post := start(t, s, "Huiswerk moet worden afgeschaft", map[string]string{"sides": "choose", "minutes": "5"})
	if len(post.Choices) != 5 {
		t.Fatalf("post choices = %+v", post.Choices)
	}
	for _, p := range []string{"p01", "p02", "p03"} {
		s.Press(p, post.Choices[3]) // I'm for
	}
	vote(s, "p01", id, "1", "agree")
	vote(s, "p02", id, "1", "agree")
	vote(s, "p03", id, "1", "agree")
	vote(s, "p03", id, "1", "disagree") // changes
	vote(s, "p04", id, "1", "unsure")
	vote(s, "p04", id, "1", "unsure") // double press
	if got := s.Last("p04").Text; !strings.Contains(got, "telt één keer") {
		t.Errorf("double vote answered %q", got)
	}
	if tl := rec(s, id).tally(1); tl["agree"] != 2 || tl["disagree"] != 1 || tl["unsure"] != 1 {
		t.Fatalf("before = %v", tl)
	}
	// Round 1: Kring evens the sides (p04 joins against, the last to join for moves).
	next := dialogtest.Choice(t, s.Last("bakker"), Name+".next")
	s.Press("bakker", next)
	d := rec(s, id)
	if d.side("p04") != Against || d.side("p03") != Against || !d.in("moved", "p03") || d.in("moved", "p04") {
		t.Fatalf("sides: for %v against %v moved %v", d.Sets["side.for"], d.Sets["side.against"], d.Sets["moved"])
	}
	if got := s.Last("p03").Text; !strings.Contains(got, "tegen") {
		t.Errorf("moved pupil told %q", got)
	}
	var before string
	for _, m := range s.Thread(Name + ":" + id) {
		if strings.Contains(m.Text, "Voor het debat") {
			before = m.Text
		}
	}
	if !strings.Contains(before, "eens 2, oneens 1, weet niet 1") || strings.Contains(before, "Pupil 03: ") {
		t.Errorf("before post = %q", before)
	}
	// A second press of the old button does not start round 1 again.
	s.Press("bakker", next)
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "debate.already_moved_on") {
		t.Errorf("double next: %q", got)
	}
	round := lastThread(s, id)
	argue(t, s, "p01", round.Choices[0], "Kinderen hebben vrije tijd nodig @everyone")
	first := lastThread(s, id)
	if !strings.Contains(first.Text, "[voor · opening]") || !strings.Contains(first.Text, chat.Literal("Kinderen hebben vrije tijd nodig @everyone")) {
		t.Errorf("argument in thread = %q", first.Text)
	}
	argue(t, s, "p03", round.Choices[0], "Oefening baart kunst")
	// The round ends by its timer; the rebuttal starts by itself.
	s.Advance(5 * time.Minute)
	if d := rec(s, id); d.Round != 2 || d.Phase != phaseRound {
		t.Fatalf("after the timer: phase %s round %d", d.Phase, d.Round)
	}
	// A late argument for round 1 is handed back.
	s.Press("p02", round.Choices[0])
	if got := s.Last("p02").Text; got != s.Tr("p02", "debate.round_over") {
		t.Errorf("late argument button: %q", got)
	}
	// p04 answers p01's argument with its button.
	argue(t, s, "p04", first.Choices[0], "Maar zonder oefenen leer je niets")
	reply := lastThread(s, id)
	arg1 := rec(s, id).Args["p01"][0]
	if !strings.Contains(reply.Text, "[tegen · weerlegging]") || !strings.Contains(reply.Text, "antwoord op #"+arg1.ID) {
		t.Errorf("reply = %q", reply.Text)
	}
	if rec(s, id).Args["p04"][0].Re != arg1.ID {
		t.Errorf("the reply does not keep what it answers")
	}
	s.Press("bakker", dialogtest.Choice(t, s.Last("bakker"), Name+".next")) // closing
	argue(t, s, "p02", lastThread(s, id).Choices[0], "Samengevat: minder huiswerk")
	s.Advance(5 * time.Minute) // to the final vote
	if d := rec(s, id); d.Phase != phaseVote {
		t.Fatalf("phase %s, want vote", d.Phase)
	}
	vote(s, "p01", id, "1", "agree") // the first vote is over
	if got := s.Last("p01").Text; got != s.Tr("p01", "debate.vote_closed") {
		t.Errorf("old vote button: %q", got)
	}
	vote(s, "p01", id, "2", "disagree")
	vote(s, "p02", id, "2", "agree")
	vote(s, "p03", id, "2", "disagree")
	s.Advance(5 * time.Minute) // closes
	sum := lastThread(s, id).Text
	for _, want := range []string{"Vooraf: eens 2, oneens 1, weet niet 1", "Achteraf: eens 1, oneens 2, weet niet 0", "Verschuiving: −1 Eens, +1 Oneens, −1 Weet ik niet"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	if iFor, iAgainst := strings.Index(sum, "*voor:*"), strings.Index(sum, "*tegen:*"); iFor < 0 || iAgainst < iFor ||
		!strings.Contains(sum[iFor:iAgainst], "Kinderen") || !strings.Contains(sum[iAgainst:], "Oefening") {
		t.Errorf("arguments per side:\n%s", sum)
	}
	rep := s.Last("bakker")
	if !rep.Staff || !strings.Contains(rep.Text, "Deden mee (4)") || !strings.Contains(rep.Text, "Niet gestemd: "+chat.Literal("-")) {
		t.Errorf("teacher report = %q", rep.Text)
	}
	vote(s, "p04", id, "2", "agree")
	if got := s.Last("p04").Text; got != s.Tr("p04", "debate.vote_closed") {
		t.Errorf("vote after close: %q", got)
	}
	// The teacher saves an argument on the word list with one press and a word.
	s.Press("bakker", dialogtest.Choice(t, rep, Name+".save"))
	s.Type(Name, "bakker", "Vrije tijd")
	if l := terms.List(*s.Shared[terms.Ref("2B")]); len(l) != 1 || l[0].Source != terms.FromDebate || l[0].From != "Huiswerk moet worden afgeschaft" {
		t.Errorf("word list = %+v", l)
	}
}

func TestBalanceMovesNobodyTwice(t *testing.T) {
	s := newSim(t, 4)
	id, post := start(t, s, "Stelling", map[string]string{"sides": "choose"})
	for _, p := range []string{"p01", "p02", "p03", "p04"} {
		s.Press(p, post.Choices[3])
	}
	s.Press("bakker", chat.Choice{Action: Name + ".balance", Value: id})
	d := rec(s, id)
	if len(d.Sets["side.for"]) != 2 || len(d.Sets["side.against"]) != 2 || len(d.Sets["moved"]) != 2 {
		t.Fatalf("first balance: %v", d.Sets)
	}
	moved := append([]string(nil), d.Sets["moved"]...)
	for _, p := range moved {
		s.Press(p, post.Choices[3]) // back to for
	}
	s.Press("bakker", chat.Choice{Action: Name + ".balance", Value: id})
	d = rec(s, id)
	for _, p := range moved {
		if d.side(p) != For {
			t.Errorf("%s was moved twice", p)
		}
	}
	if len(d.Sets["side.for"]) != 2 || len(d.Sets["moved"]) != 4 {
		t.Fatalf("second balance: %v", d.Sets)
	}
	// Everyone has been moved once now: going back to for can't be evened by Kring.
	for _, p := range []string{"p01", "p02", "p03", "p04"} {
		s.Press(p, post.Choices[3])
	}
	s.Press("bakker", chat.Choice{Action: Name + ".balance", Value: id})
	if got := s.Last("bakker").Text; !strings.Contains(got, "niet gelijk zonder iemand twee keer") {
		t.Errorf("stuck balance: %q", got)
	}
	if len(rec(s, id).Sets["side.for"]) != 4 {
		t.Errorf("a pupil was moved twice")
	}
	// The teacher overrides.
	s.Command(Name, "bakker", "debate", map[string]string{"move": moved[0], "side": Against})
	if rec(s, id).side(moved[0]) != Against {
		t.Errorf("override did not move %s", moved[0])
	}
}

func TestBalancedModeAndRules(t *testing.T) {
	s := newSim(t, 5)
	s.Command(Name, "p01", "debate", map[string]string{"motion": "Ik wil ook"})
	if got := s.Last("p01").Text; got != "Alleen je docent kan dat." {
		t.Errorf("pupil start: %q", got)
	}
	id, post := start(t, s, "Stelling", nil)
	d := rec(s, id)
	if len(d.Sets["side.for"]) != 3 || len(d.Sets["side.against"]) != 2 || !strings.Contains(post.Text, "Pupil 02") {
		t.Fatalf("balanced sides = %v / %q", d.Sets, post.Text)
	}
	s.Press("p01", chat.Choice{Action: Name + ".side", Value: id + ":" + Against})
	if got := s.Last("p01").Text; got != s.Tr("p01", "debate.kring_divides") {
		t.Errorf("side press in balance mode: %q", got)
	}
	s.Press("p01", chat.Choice{Action: Name + ".next", Value: id + ":1"})
	if got := s.Last("p01").Text; got != "Alleen je docent kan dat." {
		t.Errorf("pupil next: %q", got)
	}
	s.Press("bakker", chat.Choice{Action: Name + ".vote", Value: id + ":1:agree"})
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "debate.for_pupils") {
		t.Errorf("teacher vote: %q", got)
	}
	// A pupil's /debat shows their side and the vote buttons, privately.
	s.Command(Name, "p02", "debate", map[string]string{})
	s.Press("p02", dialogtest.Choice(t, s.Last("p02"), Name+".join"))
	if m := s.Last("p02"); !strings.Contains(m.Text, "tegen") || len(m.Choices) != 3 {
		t.Errorf("join = %+v", m)
	}
	s.Press("bakker", chat.Choice{Action: Name + ".next", Value: id + ":1"})
	// Worrying words in an argument reach the mentor; text typed in the thread is not lost.
	s.Press("p01", chat.Choice{Action: Name + ".argue", Value: id + ":1"})
	s.Type(Name, "p01", "ik word gepest als ik dit zeg")
	if m := s.Last("devries"); !m.Staff || !strings.Contains(m.Text, "debate") {
		t.Errorf("mentor alert = %+v", m)
	}
	s.Step(Name, "p02", dialog.Input{Kind: dialog.Text, Thread: Name + ":" + id, Text: "los in de draad"})
	if m := s.Last("p02"); !m.Ephemeral || m.Text != s.Tr("p02", "debate.use_button") {
		t.Errorf("thread text: %+v", m)
	}
	// An argument whose round ended while typing is handed back.
	s.Press("p03", chat.Choice{Action: Name + ".argue", Value: id + ":1"})
	s.Press("bakker", chat.Choice{Action: Name + ".close", Value: id})
	s.Type(Name, "p03", "te laat")
	if got := s.Last("p03").Text; !strings.Contains(got, chat.Literal("te laat")) {
		t.Errorf("late argument: %q", got)
	}
	s.Press("bakker", chat.Choice{Action: Name + ".close", Value: id})
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "debate.already_closed") {
		t.Errorf("second close: %q", got)
	}
	if len(s.Timers) != 0 {
		t.Errorf("timers left: %v", s.Timers)
	}
}

func TestArgumentsLimitsRepliesAndPanel(t *testing.T) {
	s := newSim(t, 2)
	id, _ := start(t, s, "Stelling", nil)
	s.Press("bakker", chat.Choice{Action: Name + ".panel", Value: id})
	if m := s.Last("bakker"); len(m.Choices) != 3 || !strings.Contains(m.Text, "Voor (1)") {
		t.Errorf("panel = %+v", m)
	}
	s.Press("p01", chat.Choice{Action: Name + ".argue", Value: id + ":1"})
	if got := s.Last("p01").Text; got != s.Tr("p01", "debate.round_over") {
		t.Errorf("argument before round 1: %q", got)
	}
	s.Press("bakker", chat.Choice{Action: Name + ".next", Value: id + ":1"})
	for i := 0; i < MaxPerRound; i++ {
		s.Press("p01", chat.Choice{Action: Name + ".argue", Value: id + ":1"})
		s.Type(Name, "p01", "Argument")
	}
	s.Press("p01", chat.Choice{Action: Name + ".argue", Value: id + ":1"})
	if got := s.Last("p01").Text; got != s.Tr("p01", "debate.enough", "Max", MaxPerRound) {
		t.Errorf("fourth argument: %q", got)
	}
	// p02 answers p01-2 by typing its id first.
	s.Press("p02", chat.Choice{Action: Name + ".argue", Value: id + ":1"})
	s.Type(Name, "p02", "#p01-2 Dat klopt niet")
	if a := rec(s, id).Args["p02"]; len(a) != 1 || a[0].Re != "p01-2" || a[0].Text != "Dat klopt niet" {
		t.Errorf("reply = %+v", a)
	}
	// Teacher overrides with mistakes.
	s.Command(Name, "bakker", "debate", map[string]string{"move": "bakker", "side": For})
	if got := s.Last("bakker").Text; !strings.Contains(got, "geen leerling") {
		t.Errorf("moving a teacher: %q", got)
	}
	s.Command(Name, "bakker", "debate", map[string]string{"move": "p01"})
	if got := s.Last("bakker").Text; !strings.Contains(got, "welke kant") {
		t.Errorf("moving without a side: %q", got)
	}
	s.Command(Name, "jansen", "debate", map[string]string{"motion": "X", "class": "2B"})
	if got := s.Last("jansen").Text; !strings.Contains(got, "geen les") {
		t.Errorf("other teacher: %q", got)
	}
}

// TestTextNotWaitedForIsPassedOn: a private text reaching a debate that waits for
// nothing (a stale conversation) is handed back unread, so the next conversation or
// the inbox gets it and checks it.
func TestTextNotWaitedForIsPassedOn(t *testing.T) {
	s := dialogtest.New(t, dialogtest.School(t, 3), New())
	res := s.Type(Name, "p01", "ik word gepest")
	if !res.Pass || len(res.Messages) != 0 || len(res.Effects) != 0 {
		t.Fatalf("stale conversation answered %+v, want the text passed on untouched", res)
	}
}
