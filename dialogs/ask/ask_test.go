package ask

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
)

func TestQuestionGoesToTheSubjectTeacherAndIsAudited(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	if q.Status != Open || q.To != "bakker" || q.Subject != "wiskunde" {
		t.Fatalf("question = %+v, want open with bakker", q)
	}
	m := s.last("bakker")
	if !m.Staff || !strings.Contains(m.Text, "Hoe deel je breuken?") {
		t.Fatalf("teacher got %+v", m)
	}
	if got := s.text("anna"); !strings.Contains(got, "Mevr. Bakker") {
		t.Fatalf("pupil told %q, want the teacher named", got)
	}
	if len(s.audits) != 1 || s.audits[0].Actor != "bakker" || s.audits[0].Subject != "anna" || s.audits[0].Action != "question.read" {
		t.Fatalf("audits = %+v, want the teacher's read", s.audits)
	}
	if s.rec(ref("2B")).Members["anna"] == "" {
		t.Fatal("the record is not listed under the pupil (export/erase)")
	}
	if len(s.timers) != 2 {
		t.Fatalf("timers = %v, want reminder and escalation", s.timers)
	}
}

func TestRoutingFallbacks(t *testing.T) {
	cases := []struct {
		name    string
		subject string
		offline []string
		want    string
		skipped string // names the pupil is told Kring can't reach
		note    string // a catalog key the pupil's message must contain
	}{
		{"I don't know goes to the mentor", "", nil, "devries", "", ""},
		{"subject without a teacher on the roster", "frans", nil, "devries", "", "ask.no_teacher"},
		{"unreachable teacher: the mentor", "wiskunde", []string{"bakker"}, "devries", "Mevr. Bakker", ""},
		{"teacher and mentor unreachable: care", "wiskunde", []string{"bakker", "devries"}, "mulder", "Mevr. Bakker, Dhr. De Vries", ""},
		{"care unreachable too: admin", "wiskunde", []string{"bakker", "devries", "mulder"}, "elamrani", "Mevr. Bakker, Dhr. De Vries, Mevr. Mulder", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t)
			for _, id := range c.offline {
				s.offline[id] = true
			}
			q := s.ask("anna", "Een vraag over iets", c.subject, true)
			if q.To != c.want || q.Status != Open {
				t.Fatalf("routed to %q (%s), want %s", q.To, q.Status, c.want)
			}
			if len(s.to(c.want)) == 0 || !s.last(c.want).Staff {
				t.Fatalf("%s got nothing", c.want)
			}
			for _, id := range c.offline {
				if len(s.to(id)) > 0 {
					t.Fatalf("a message was addressed to unreachable %s", id)
				}
			}
			told := s.text("anna")
			p, _ := s.school.Person(c.want)
			if !strings.Contains(told, p.Name) {
				t.Fatalf("pupil told %q, want %s named", told, p.Name)
			}
			if c.skipped != "" && !strings.Contains(told, s.T("anna", "ask.skipped", "Names", c.skipped)) {
				t.Fatalf("pupil told %q, want the skipped %s", told, c.skipped)
			}
			if c.note != "" && !strings.Contains(told, s.T("anna", c.note, "Subject", c.subject)) {
				t.Fatalf("pupil told %q, want %s", told, c.note)
			}
			if c.skipped != "" && !strings.Contains(s.text(c.want), "Mevr. Bakker") {
				t.Fatalf("the recipient is not told who was skipped: %q", s.text(c.want))
			}
		})
	}
}

func TestNobodyReachableIsToldTheTruthAndSentLater(t *testing.T) {
	s := newSim(t)
	for _, id := range []string{"bakker", "devries", "mulder", "elamrani"} {
		s.offline[id] = true
	}
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	if q.To != "" || q.Status != Open {
		t.Fatalf("question = %+v, want open for nobody", q)
	}
	told := s.text("anna")
	if !strings.Contains(told, s.T("anna", "ask.nobody")) || strings.Contains(told, s.T("anna", "ask.sent", "Who", "", "Question", "")[:10]) {
		t.Fatalf("pupil told %q", told)
	}
	for _, m := range s.out {
		if m.To.Person != "anna" {
			t.Fatalf("a message went to %s although nobody can be reached", m.To.Person)
		}
	}
	// The next school morning the sweep finds the teacher back.
	delete(s.offline, "bakker")
	s.now = s.now.Add(22 * time.Hour)
	s.step("@2B", dialog.Input{Kind: dialog.Start, Job: JobSweep})
	if q := s.q(q.ID); q.To != "bakker" {
		t.Fatalf("after the sweep the question is with %q", q.To)
	}
	if !strings.Contains(s.text("anna"), "Mevr. Bakker") {
		t.Fatalf("pupil not told who answers now: %q", s.text("anna"))
	}
}

// classmateLeaks lists problems in messages a classmate (anyone but the asker and
// staff) or the class channel could see.
func TestAnonymityTowardsClassmatesAndTeacher(t *testing.T) {
	timeRe := regexp.MustCompile(`\d{1,2}[:.]\d{2}`)
	for _, policy := range []bool{false, true} {
		s := newSim(t)
		s.school.Policy.TeacherSeesAnonymousName = policy
		a := s.ask("anna", "Hoe deel je een breuk door een breuk?", "wiskunde", true)
		d := s.ask("daan", "hoe moet je breuken delen door een breuk", "wiskunde", true)
		if d.Group != a.ID {
			t.Fatalf("policy %v: second question not grouped: %+v", policy, d)
		}
		s.answer("bakker", a, "Keer de tweede breuk om en vermenigvuldig.")
		s.press("bakker", "publish")
		for _, name := range []string{"Anna de Boer", "Daan Visser"} {
			shown := false
			for _, m := range s.to("bakker") {
				shown = shown || strings.Contains(m.Text, name)
			}
			if shown != policy {
				t.Fatalf("policy teacher_sees_anonymous_name %v: the teacher saw %s: %v", policy, name, shown)
			}
		}
		var post *chat.Message
		for i, m := range s.out {
			switch {
			case m.To.Kind == chat.ToClass || m.To.Kind == chat.ToThread:
				post = &s.out[i]
			case m.To.Kind == chat.ToPerson && m.To.Person != "anna" && m.To.Person != "daan" && !m.Staff:
				if p, _ := s.school.Person(m.To.Person); p.Has(config.Pupil) {
					t.Fatalf("a classmate got %q", m.Text)
				}
			}
		}
		if post == nil {
			t.Fatal("nothing was published")
		}
		for _, leak := range []string{"Anna", "Daan", "anna", "daan", "Boer", "Visser", a.ID, d.ID} {
			if strings.Contains(post.Text, leak) {
				t.Fatalf("the class post shows %q: %s", leak, post.Text)
			}
		}
		if timeRe.MatchString(post.Text) {
			t.Fatalf("the class post carries a time: %s", post.Text)
		}
		// No count of askers and no order: the post names only the pseudonym of the
		// question it shows, which depends on nothing but that question's id.
		L := s.cat.For("nl")
		if !strings.Contains(post.Text, Alias(L, a.ID)) || strings.Contains(post.Text, Alias(L, d.ID)) || strings.Contains(post.Text, "2") {
			t.Fatalf("the class post should show only the pseudonym of the published question, no count: %s", post.Text)
		}
	}
}

func TestPupilMayAskWithName(t *testing.T) {
	s := newSim(t)
	s.ask("anna", "Wanneer is de toets?", "wiskunde", false)
	if !strings.Contains(s.text("bakker"), "Anna de Boer") {
		t.Fatalf("teacher does not see the name of a named question: %q", s.text("bakker"))
	}
}

func TestAliasIsStableAndIndependentOfOrder(t *testing.T) {
	L := newSim(t).cat.For("nl")
	a1, a2 := Alias(L, "3f2a1b09"), Alias(L, "3f2a1b09")
	if a1 != a2 || a1 == Alias(L, "0000aaaa") && Alias(L, "0000aaaa") == Alias(L, "ffff1111") {
		t.Fatal("alias not stable per question, or the same for every question")
	}
	i1, i2 := newID("ev-1|ask"), newID("ev-1|ask")
	if i1 != i2 || i1 == newID("ev-2|ask") {
		t.Fatal("ids must be derived from the event")
	}
	// Ids of consecutive events do not sort in event order (no counter).
	sortedRun := 0
	prev := ""
	for i := 0; i < 50; i++ {
		id := newID("ev-" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		if id > prev {
			sortedRun++
		}
		prev = id
	}
	if sortedRun == 50 {
		t.Fatal("question ids sort in the order they were asked")
	}
}

func TestAnswerOnceReachesTheGroupAndSplitWorks(t *testing.T) {
	s := newSim(t)
	a := s.ask("anna", "Hoe deel je een breuk door een breuk?", "wiskunde", true)
	d := s.ask("daan", "hoe moet je breuken delen door een andere breuk?", "wiskunde", true)
	x := s.ask("sanne", "Hoe deel ik breuken door elkaar?", "wiskunde", true)
	if d.Group != a.ID || x.Group != a.ID {
		t.Fatalf("groups: daan %q sanne %q, want %s", d.Group, x.Group, a.ID)
	}
	if !strings.Contains(s.text("bakker"), s.T("bakker", "ask.grouped_note", "Other", Alias(s.cat.For("nl"), a.ID), "Question", a.Text())) {
		t.Fatalf("teacher not told about the group: %q", s.text("bakker"))
	}
	// Sanne's question is answered on its own.
	s.pressIn("bakker", s.last("bakker"), "split", "")
	if s.q(x.ID).Group != "" {
		t.Fatal("split did not take the question out of the group")
	}
	s.answer("bakker", d, "Keer de tweede breuk om en vermenigvuldig.")
	for _, p := range []string{"anna", "daan"} {
		if got := s.text(p); !strings.Contains(got, "Keer de tweede breuk om") {
			t.Fatalf("%s got %q, want the answer", p, got)
		}
	}
	if s.q(x.ID).Status != Open || strings.Contains(s.text("sanne"), "Keer de tweede") {
		t.Fatal("the split question got the group's answer")
	}
	if got := s.text("bakker"); got != s.T("bakker", "ask.answer_sent_group", "Count", 2) {
		t.Fatalf("teacher told %q", got)
	}
	for _, k := range []string{"anna|remind:" + a.ID, "daan|escalate:" + d.ID} {
		if _, ok := s.timers[k]; ok {
			t.Fatalf("timer %s still set after the answer", k)
		}
	}
	// Answering again is refused.
	s.answer("bakker", a, "Nog eens")
	if s.text("bakker") != s.T("bakker", "ask.already_answered") {
		t.Fatalf("second answer: %q", s.text("bakker"))
	}
}

func TestDifferentQuestionsAreNotGrouped(t *testing.T) {
	s := newSim(t)
	s.ask("anna", "Hoe deel je een breuk door een breuk?", "wiskunde", true)
	d := s.ask("daan", "Wat is de stelling van Pythagoras?", "wiskunde", true)
	if d.Group != "" {
		t.Fatalf("unrelated question grouped with %s", d.Group)
	}
}

func TestAnswerByFormWhereThePlatformHasForms(t *testing.T) {
	s := newSim(t)
	s.forms["bakker"] = true
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	m := s.last("bakker")
	if m.Form == nil || m.Form.Action != Name+".answer:"+join(q) || m.Form.Fields[0].ID != FormField {
		t.Fatalf("teacher message has form %+v", m.Form)
	}
	for _, c := range m.Choices {
		if c.Action == Name+".reply" {
			t.Fatal("a reply button beside the form")
		}
	}
	s.answer("bakker", q, "  ")
	if s.text("bakker") != s.T("bakker", "ask.answer_empty") || s.q(q.ID).Status != Open {
		t.Fatal("an empty answer was taken")
	}
	s.answer("bakker", q, strings.Repeat("x", MaxAnswer+1))
	if !strings.Contains(s.text("bakker"), "2001") || s.q(q.ID).Status != Open {
		t.Fatalf("an oversized answer: %q", s.text("bakker"))
	}
	s.answer("bakker", q, "Zo: omkeren en vermenigvuldigen.")
	if s.q(q.ID).Status != Answered || !strings.Contains(s.text("anna"), "omkeren") {
		t.Fatal("form answer not relayed")
	}
}

func TestTypedAnswerWithoutFormsAndAFollowUpThread(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	res := s.press("bakker", "reply")
	if !res.Listen || s.last("bakker").Form != nil {
		t.Fatalf("reply without forms: listen %v, %+v", res.Listen, s.last("bakker"))
	}
	s.step("bakker", dialog.Input{Kind: dialog.Text, Text: "Omkeren en vermenigvuldigen."})
	if s.q(q.ID).Status != Answered || s.listen["bakker"] {
		t.Fatal("typed answer not taken")
	}
	// A follow-up stays in the same thread and goes to the same teacher.
	s.press("anna", "followup")
	if !s.listen["anna"] {
		t.Fatal("not listening for the follow-up")
	}
	s.step("anna", dialog.Input{Kind: dialog.Text, Text: "Ook bij gemengde getallen?"})
	got := s.q(q.ID)
	if got.Status != Open || len(got.Thread) != 3 || got.Thread[2].Text != "Ook bij gemengde getallen?" {
		t.Fatalf("thread = %+v", got.Thread)
	}
	m := s.last("bakker")
	if !strings.Contains(m.Text, "Hoe deel je breuken?") || !strings.Contains(m.Text, "Omkeren") || !strings.Contains(m.Text, "gemengde") {
		t.Fatalf("teacher does not see the whole thread: %q", m.Text)
	}
	s.answer("bakker", got, "Ja, eerst omzetten naar een breuk.")
	s.press("anna", "thanks")
	if s.q(q.ID).Status != Closed || !strings.Contains(s.text("bakker"), "bedankt") {
		t.Fatalf("thanks: %+v / %q", s.q(q.ID), s.text("bakker"))
	}
}

func TestWithdraw(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	s.pressIn("anna", s.last("anna"), "withdraw", "")
	if s.q(q.ID).Status != Withdrawn || len(s.timers) != 0 {
		t.Fatalf("withdrawn: %+v, timers %v", s.q(q.ID), s.timers)
	}
	if !strings.Contains(s.text("bakker"), q.ID) || strings.Contains(s.text("bakker"), "Anna") {
		t.Fatalf("teacher told %q", s.text("bakker"))
	}
	// Someone else's question can't be withdrawn.
	q2 := s.ask("anna", "Nog een vraag over breuken", "wiskunde", true)
	s.step("daan", dialog.Input{Kind: dialog.Choice, Action: Name + ".withdraw", Value: join(q2)})
	if s.q(q2.ID).Status != Open || s.text("daan") != s.T("daan", "ask.not_yours") {
		t.Fatal("a classmate withdrew the question")
	}
}

func TestOnlyTheRoutedStaffSeeAndAct(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	n := len(s.out)
	s.answer("devries", q, "Ik weet het")
	s.step("devries", dialog.Input{Kind: dialog.Choice, Action: Name + ".reply", Value: join(q)})
	s.step("devries", dialog.Input{Kind: dialog.Command, Command: CmdQuestions})
	for _, m := range s.out[n:] {
		if strings.Contains(m.Text, "Hoe deel je breuken?") {
			t.Fatalf("someone it is not routed to saw the question: %+v", m)
		}
	}
	if s.q(q.ID).Status != Open {
		t.Fatal("someone else answered")
	}
}

func TestHandToAColleague(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Wanneer was de Vrede van Münster?", "wiskunde", true)
	note := s.last("bakker")
	s.pressIn("bakker", note, "hand", "")
	s.offline["devries"] = true
	s.pressIn("bakker", s.last("bakker"), "handto", "Dhr. De Vries")
	if s.q(q.ID).To != "bakker" || !strings.Contains(s.text("bakker"), "Dhr. De Vries") {
		t.Fatalf("handed to an unreachable colleague: %+v", s.q(q.ID))
	}
	delete(s.offline, "devries")
	s.pressIn("bakker", note, "hand", "")
	s.pressIn("bakker", s.last("bakker"), "handto", "Dhr. De Vries")
	if s.q(q.ID).To != "devries" {
		t.Fatalf("question with %q", s.q(q.ID).To)
	}
	if !strings.Contains(s.text("devries"), "Münster") || !strings.Contains(s.text("anna"), "Dhr. De Vries") {
		t.Fatal("colleague or pupil not told")
	}
	s.answer("bakker", q, "te laat")
	if s.q(q.ID).Status != Open {
		t.Fatal("the teacher who handed it on could still answer")
	}
}

func TestEmptyOversizedAndAlertingQuestions(t *testing.T) {
	s := newSim(t)
	s.step("anna", dialog.Input{Kind: dialog.Command, Command: CmdAsk, Args: map[string]string{"question": "   "}})
	m := s.last("anna")
	if !strings.Contains(m.Text, "/vraag") || len(m.Choices) != 1 || m.Choices[0].Action != Name+".new" {
		t.Fatalf("empty question: %+v", m)
	}
	s.step("anna", dialog.Input{Kind: dialog.Command, Command: CmdAsk, Args: map[string]string{"question": strings.Repeat("a", MaxQuestion+1)}})
	if !strings.Contains(s.text("anna"), "1001") || len(s.shared) != 0 {
		t.Fatalf("oversized question: %q, stored %v", s.text("anna"), s.shared)
	}
	// The button: type the question.
	s.pressIn("anna", m, "new", "")
	if !s.listen["anna"] {
		t.Fatal("not listening after 'ask a question'")
	}
	s.step("anna", dialog.Input{Kind: dialog.Text, Text: "Ik word gepest in de pauze, wat moet ik doen?"})
	alerted := map[string]bool{}
	for _, m := range s.out {
		if m.Staff && strings.Contains(m.Text, "gepest") && strings.Contains(m.Text, "Anna de Boer") {
			alerted[m.To.Person] = true
		}
	}
	if !alerted["devries"] || !alerted["mulder"] {
		t.Fatalf("alert went to %v, want mentor and care", alerted)
	}
	if !strings.Contains(s.text("anna"), "gepest") || len(s.last("anna").Choices) != 4 {
		t.Fatalf("the question was not kept for its subject: %+v", s.last("anna"))
	}
	// Text shown to others is escaped.
	s2 := newSim(t)
	s2.ask("anna", "*vet* @everyone <!channel>", "wiskunde", true)
	if strings.Contains(s2.last("bakker").Text, "@everyone <!channel>") && !strings.Contains(s2.last("bakker").Text, chat.Literal("*vet* @everyone <!channel>")) {
		t.Fatalf("unescaped: %q", s2.last("bakker").Text)
	}
}

func TestReminderAndEscalationInSchoolTimeAcrossAWeekend(t *testing.T) {
	s := newSim(t)
	loc := s.now.Location()
	s.now = time.Date(2026, 11, 27, 14, 0, 0, 0, loc) // Friday 14:00
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	remind := s.timers["anna|remind:"+q.ID].At
	escalate := s.timers["anna|escalate:"+q.ID].At
	// 2.5 school hours on Friday, then Monday 08:30 + 1.5h.
	if want := time.Date(2026, 11, 30, 10, 0, 0, 0, loc); !remind.Equal(want) {
		t.Fatalf("reminder at %v, want %v", remind, want)
	}
	if want := time.Date(2026, 11, 30, 14, 0, 0, 0, loc); !escalate.Equal(want) {
		t.Fatalf("escalation at %v, want %v", escalate, want)
	}
	n := len(s.to("bakker"))
	s.advance(time.Date(2026, 11, 30, 9, 59, 0, 0, loc))
	if len(s.to("bakker")) != n {
		t.Fatal("reminded over the weekend")
	}
	s.advance(time.Date(2026, 11, 30, 10, 0, 0, 0, loc))
	if got := s.text("bakker"); !strings.HasPrefix(got, s.T("bakker", "ask.reminder", "Code", q.ID, "Hours", "4 schooluur", "Subject", chat.Literal("wiskunde"))) {
		t.Fatalf("reminder = %q", got)
	}
	s.advance(time.Date(2026, 11, 30, 14, 0, 0, 0, loc))
	if s.q(q.ID).Escalated != "devries" || !strings.Contains(s.text("devries"), "Hoe deel je breuken?") {
		t.Fatalf("not escalated: %+v", s.q(q.ID))
	}
	if !strings.Contains(s.text("anna"), "Dhr. De Vries") {
		t.Fatalf("pupil not told of the escalation: %q", s.text("anna"))
	}
	// The mentor may answer now.
	s.answer("devries", q, "Omkeren en vermenigvuldigen.")
	if s.q(q.ID).Status != Answered {
		t.Fatal("the escalated mentor could not answer")
	}
}

func TestReminderSkipsAHoliday(t *testing.T) {
	s := newSim(t)
	loc := s.now.Location()
	s.now = time.Date(2026, 12, 18, 15, 30, 0, 0, loc) // Friday before the Christmas holiday
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	if got, want := s.timers["anna|remind:"+q.ID].At, time.Date(2027, 1, 4, 11, 30, 0, 0, loc); !got.Equal(want) {
		t.Fatalf("reminder at %v, want %v (after the holiday)", got, want)
	}
}

func TestTeacherWhoLeftTheRosterIsReplaced(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	// Bakker leaves: the roster is reloaded without her.
	var people []*config.Person
	for _, p := range s.school.People {
		if p.ID != "bakker" {
			people = append(people, p)
		}
	}
	s.school.People = people
	if err := s.school.Prepare(); err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(22 * time.Hour)
	s.step("@2B", dialog.Input{Kind: dialog.Start, Job: JobSweep})
	if got := s.q(q.ID); got.To != "devries" || got.Status != Open {
		t.Fatalf("question = %+v, want re-routed to the mentor", got)
	}
	if !strings.Contains(s.text("devries"), "Hoe deel je breuken?") || !strings.Contains(s.text("anna"), "Dhr. De Vries") {
		t.Fatal("mentor or pupil not told")
	}
}

func TestDraftWithoutSubjectIsSentByTheSweep(t *testing.T) {
	s := newSim(t)
	s.step("anna", dialog.Input{Kind: dialog.Command, Command: CmdAsk, Args: map[string]string{"question": "Hoe deel je breuken?"}})
	s.now = s.now.Add(2 * time.Hour)
	s.step("@2B", dialog.Input{Kind: dialog.Start, Job: JobSweep})
	for _, q := range questions(*s.rec(ref("2B"))) {
		if q.Status != Draft {
			t.Fatalf("a young draft was sent: %+v", q)
		}
	}
	s.now = s.now.Add(24 * time.Hour)
	s.step("@2B", dialog.Input{Kind: dialog.Start, Job: JobSweep})
	for _, q := range questions(*s.rec(ref("2B"))) {
		if q.Status != Open || q.To != "devries" {
			t.Fatalf("the old draft: %+v, want sent to the mentor", q)
		}
	}
}

func TestQueueAndStatus(t *testing.T) {
	s := newSim(t)
	a := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	s.now = s.now.Add(2 * time.Hour)
	d := s.ask("daan", "Wat is de stelling van Pythagoras?", "wiskunde", false)
	s.now = s.now.Add(time.Hour)
	s.ask("sanne", "Wanneer was de Vrede van Münster?", "geschiedenis", true)
	audits := len(s.audits)
	s.step("bakker", dialog.Input{Kind: dialog.Command, Command: CmdQuestions})
	ms := s.to("bakker")
	ms = ms[len(ms)-3:]
	if !strings.Contains(ms[0].Text, "2") || !strings.Contains(ms[1].Text, a.ID) || !strings.Contains(ms[1].Text, "3 schooluur") || !strings.Contains(ms[2].Text, d.ID) {
		t.Fatalf("queue = %q / %q / %q", ms[0].Text, ms[1].Text, ms[2].Text)
	}
	if len(s.audits) != audits+2 {
		t.Fatalf("queue reads audited %d times, want 2", len(s.audits)-audits)
	}
	s.answer("bakker", d, "a² + b² = c²")
	s.step("anna", dialog.Input{Kind: dialog.Command, Command: CmdQuestions})
	st := s.text("anna")
	if !strings.Contains(st, s.T("anna", "ask.status_waiting", "Who", "Mevr. Bakker")) || strings.Contains(st, "Pythagoras") {
		t.Fatalf("pupil status = %q", st)
	}
	s.step("daan", dialog.Input{Kind: dialog.Command, Command: CmdQuestions})
	if !strings.Contains(s.text("daan"), s.T("daan", "ask.status_answered", "Who", "Mevr. Bakker")) {
		t.Fatalf("daan status = %q", s.text("daan"))
	}
}

func TestRevealNeedsCareOrAdminAndAReason(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	spec := New().Commands()[2]
	for id, want := range map[string]bool{"bakker": false, "devries": false, "mulder": true, "elamrani": true, "anna": false} {
		if spec.Allowed(s.person(id)) != want {
			t.Fatalf("%s may reveal: %v", id, !want)
		}
	}
	audits := len(s.audits)
	s.step("mulder", dialog.Input{Kind: dialog.Command, Command: CmdReveal, Args: map[string]string{"question": q.ID, "reason": "kort"}})
	if strings.Contains(s.text("mulder"), "Anna") || len(s.audits) != audits {
		t.Fatal("revealed without a proper reason")
	}
	s.step("mulder", dialog.Input{Kind: dialog.Command, Command: CmdReveal, Args: map[string]string{"question": strings.ToUpper(q.ID), "reason": "zorgen over de veiligheid van de leerling"}})
	if !strings.Contains(s.text("mulder"), "Anna de Boer") || !s.last("mulder").Staff {
		t.Fatalf("reveal = %+v", s.last("mulder"))
	}
	got := s.audits[len(s.audits)-1]
	if got.Action != "question.reveal" || got.Actor != "mulder" || got.Subject != "anna" || !strings.Contains(got.Detail, "veiligheid") {
		t.Fatalf("audit = %+v", got)
	}
}

func TestTakeQuestionFromAnotherDialog(t *testing.T) {
	s := newSim(t)
	in := dialog.Input{Kind: dialog.Text, Event: "checkin-ev", Now: s.now, School: s.school, Person: s.person("daan"),
		L: s.cat.For("nl"), Caps: chat.Capabilities{Buttons: true},
		Alerts: func(string) []string { t.Fatal("alert checked twice"); return nil }}
	res := New().TakeQuestion(in, "Ik snap breuken niet zo goed", "checkin")
	for _, ef := range res.Effects {
		s.apply("daan", ef)
	}
	s.out = append(s.out, res.Messages...)
	if len(s.last("daan").Choices) != 4 {
		t.Fatalf("no subject choice: %+v", s.last("daan"))
	}
	s.pressIn("daan", s.last("daan"), "subject", "wiskunde")
	s.pressIn("daan", s.last("daan"), "anon", s.T("daan", "ask.anon_yes"))
	if !strings.Contains(s.text("bakker"), "Ik snap breuken niet zo goed") {
		t.Fatalf("teacher got %q", s.text("bakker"))
	}
}

func TestStatusOffersTheSubjectOfAnUnsentQuestionAgain(t *testing.T) {
	s := newSim(t)
	s.step("anna", dialog.Input{Kind: dialog.Command, Command: CmdAsk, Args: map[string]string{"question": "Hoe deel je breuken?"}})
	s.step("anna", dialog.Input{Kind: dialog.Command, Command: CmdQuestions})
	ms := s.to("anna")
	if !strings.Contains(chat.Plain(ms[len(ms)-2].Text), s.T("anna", "ask.status_draft")) || len(s.last("anna").Choices) != 4 {
		t.Fatalf("status = %q, then %+v", ms[len(ms)-2].Text, s.last("anna"))
	}
	s.pressIn("anna", s.last("anna"), "subject", "wiskunde")
	s.pressIn("anna", s.last("anna"), "anon", s.T("anna", "ask.anon_yes"))
	if !strings.Contains(s.text("bakker"), "Hoe deel je breuken?") {
		t.Fatal("the draft was not sent after choosing its subject from the status")
	}
}

func TestEscalationPastTheMentorGoesToCare(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Ik weet niet bij wie ik moet zijn", "", true)
	if q.To != "devries" {
		t.Fatalf("routed to %s", q.To)
	}
	s.advance(s.now.Add(3 * 24 * time.Hour))
	if got := s.q(q.ID); got.Escalated != "mulder" || !strings.Contains(s.text("mulder"), "Ik weet niet bij wie") {
		t.Fatalf("escalated to %q", got.Escalated)
	}
	if n := len(s.to("elamrani")); n != 0 {
		t.Fatalf("admin got %d messages", n)
	}
}

func TestThePupilKeepsACopyThatFollowsTheQuestion(t *testing.T) {
	s := newSim(t)
	q := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	c := s.copies["anna|"+q.ID]
	if c.Status != Open || c.Text != "Hoe deel je breuken?" || c.Subject != "wiskunde" || c.To != "bakker" || !c.Anon || c.Class != "2B" || !c.Created.Equal(q.Created) {
		t.Fatalf("copy = %+v, want the open question", c)
	}
	s.answer("bakker", q, "Omkeren en vermenigvuldigen.")
	if c := s.copies["anna|"+q.ID]; c.Status != Answered || c.Waiting() {
		t.Fatalf("copy after the answer = %+v", c)
	}
	// The sweep drops the class's copy after a month; the pupil's stays (until retention).
	s.now = s.now.Add(KeepFinished + 24*time.Hour)
	s.step("@2B", dialog.Input{Kind: dialog.Start, Job: JobSweep})
	if questions(*s.rec(ref("2B")))[q.ID] != nil || s.copies["anna|"+q.ID].Status != Answered {
		t.Fatal("the sweep should drop the class's record and leave the pupil's copy")
	}
	for k := range s.copies {
		if !strings.HasPrefix(k, "anna|") {
			t.Fatalf("copy %s under someone else", k)
		}
	}
}

func TestSweepDropsFinishedQuestionsAfterAMonth(t *testing.T) {
	s := newSim(t)
	done := s.ask("anna", "Hoe deel je breuken?", "wiskunde", true)
	s.answer("bakker", done, "Omkeren en vermenigvuldigen.")
	open := s.ask("daan", "Wat is de stelling van Pythagoras?", "wiskunde", true)
	s.now = s.now.Add(KeepFinished + 24*time.Hour)
	s.step("@2B", dialog.Input{Kind: dialog.Start, Job: JobSweep})
	qs := questions(*s.rec(ref("2B")))
	if qs[done.ID] != nil || qs[open.ID] == nil {
		t.Fatalf("after the sweep: answered kept %v, open kept %v", qs[done.ID] != nil, qs[open.ID] != nil)
	}
}
