package discussion

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/internal/dialogtest"
	"github.com/kring-school/kring/dialogs/internal/talk"
	"github.com/kring-school/kring/dialogs/terms"
)

func newSim(t *testing.T, pupils int) *dialogtest.Sim {
	return dialogtest.New(t, dialogtest.School(t, pupils), New(), terms.New())
}

// post has bakker post q with args and returns the prompt id and the class post.
func post(t *testing.T, s *dialogtest.Sim, q string, args map[string]string) (string, chat.Message) {
	t.Helper()
	if args == nil {
		args = map[string]string{}
	}
	args["prompt"] = q
	before := len(s.Out)
	s.Command(Name, "bakker", "discuss", args)
	for _, m := range s.Out[before:] {
		if m.To.Kind == chat.ToThread {
			return strings.TrimPrefix(m.To.Thread, Name+":"), m
		}
	}
	t.Fatalf("nothing posted; bakker got %q", s.Last("bakker").Text)
	return "", chat.Message{}
}

func answerVia(t *testing.T, s *dialogtest.Sim, pupil string, c chat.Choice, text string) {
	t.Helper()
	res := s.Press(pupil, c)
	if !res.Listen || len(res.ListenRefs) != 1 {
		t.Fatalf("%s: the answer should be asked in the DM, listening on the prompt: %+v", pupil, res)
	}
	res = s.Type(Name, pupil, text)
	if res.Listen {
		t.Fatalf("%s: answered, yet still listening", pupil)
	}
}

func answers(s *dialogtest.Sim, id string) map[string]answer {
	return load(*s.Shared[ref(id)]).Answers
}

func TestThinkFirstAnswersEditsAnonymityAndDigest(t *testing.T) {
	s := newSim(t, 4)
	id, p := post(t, s, "Waarom is water belangrijk?", map[string]string{"anonymous": "yes", "close": "12:00"})
	if p.To.Class != "2B" || len(p.Choices) != 2 || p.Choices[1].Value != id+":anon" {
		t.Fatalf("class post = %+v", p)
	}
	if !strings.Contains(p.Text, "Eerst zelf denken") || !strings.Contains(p.Text, "12:00") {
		t.Errorf("post text = %q", p.Text)
	}
	answerVia(t, s, "p01", p.Choices[0], "Zonder water geen leven.")
	if got := s.Last("p01"); got.Text != s.Tr("p01", "discussion.saved") {
		t.Errorf("p01 got %q", got.Text)
	}
	// p01 looks at classmates' answers: none yet. p02 may not look before answering.
	s.Press("p01", dialogtest.Choice(t, s.Last("p01"), Name+".peek"))
	if got := s.Last("p01").Text; got != s.Tr("p01", "discussion.peek_none") {
		t.Errorf("peek = %q", got)
	}
	s.Press("p02", chat.Choice{Action: Name + ".peek", Value: id})
	if got := s.Last("p02").Text; got != s.Tr("p02", "discussion.answer_first") {
		t.Errorf("peek before answering = %q", got)
	}
	answerVia(t, s, "p02", p.Choices[1], "Planten hebben water nodig.")
	if got := s.Last("p02").Text; got != s.Tr("p02", "discussion.saved_anon") {
		t.Errorf("anonymous answer confirmed as %q", got)
	}
	// p03 answers, then changes twice: one answer kept, the last.
	answerVia(t, s, "p03", p.Choices[0], "eerste versie")
	edit := dialogtest.Choice(t, s.Last("p03"), Name+".edit")
	answerVia(t, s, "p03", edit, "tweede versie")
	answerVia(t, s, "p03", edit, "zonder water, geen leven!")
	if got := s.Last("p03").Text; got != s.Tr("p03", "discussion.changed") {
		t.Errorf("edit confirmed as %q", got)
	}
	got := answers(s, id)
	if len(got) != 3 || got["p03"].Text != "zonder water, geen leven!" || got["p03"].Edits != 2 || !got["p02"].Anon {
		t.Fatalf("answers = %+v", got)
	}
	// p03 now sees classmates: p01 by name, p02 anonymous.
	s.Press("p03", chat.Choice{Action: Name + ".peek", Value: id})
	peek := s.Last("p03").Text
	if !strings.Contains(peek, "Pupil 01") || strings.Contains(peek, "Pupil 02") || !strings.Contains(peek, "Anoniem: "+chat.Literal("Planten hebben water nodig.")) || strings.Contains(peek, "versie") {
		t.Errorf("peek = %q", peek)
	}
	// Think first: nothing of any answer in the thread.
	for _, m := range s.Thread(Name + ":" + id) {
		if strings.Contains(m.Text, "water") && m.Text != p.Text {
			t.Errorf("an answer reached the thread before reveal: %q", m.Text)
		}
	}
	// 12:00 in Amsterdam: the timer closes it; the teacher gets the digest.
	s.Advance(time.Hour)
	d := s.Last("bakker")
	if !d.Staff || !strings.Contains(d.Text, "3 van de 4") || !strings.Contains(d.Text, "Pupil 04") {
		t.Errorf("digest = %q", d.Text)
	}
	// Near-identical answers of p01 and p03 are grouped; p02's name is there, marked.
	if !strings.Contains(d.Text, "2 bijna gelijke antwoorden") || !strings.Contains(d.Text, "Pupil 02 (anoniem voor de klas)") {
		t.Errorf("digest groups = %q", d.Text)
	}
	for _, m := range s.Out {
		if m.To.Kind != chat.ToPerson && strings.Contains(m.Text, "Pupil 04") {
			t.Errorf("who did not answer reached the class: %q", m.Text)
		}
	}
	// A late answer is refused and handed back.
	s.Press("p04", p.Choices[0])
	if got := s.Last("p04").Text; !strings.Contains(got, "al gesloten") {
		t.Errorf("late answer button: %q", got)
	}
	s.Step(Name, "p01", dialog.Input{Kind: dialog.Text, Thread: Name + ":" + id, Text: "nog iets"})
	if got := s.Last("p01"); !got.Ephemeral || !strings.Contains(got.Text, "gesloten") {
		t.Errorf("late thread text: %+v", got)
	}
	if len(answers(s, id)) != 3 {
		t.Errorf("answers changed after close")
	}
}

func TestRevealAndReactions(t *testing.T) {
	s := newSim(t, 3)
	id, p := post(t, s, "Wat is democratie?", map[string]string{"anonymous": "yes"})
	answerVia(t, s, "p01", p.Choices[0], "Het volk beslist.")
	answerVia(t, s, "p02", p.Choices[1], "Iedereen mag stemmen @everyone")
	// Reactions are not possible before reveal.
	s.Press("p03", chat.Choice{Action: Name + ".react", Value: id + ":" + load(*s.Shared[ref(id)]).handle("p01") + ":agree"})
	if got := s.Last("p03").Text; got != s.Tr("p03", "discussion.react_gone") {
		t.Errorf("early reaction: %q", got)
	}
	s.Press("p01", chat.Choice{Action: Name + ".reveal", Value: id})
	if got := s.Last("p01").Text; got != s.Tr("p01", "discussion.only_teacher") {
		t.Errorf("pupil reveal: %q", got)
	}
	s.Press("bakker", dialogtest.Choice(t, s.Last("bakker"), Name+".reveal"))
	th := s.Thread(Name + ":" + id)
	var shown []chat.Message
	for _, m := range th {
		if strings.HasPrefix(m.Text, "💬 ") && len(m.Choices) == 3 {
			shown = append(shown, m)
		}
	}
	if len(shown) != 2 || !strings.Contains(shown[0].Text, "Pupil 01") || !strings.HasPrefix(shown[1].Text, "💬 Anoniem: ") {
		t.Fatalf("revealed = %+v", shown)
	}
	if strings.Contains(shown[1].Text, "Pupil 02") {
		t.Errorf("anonymous answer shows a name: %q", shown[1].Text)
	}
	for _, c := range shown[1].Choices {
		if strings.Contains(c.Value, "p02") || strings.Contains(c.Value, talk.ID(id + "/p02")[:8]) {
			t.Errorf("a button of the anonymous answer names its author: %q", c.Value)
		}
	}
	s.Press("bakker", chat.Choice{Action: Name + ".reveal", Value: id})
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "discussion.already_revealed") {
		t.Errorf("second reveal: %q", got)
	}
	// p03 agrees with the anonymous answer, twice; then asks p01 a question.
	agree := dialogtest.Choice(t, shown[1], Name+".react")
	s.Press("p03", agree)
	s.Press("p03", agree)
	if got := s.Last("p03").Text; got != s.Tr("p03", "discussion.agreed_already") {
		t.Errorf("double agree: %q", got)
	}
	if n := len(s.Shared[ref(id)].Sets["agree."+load(*s.Shared[ref(id)]).handle("p02")]); n != 1 {
		t.Errorf("%d agrees kept, want 1", n)
	}
	res := s.Press("p03", shown[0].Choices[1])
	if !res.Listen {
		t.Fatalf("a question should be asked in the DM")
	}
	s.Type(Name, "p03", "Wie is het volk?")
	last := s.Thread(Name + ":" + id)
	q := last[len(last)-1].Text
	if !strings.Contains(q, "Pupil 03") || !strings.Contains(q, chat.Literal("Wie is het volk?")) || !strings.Contains(q, "Pupil 01") {
		t.Errorf("question in thread = %q", q)
	}
	s.Press("p01", shown[0].Choices[0])
	if got := s.Last("p01").Text; got != s.Tr("p01", "discussion.react_own") {
		t.Errorf("own answer reaction: %q", got)
	}
	// After reveal, a changed answer appears again, marked as changed, once.
	s.Press("p01", chat.Choice{Action: Name + ".edit", Value: id})
	s.Type(Name, "p01", "Het volk kiest wie beslist.")
	last = s.Thread(Name + ":" + id)
	if got := last[len(last)-1].Text; !strings.Contains(got, "antwoord veranderd") {
		t.Errorf("changed answer in thread: %q", got)
	}
	// The teacher's digest counts the agreement.
	s.Press("bakker", chat.Choice{Action: Name + ".close", Value: id})
	if got := s.Last("bakker").Text; !strings.Contains(got, "(👍 1)") {
		t.Errorf("digest = %q", got)
	}
	if len(s.Timers) != 0 {
		t.Errorf("timers left: %v", s.Timers)
	}
}

func TestOpenModeShowsAnswersAtOnce(t *testing.T) {
	s := newSim(t, 2)
	id, p := post(t, s, "Noem een voorbeeld", map[string]string{"mode": Open})
	if !strings.Contains(p.Text, "verschijnen in deze draad") {
		t.Errorf("open post = %q", p.Text)
	}
	// Typed in the thread: the first text is the answer.
	s.Step(Name, "p01", dialog.Input{Kind: dialog.Text, Thread: Name + ":" + id, Text: "De zon"})
	th := s.Thread(Name + ":" + id)
	if got := th[len(th)-1].Text; got != "💬 "+chat.Literal("Pupil 01")+": "+chat.Literal("De zon") {
		t.Errorf("thread = %q", got)
	}
	// A second text there is not taken as a new answer.
	s.Step(Name, "p01", dialog.Input{Kind: dialog.Text, Thread: Name + ":" + id, Text: "en de maan"})
	if got := s.Last("p01"); got.Text != s.Tr("p01", "discussion.thread_answered") || !got.Ephemeral {
		t.Errorf("second thread text: %+v", got)
	}
	if a := answers(s, id)["p01"]; a.Text != "De zon" {
		t.Errorf("answer = %+v", a)
	}
}

func TestThinkFirstThreadTextCountsAndIsExplained(t *testing.T) {
	s := newSim(t, 2)
	id, _ := post(t, s, "Vraag", nil)
	s.Step(Name, "p01", dialog.Input{Kind: dialog.Text, Thread: Name + ":" + id, Text: "mijn antwoord"})
	if a := answers(s, id)["p01"]; a.Text != "mijn antwoord" {
		t.Errorf("thread answer not kept: %+v", a)
	}
	if got := s.Last("p01").Text; got != s.Tr("p01", "discussion.thread_think") {
		t.Errorf("p01 told %q", got)
	}
}

func TestRules(t *testing.T) {
	s := newSim(t, 2)
	s.Command(Name, "p01", "discuss", map[string]string{"prompt": "Mag ik ook?"})
	if got := s.Last("p01").Text; got != "Alleen je docent kan dat." {
		t.Errorf("pupil post: %q", got)
	}
	s.Command(Name, "jansen", "discuss", map[string]string{"prompt": "V?", "class": "2B"})
	if got := s.Last("jansen").Text; !strings.Contains(got, "geen les") {
		t.Errorf("other teacher: %q", got)
	}
	s.Command(Name, "bakker", "discuss", map[string]string{"prompt": strings.Repeat("x", 501)})
	if got := s.Last("bakker").Text; !strings.Contains(got, "501 tekens") {
		t.Errorf("too long: %q", got)
	}
	id, p := post(t, s, "V?", nil)
	s.Press("bakker", p.Choices[0])
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "discussion.for_pupils") {
		t.Errorf("teacher answering: %q", got)
	}
	s.Press("p01", chat.Choice{Action: Name + ".close", Value: id})
	if got := s.Last("p01").Text; got != s.Tr("p01", "discussion.only_teacher") {
		t.Errorf("pupil close: %q", got)
	}
	// An empty and an oversized answer are re-asked; the long text is handed back.
	s.Press("p01", p.Choices[0])
	s.Type(Name, "p01", "   ")
	if !s.Listening("p01", Name) || s.Last("p01").Text != s.Tr("p01", "discussion.empty") {
		t.Errorf("empty answer: %q", s.Last("p01").Text)
	}
	long := strings.Repeat("a", MaxAnswer+1)
	s.Type(Name, "p01", long)
	if !s.Listening("p01", Name) || !strings.Contains(s.Last("p01").Text, long) {
		t.Errorf("long answer not handed back")
	}
	// Worrying words reach the mentor (English) and care privately; the answer is kept.
	s.Type(Name, "p01", "ik word gepest in de pauze")
	if m := s.Last("devries"); !m.Staff || !strings.Contains(m.Text, "Alert") {
		t.Errorf("mentor alert = %+v", m)
	}
	if m := s.Last("mulder"); !m.Staff || !strings.Contains(m.Text, "gepest") {
		t.Errorf("care alert = %+v", m)
	}
	if answers(s, id)["p01"].Text == "" {
		t.Errorf("the answer with an alert was not kept")
	}
	// The teacher closes twice; the second press is answered, not repeated.
	s.Press("bakker", chat.Choice{Action: Name + ".close", Value: id})
	digests := len(s.To("bakker"))
	s.Press("bakker", chat.Choice{Action: Name + ".close", Value: id})
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "discussion.already_closed") || len(s.To("bakker")) != digests+1 {
		t.Errorf("second close: %q", got)
	}
	// An answer typed after the close is handed back, not lost in silence.
	s.Press("p02", p.Choices[0])
	s.Step(Name, "p02", dialog.Input{Kind: dialog.Form, Action: Name + ".answer." + id, Fields: map[string]string{"answer": "te laat"}})
	if got := s.Last("p02").Text; !strings.Contains(got, chat.Literal("te laat")) {
		t.Errorf("late form answer: %q", got)
	}
	s.Press("p01", chat.Choice{Action: Name + ".answer", Value: "nope"})
	if got := s.Last("p01").Text; got != s.Tr("p01", "discussion.gone") {
		t.Errorf("unknown prompt: %q", got)
	}
}

func TestScheduledPostAndCancel(t *testing.T) {
	s := newSim(t, 2)
	s.Command(Name, "bakker", "discuss", map[string]string{"prompt": "Later", "at": "12:30", "close": "13:00"})
	if len(s.Thread("")) != 0 || len(s.Timers) != 1 {
		t.Fatalf("scheduled: timers %v", s.Timers)
	}
	if got := s.Last("bakker").Text; !strings.Contains(got, "12:30") {
		t.Errorf("teacher told %q", got)
	}
	// Before 12:30 (Amsterdam; the clock says 11:00 there) the board is empty for pupils.
	s.Command(Name, "p01", "discuss", map[string]string{})
	if got := s.Last("p01").Text; !strings.Contains(got, "geen open") {
		t.Errorf("board before posting: %q", got)
	}
	s.Advance(90 * time.Minute)
	var posted *chat.Message
	for i, m := range s.Out {
		if m.To.Kind == chat.ToThread {
			posted = &s.Out[i]
		}
	}
	if posted == nil || !strings.Contains(posted.Text, "Later") || !strings.Contains(posted.Text, "13:00") {
		t.Fatalf("not posted at 12:30: %+v", posted)
	}
	s.Command(Name, "p01", "discuss", map[string]string{})
	open := s.Last("p01")
	answerVia(t, s, "p01", dialogtest.Choice(t, open, Name+".answer"), "Ja")
	s.Advance(30 * time.Minute)
	if got := s.Last("bakker").Text; !strings.Contains(got, "1 van de 2") {
		t.Errorf("closed at 13:00: %q", got)
	}
	s.Command(Name, "p01", "discuss", map[string]string{})
	if got := s.Last("p01").Text; !strings.Contains(got, "geen open") {
		t.Errorf("board after closing: %q", got)
	}
	// Bad and past times, a cancelled schedule.
	s.Command(Name, "bakker", "discuss", map[string]string{"prompt": "X", "at": "kwart over"})
	if got := s.Last("bakker").Text; !strings.Contains(got, "geen tijd") {
		t.Errorf("bad time: %q", got)
	}
	s.Command(Name, "bakker", "discuss", map[string]string{"prompt": "X", "at": "10:00"})
	if got := s.Last("bakker").Text; !strings.Contains(got, "voorbij") {
		t.Errorf("past time: %q", got)
	}
	s.Command(Name, "bakker", "discuss", map[string]string{"prompt": "Y", "at": "16:00"})
	s.Press("bakker", dialogtest.Choice(t, s.Last("bakker"), Name+".cancel"))
	s.Advance(4 * time.Hour)
	for _, m := range s.Out {
		if m.To.Kind == chat.ToThread && strings.Contains(m.Text, chat.Literal("Y")) {
			t.Errorf("cancelled prompt was posted")
		}
	}
}

func TestPromptBank(t *testing.T) {
	s := newSim(t, 1)
	s.School.Prompts = map[string][]string{"geschiedenis": {"Was de VOC goed of fout?", "Waarom viel Rome?"}}
	s.Command(Name, "bakker", "discuss", map[string]string{"bank": "geschiedenis", "mode": Open})
	offer := s.Last("bakker")
	if len(offer.Choices) != 2 || !strings.Contains(offer.Text, "Waarom viel Rome?") {
		t.Fatalf("bank offer = %+v", offer)
	}
	s.Press("bakker", offer.Choices[1])
	th := s.Out[len(s.Out)-2]
	if th.To.Kind != chat.ToThread || !strings.Contains(th.Text, "Waarom viel Rome?") || !strings.Contains(th.Text, "verschijnen") {
		t.Fatalf("bank post = %+v", th)
	}
	before := len(s.Out)
	s.Command(Name, "bakker", "discuss", map[string]string{"bank": "Geschiedenis#1"})
	if !strings.Contains(s.Out[before].Text, "VOC") {
		t.Errorf("bank item 1 = %q", s.Out[before].Text)
	}
	s.Command(Name, "bakker", "discuss", map[string]string{"bank": "gym"})
	if got := s.Last("bakker").Text; !strings.Contains(got, "geschiedenis") {
		t.Errorf("unknown subject: %q", got)
	}
}

func TestFormsWhereThePlatformHasThem(t *testing.T) {
	s := newSim(t, 1)
	s.Caps.Forms = true
	id, p := post(t, s, "Vraag?", nil)
	res := s.Press("p01", p.Choices[0])
	m := s.Last("p01")
	if res.Listen || m.Form == nil || m.Form.Action != Name+".answer."+id {
		t.Fatalf("form answer: listen %v, %+v", res.Listen, m.Form)
	}
	s.Step(Name, "p01", dialog.Input{Kind: dialog.Form, Action: m.Form.Action, Fields: map[string]string{"answer": "Via het formulier"}})
	if got := answers(s, id)["p01"].Text; got != "Via het formulier" {
		t.Errorf("answer = %q", got)
	}
}

func TestSaveAnAnswerOnTheWordList(t *testing.T) {
	s := newSim(t, 2)
	id, p := post(t, s, "Wat is fotosynthese?", nil)
	answerVia(t, s, "p01", p.Choices[0], "Planten maken suiker uit licht.")
	s.Press("bakker", chat.Choice{Action: Name + ".close", Value: id})
	d := s.Last("bakker")
	save := dialogtest.Choice(t, d, Name+".save")
	if res := s.Press("bakker", save); !res.Listen {
		t.Fatalf("naming should wait for the word")
	}
	s.Type(Name, "bakker", "Fotosynthese")
	list := terms.List(*s.Shared[terms.Ref("2B")])
	if len(list) != 1 || list[0].Word != "Fotosynthese" || list[0].Text != "Planten maken suiker uit licht." || list[0].Source != terms.FromPrompt || list[0].From != "Wat is fotosynthese?" {
		t.Fatalf("word list = %+v", list)
	}
	if s.Listening("bakker", Name) {
		t.Errorf("still waiting after saving")
	}
	s.Press("p01", save)
	if got := s.Last("p01").Text; got != s.Tr("p01", "discussion.only_teacher") {
		t.Errorf("pupil save: %q", got)
	}
}

func TestGroupNearIdentical(t *testing.T) {
	now := time.Now()
	p := promptRec{ID: "x", Answers: map[string]answer{
		"a": {Text: "Water is nodig voor leven.", At: now},
		"b": {Text: "water is NODIG voor leven", At: now.Add(time.Second)},
		"c": {Text: "Iets heel anders", At: now.Add(2 * time.Second)},
		"d": {Text: "Water is echt nodig voor leven", At: now.Add(3 * time.Second)},
	}}
	g := Group(p)
	if len(g) != 2 || len(g[0]) != 3 || g[1][0] != "c" {
		t.Fatalf("groups = %v", g)
	}
}

func TestTeacherListBuildOnAndNamingByForm(t *testing.T) {
	s := newSim(t, 2)
	id, p := post(t, s, "Wat is een goed argument?", map[string]string{"mode": Open})
	// The teacher's /discuss lists the open prompt with reveal and close.
	s.Command(Name, "bakker", "discuss", map[string]string{})
	if m := s.Last("bakker"); len(m.Choices) != 2 || m.Choices[1].Action != Name+".close" {
		t.Errorf("teacher list = %+v", m)
	}
	answerVia(t, s, "p01", p.Choices[0], "Een argument met bewijs.")
	th := s.Thread(Name + ":" + id)
	answer := th[len(th)-1]
	// p02 builds on it; an oversized text is handed back and asked again.
	if res := s.Press("p02", answer.Choices[2]); !res.Listen {
		t.Fatal("building on an answer should wait for text")
	}
	long := strings.Repeat("b", MaxReact+1)
	s.Type(Name, "p02", long)
	if !s.Listening("p02", Name) || !strings.Contains(s.Last("p02").Text, long) {
		t.Errorf("long reaction not handed back")
	}
	s.Type(Name, "p02", "En met een voorbeeld!")
	th = s.Thread(Name + ":" + id)
	if got := th[len(th)-1].Text; !strings.HasPrefix(got, "➕ ") || !strings.Contains(got, chat.Literal("En met een voorbeeld!")) {
		t.Errorf("build-on in thread = %q", got)
	}
	// The teacher peeks at every answer.
	s.Press("bakker", chat.Choice{Action: Name + ".peek", Value: id})
	if got := s.Last("bakker").Text; !strings.Contains(got, "Pupil 01") {
		t.Errorf("teacher peek = %q", got)
	}
	// Closing, then saving an answer through the form where the platform has one.
	s.Caps.Forms = true
	s.Press("bakker", chat.Choice{Action: Name + ".close", Value: id})
	s.Press("bakker", dialogtest.Choice(t, s.Last("bakker"), Name+".save"))
	if f := s.Last("bakker").Form; f == nil || f.Action != Name+".name" {
		t.Fatalf("naming form = %+v", f)
	}
	s.Step(Name, "bakker", dialog.Input{Kind: dialog.Form, Action: Name + ".name", Fields: map[string]string{terms.FieldWord: "", terms.FieldText: ""}})
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "terms.no_word") {
		t.Errorf("empty word: %q", got)
	}
	s.Step(Name, "bakker", dialog.Input{Kind: dialog.Form, Action: Name + ".name", Fields: map[string]string{terms.FieldWord: "Argument", terms.FieldText: "Een bewering met bewijs."}})
	if l := terms.List(*s.Shared[terms.Ref("2B")]); len(l) != 1 || l[0].Text != "Een bewering met bewijs." || l[0].Proposer != "p01" {
		t.Errorf("word list = %+v", l)
	}
	s.Step(Name, "bakker", dialog.Input{Kind: dialog.Form, Action: Name + ".name", Fields: map[string]string{terms.FieldWord: "Nog een"}})
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "terms.naming_gone") {
		t.Errorf("a second submission: %q", got)
	}
	// A scheduled prompt can't be cancelled once posted.
	s.Press("bakker", chat.Choice{Action: Name + ".cancel", Value: id})
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "discussion.cancel_too_late") {
		t.Errorf("late cancel: %q", got)
	}
}

// TestTextNotWaitedForIsPassedOn: a private text reaching a discussion that waits for
// nothing (a stale conversation) is handed back unread, not answered and dropped, so
// the next conversation or the inbox gets it and checks it.
func TestTextNotWaitedForIsPassedOn(t *testing.T) {
	s := newSim(t, 3)
	res := s.Type(Name, "p01", "ik word gepest")
	if !res.Pass || len(res.Messages) != 0 || len(res.Effects) != 0 {
		t.Fatalf("stale conversation answered %+v, want the text passed on untouched", res)
	}
}
