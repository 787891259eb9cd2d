// Package ask is pupils' questions to their teachers. A pupil asks privately (/vraag,
// a button, the inbox's "it's a question" or the check-in's help question), picks the
// subject and whether to ask anonymously; the question goes to that subject's teacher,
// or the mentor, and never to someone Kring cannot reach: then the next in line (mentor,
// care, admin) gets it and the pupil is told who. The teacher answers with one action;
// the answer reaches every pupil whose question was grouped with it as nearly the same
// (Similarity); the teacher may publish the question and answer to the class, under the
// question's pseudonym. School-time timers remind the teacher and escalate to the
// mentor, a daily sweep re-routes questions of people who left the roster, and the pupil
// sees where each question stands with /vragen.
//
// Privacy: a question's words reach only the asker, the person it is routed to and,
// once escalated, the one it was escalated to; every such staff read is audited. Only
// care and admin can reveal who asked an anonymous question, with a reason, audited.
// Classmates see a pseudonym per question and nothing that counts, times or orders
// the askers.
package ask

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/prompt"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
)

// Name is the dialog's name, the prefix of its actions and its record kind.
const Name = "ask"

// Limits, in characters (runes).
const (
	MaxQuestion = 1000
	MaxAnswer   = 2000
	// MaxHandedOver is the longest text another dialog may hand over as a question
	// (the inbox keeps up to 4000 characters): words a pupil already wrote are not
	// refused for their length.
	MaxHandedOver = 4000
	// MinReason is the shortest reason accepted for revealing who asked.
	MinReason = 10
	// MaxQueue is how many questions one /questions shows a teacher at once.
	MaxQueue = 10
	// DraftAfter is how much school time a question may wait for its subject before
	// the daily sweep sends it to the mentor as it is, so no draft is forgotten.
	DraftAfter = 8 * time.Hour
	// KeepFinished is how long an answered, closed or withdrawn question stays in its
	// class record (and in the pupil's /questions) before the morning sweep drops it:
	// every step on a class reads the whole record, and pupils' words are kept no longer
	// than useful. Never longer than the school's retention.
	KeepFinished = 30 * 24 * time.Hour
)

// FormField is the id of the answer form's one field.
const FormField = "answer"

// The canonical command names.
const (
	CmdAsk       = "ask"
	CmdQuestions = "questions"
	CmdReveal    = "reveal"
)

// JobSweep is the daily per-class job that re-routes and tidies questions.
const JobSweep = "sweep"

// Dialog is the questions dialog. It holds no state and is safe for concurrent use.
type Dialog struct {
	guard safeguard.Cache
	// AfterAnswer, if set, adds buttons to the teacher's "your answer was sent" message:
	// the hook for saving a question and its answer to the class word list (issue 10).
	// The buttons' actions belong to the dialog that handles them.
	AfterAnswer func(in dialog.Input, q Question) []chat.Choice
}

// New returns the questions dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog.
func (*Dialog) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{
		{Name: CmdAsk, Roles: []config.Role{config.Pupil}, Options: []dialog.OptionSpec{{Name: "question", Kind: dialog.OptText}}},
		{Name: CmdQuestions},
		{Name: CmdReveal, Roles: []config.Role{config.Care, config.Admin}, Options: []dialog.OptionSpec{
			{Name: "question", Kind: dialog.OptText, Required: true}, {Name: "reason", Kind: dialog.OptText}}},
	}
}

// Records implements dialog.Recorder: one shared record per class holds its questions,
// and each pupil keeps a copy of theirs (record.KindQuestion) for the mentor's digest,
// the period report, export and erase, after the class record has let it go.
func (*Dialog) Records() []record.Kind {
	return []record.Kind{{Name: Name, Key: "ask:{id}", Shape: record.SharedRecord, Owners: record.OwnedByMembers,
		PupilWords: true, Readers: []string{"the teacher it is routed to", "the mentor (escalated)", "care and admin: who asked, with a reason (audited)"}},
		record.QuestionKind()}
}

// Jobs implements dialog.Scheduled: each school morning, with the check-in, the class's
// questions are checked (see sweep).
func (*Dialog) Jobs(c *config.Class) []dialog.Job {
	return []dialog.Job{{Name: JobSweep, At: c.Schedule.CheckIn, Kind: dialog.Start, PerClass: true}}
}

// Reads implements dialog.Reader: the class named by the button, form or timer;
// otherwise the person's own class, or for staff every class they work with.
func (*Dialog) Reads(in dialog.Input) []dialog.Ref {
	if in.Kind == dialog.Choice && in.Action == Name+".new" {
		return nil
	}
	if c, _, _ := split(eventRef(in)); c != "" {
		return []dialog.Ref{ref(c)}
	}
	if in.Person == nil || (in.Kind == dialog.Command && in.Command == CmdAsk) {
		// A new question is a new field of its class record, written without reading
		// the others: thirty pupils asking at once never conflict.
		return nil
	}
	if c, ok := config.IsClassActor(in.Person.ID); ok {
		return []dialog.Ref{ref(c)}
	}
	if in.Person.Has(config.Pupil) {
		if c := in.Person.Class(); c != "" {
			return []dialog.Ref{ref(c)}
		}
		return nil
	}
	var out []dialog.Ref
	for _, c := range staffClasses(in.School, in.Person) {
		out = append(out, ref(c))
	}
	return out
}

// staffClasses are the classes whose questions may concern staff member p: every class
// for care and admin; else those p teaches, belongs to or mentors pupils of.
func staffClasses(s *config.School, p *config.Person) []string {
	var out []string
	for _, c := range s.Classes {
		related := p.Has(config.Care) || p.Has(config.Admin) || c.Teaches(p) || p.InClass(c.ID)
		if !related {
			for _, m := range s.Mentees(p.ID) {
				related = related || m.InClass(c.ID)
			}
		}
		if related {
			out = append(out, c.ID)
		}
	}
	return out
}

// eventRef is the "CLASS:QUESTION[:ARG]" an input carries: a button's value, a form's
// action suffix, a timer's payload.
func eventRef(in dialog.Input) string {
	switch in.Kind {
	case dialog.Choice:
		return in.Value
	case dialog.Form:
		_, r, _ := strings.Cut(in.Action, ":")
		return r
	case dialog.Wake:
		return in.Payload
	}
	return ""
}

func split(s string) (class, id, arg string) {
	parts := strings.SplitN(s, ":", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
}

func join(q *Question, arg ...string) string {
	return strings.Join(append([]string{q.Class, q.ID}, arg...), ":")
}

// The modes of a person's conversation with this dialog.
const (
	modeTyping   = "typing"   // a pupil types a new question
	modeFollowUp = "followup" // a pupil types a follow-up question
	modeAnswer   = "answer"   // a teacher types an answer (platforms without forms)
)

type state struct {
	Mode string `json:"mode,omitempty"`
	// Ref is the question ("CLASS:ID") a follow-up or answer is for.
	Ref string `json:"ref,omitempty"`
}

type turn struct {
	d     *Dialog
	in    dialog.Input
	res   dialog.Result
	st    state
	qs    map[string]map[string]*Question
	dirty map[*Question]bool
	// checked is set when the caller already checked the pupil's words for alerts.
	checked bool
	// max is the longest question this step accepts.
	max int
}

func newTurn(d *Dialog, in dialog.Input) *turn {
	return &turn{d: d, in: in, qs: map[string]map[string]*Question{}, dirty: map[*Question]bool{}, max: MaxQuestion}
}

// Step implements dialog.Dialog.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	t := newTurn(d, in)
	if len(in.State) > 0 {
		_ = json.Unmarshal(in.State, &t.st)
	}
	before := t.st
	switch in.Kind {
	case dialog.Command:
		switch in.Command {
		case CmdAsk:
			t.ask(in.Args["question"], "ask")
		case CmdQuestions:
			t.list()
		case CmdReveal:
			t.reveal()
		}
	case dialog.Choice:
		t.choice()
	case dialog.Form:
		_, id, _ := split(eventRef(in))
		c, _, _ := split(eventRef(in))
		t.answer(t.get(c, id), in.Fields[FormField])
	case dialog.Text:
		t.text()
	case dialog.Wake:
		t.wake()
	case dialog.Start:
		t.sweep()
	}
	t.flush()
	switch {
	case t.st.Mode != "":
		doc, err := json.Marshal(t.st)
		if err != nil {
			return dialog.Result{}, err
		}
		t.res.State, t.res.Listen = doc, true
		t.res.Topic = in.L.T("ask.topic." + t.st.Mode)
		// A new question typed needs no record (see Reads); a follow-up or an answer
		// needs its question's.
		if c, _, _ := split(t.st.Ref); c != "" {
			t.res.ListenRefs = []dialog.Ref{ref(c)}
		}
	case before.Mode != "":
		t.res.Clear = true
	}
	return t.res, nil
}

// TakeQuestion implements dialog.Asker: a pupil's words from another dialog become a
// draft question, and the pupil is asked its subject. The caller has checked the words
// for safeguarding phrases already.
func (d *Dialog) TakeQuestion(in dialog.Input, text, source string) dialog.Result {
	t := newTurn(d, in)
	t.checked, t.max = true, MaxHandedOver
	t.ask(text, source)
	t.flush()
	return t.res
}

// class returns the questions of class c as this step read them.
func (t *turn) class(c string) map[string]*Question {
	if qs, ok := t.qs[c]; ok {
		return qs
	}
	qs := questions(t.in.Record(ref(c)))
	t.qs[c] = qs
	return qs
}

func (t *turn) get(c, id string) *Question {
	if c == "" || id == "" {
		return nil
	}
	return t.class(c)[id]
}

// put marks q to be written at the end of the step.
func (t *turn) put(q *Question) {
	qs := t.class(q.Class)
	qs[q.ID] = q
	t.dirty[q] = true
}

// flush writes every changed question of the step, one versioned write per class.
func (t *turn) flush() {
	byClass := map[string]map[string]string{}
	for q := range t.dirty {
		if q.Status != Draft {
			t.effect(dialog.Put{Kind: record.KindQuestion, Owner: q.Asker, ID: q.ID, Score: float64(q.Created.UnixMilli()),
				Doc: record.Question{ID: q.ID, Person: q.Asker, Class: q.Class, Subject: q.Subject, To: q.To, Text: q.Text(),
					Anon: q.Anon, Status: q.Status, Created: q.Created, Updated: t.in.Now}})
		}
		doc, _ := json.Marshal(q)
		if byClass[q.Class] == nil {
			byClass[q.Class] = map[string]string{}
		}
		byClass[q.Class][field(q.ID)] = string(doc)
	}
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		t.effect(dialog.SetShared{Ref: ref(c), Fields: byClass[c]})
	}
	t.dirty = map[*Question]bool{}
}

func (t *turn) effect(e dialog.Effect) { t.res.Effects = append(t.res.Effects, e) }

func (t *turn) to(person, text string) *chat.Message {
	t.res.Messages = append(t.res.Messages, chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: person}, Text: text})
	return &t.res.Messages[len(t.res.Messages)-1]
}

func (t *turn) say(key string, kv ...any) *chat.Message {
	return t.to(t.in.Person.ID, t.in.L.T(key, kv...))
}

func (t *turn) me() string { return t.in.Person.ID }

func (t *turn) name(id string) string {
	if p, ok := t.in.School.Person(id); ok {
		return p.Name
	}
	return id
}

func short(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// ask starts a question from text: checked, kept as a draft, and the pupil is asked
// its subject. It reports whether the question was taken.
func (t *turn) ask(text, source string) bool {
	p := t.in.Person
	if !p.Has(config.Pupil) {
		t.say("ask.only_pupils")
		return false
	}
	c, ok := t.in.School.Class(p.Class())
	if !ok {
		t.say("ask.no_class")
		return false
	}
	s, problem, n := prompt.Text(text, t.max)
	switch problem {
	case prompt.Empty:
		m := t.say("ask.empty", "Command", t.in.L.T("cmd.ask.name"))
		m.Choices = []chat.Choice{newChoice(t.in.L)}
		return false
	case prompt.TooLong:
		t.say("ask.too_long", "Len", n, "Max", t.max)
		return false
	}
	t.alert(s)
	q := &Question{ID: newID(t.in.Event + "|" + source), Asker: p.ID, Class: c.ID, Status: Draft, Source: source,
		Created: t.in.Now, Anon: true, Thread: []Entry{{Text: s}}}
	t.put(q)
	// Lists the record under the pupil for export and erase.
	t.effect(dialog.SetMember{Ref: ref(c.ID), Member: p.ID, Value: "1"})
	t.offerSubjects(q, c)
	return true
}

func newChoice(L *i18n.Localizer) chat.Choice {
	return chat.Choice{Action: Name + ".new", Value: "new", Label: L.T("ask.new_button")}
}

func subjects(c *config.Class) []string {
	out := make([]string, 0, len(c.Subjects))
	for s := range c.Subjects {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (t *turn) offerSubjects(q *Question, c *config.Class) {
	subs := subjects(c)
	if len(subs) == 0 {
		t.offerAnon(q)
		return
	}
	var choices []chat.Choice
	for i, s := range subs {
		choices = append(choices, chat.Choice{Action: Name + ".subject", Value: join(q, strconv.Itoa(i)), Label: s})
	}
	choices = append(choices, chat.Choice{Action: Name + ".subject", Value: join(q, "-"), Label: t.in.L.T("ask.subject_unknown")})
	t.res.Messages = append(t.res.Messages, prompt.Ask(t.me(), t.in.L.T("ask.which_subject", "Question", chat.Literal(short(q.Text(), 80))), choices, t.in.Caps))
}

func (t *turn) offerAnon(q *Question) {
	key := "ask.anon_hidden"
	if t.in.School.Policy.TeacherSeesAnonymousName {
		key = "ask.anon_shown"
	}
	choices := []chat.Choice{
		{Action: Name + ".anon", Value: join(q, "1"), Label: t.in.L.T("ask.anon_yes"), Style: "primary"},
		{Action: Name + ".anon", Value: join(q, "0"), Label: t.in.L.T("ask.anon_no")},
	}
	t.res.Messages = append(t.res.Messages, prompt.Ask(t.me(), t.in.L.T("ask.anon", "Note", t.in.L.T(key)), choices, t.in.Caps))
}

func (t *turn) choice() {
	action := strings.TrimPrefix(t.in.Action, Name+".")
	if action == "new" {
		if !t.in.Person.Has(config.Pupil) {
			t.say("ask.only_pupils")
			return
		}
		t.st = state{Mode: modeTyping}
		t.say("ask.type_question", "Max", MaxQuestion)
		return
	}
	c, id, arg := split(t.in.Value)
	q := t.get(c, id)
	if q == nil {
		t.say("ask.gone")
		return
	}
	switch action {
	case "subject", "anon", "withdraw", "thanks", "followup":
		if q.Asker != t.me() {
			t.say("ask.not_yours")
			return
		}
	case "reply", "publish", "split", "hand", "handto":
		if !q.Sees(t.me()) {
			t.say("ask.not_yours")
			return
		}
	}
	switch action {
	case "subject":
		if q.Status != Draft {
			t.say("ask.already_sent", "Who", chat.Literal(t.name(q.To)))
			return
		}
		cl, _ := t.in.School.Class(q.Class)
		q.Subject = ""
		if i, err := strconv.Atoi(arg); err == nil && cl != nil && i >= 0 && i < len(subjects(cl)) {
			q.Subject = subjects(cl)[i]
		}
		t.put(q)
		t.offerAnon(q)
	case "anon":
		if q.Status != Draft {
			t.say("ask.already_sent", "Who", chat.Literal(t.name(q.To)))
			return
		}
		q.Anon = arg != "0"
		t.route(q, routeNew, "")
	case "withdraw":
		t.withdraw(q)
	case "thanks":
		t.thanks(q)
	case "followup":
		if q.Status != Answered && q.Status != Closed {
			t.say("ask.no_followup_yet")
			return
		}
		t.st = state{Mode: modeFollowUp, Ref: join(q)}
		t.say("ask.type_followup", "Question", chat.Literal(short(q.Last(), 80)))
	case "reply":
		t.openAnswer(q)
	case "publish":
		t.publish(q)
	case "split":
		t.split(q)
	case "hand":
		t.offerColleagues(q)
	case "handto":
		t.handTo(q, arg)
	default:
		t.say("ask.gone")
	}
}

// text is typed text while this dialog listens: a new question, a follow-up or an
// answer typed where the platform has no forms.
func (t *turn) text() {
	switch t.st.Mode {
	case modeTyping:
		if t.ask(t.in.Text, "ask") {
			t.st = state{}
		}
	case modeFollowUp:
		c, id, _ := split(t.st.Ref)
		t.followUp(t.get(c, id))
	case modeAnswer:
		c, id, _ := split(t.st.Ref)
		if t.answer(t.get(c, id), t.in.Text) {
			t.st = state{}
		}
	default:
		t.say("ask.gone")
	}
}

// The reasons a question is routed.
const (
	routeNew      = "new"
	routeReroute  = "reroute"
	routeFollowUp = "followup"
	routeDraft    = "draft"
)

// line is who may answer q, first choice first: the subject's teacher, the mentor,
// then the school's care contacts and admins. noTeacher is set when the pupil chose a
// subject that has no teacher on the roster.
func (t *turn) line(q *Question) (line []*config.Person, noTeacher bool) {
	seen := map[string]bool{q.Asker: true}
	add := func(p *config.Person) {
		if p != nil && !seen[p.ID] {
			seen[p.ID] = true
			line = append(line, p)
		}
	}
	if q.Subject != "" {
		c, _ := t.in.School.Class(q.Class)
		var id string
		if c != nil {
			id = c.Subjects[q.Subject]
		}
		if p, ok := t.in.School.Person(id); ok && p.Has(config.Teacher) {
			add(p)
		} else {
			noTeacher = true
		}
	}
	if asker, ok := t.in.School.Person(q.Asker); ok {
		if m, ok := t.in.School.Person(asker.Mentor); ok {
			add(m)
		}
	}
	for _, r := range []config.Role{config.Care, config.Admin} {
		for _, p := range t.in.School.People {
			if p.Has(r) {
				add(p)
			}
		}
	}
	return line, noTeacher
}

// reachable reports whether staff member id is on the roster and can be reached.
func (t *turn) reachable(id string) bool {
	p, ok := t.in.School.Person(id)
	return ok && !p.Has(config.Pupil) && t.in.CanReach(id)
}

// route sends q to the first reachable person in its line and tells the pupil, in
// their own language, truthfully who answers and who was skipped.
func (t *turn) route(q *Question, why, except string) {
	line, noTeacher := t.line(q)
	var to *config.Person
	var skipped []string
	for _, p := range line {
		if p.ID == except {
			continue
		}
		if t.reachable(p.ID) {
			to = p
			break
		}
		skipped = append(skipped, p.Name)
	}
	L := t.in.For(q.Asker)
	var b []string
	if noTeacher {
		b = append(b, L.T("ask.no_teacher", "Subject", chat.Literal(q.Subject)))
	}
	if len(skipped) > 0 {
		b = append(b, L.T("ask.skipped", "Names", chat.Literal(strings.Join(skipped, ", "))))
	}
	if to == nil {
		q.Status, q.To = Open, ""
		t.put(q)
		b = append(b, L.T("ask.nobody"))
		t.to(q.Asker, strings.Join(b, "\n"))
		return
	}
	prev := q.To
	q.Status, q.To, q.Routed = Open, to.ID, t.in.Now
	if q.Escalated == to.ID {
		q.Escalated = ""
	}
	key := "ask.to_staff"
	switch why {
	case routeNew, routeDraft:
		if lead := t.similar(q); lead != nil {
			q.Group = lead.ID
			key = "ask.to_staff_grouped"
		}
	case routeReroute:
		key = "ask.to_staff_rerouted"
	}
	t.put(q)
	t.notify(q, to.ID, key, skipped)
	t.arm(q)
	pkey := map[string]string{routeNew: "ask.sent", routeDraft: "ask.sent_draft", routeReroute: "ask.sent_rerouted", routeFollowUp: "ask.followup_sent"}[why]
	b = append(b, L.T(pkey, "Who", chat.Literal(to.Name), "Question", chat.Literal(short(q.Last(), 80)), "Before", chat.Literal(t.name(prev))))
	m := t.to(q.Asker, strings.Join(b, "\n"))
	if why == routeNew {
		m.Choices = []chat.Choice{{Action: Name + ".withdraw", Value: join(q), Label: L.T("ask.withdraw_button")}}
	}
}

// similar is the open question for the same person in q's class that q is nearly the
// same as (the most similar one), so one answer can reach both; nil when none is.
func (t *turn) similar(q *Question) *Question {
	var best *Question
	bestScore := Similar
	for _, o := range sorted(t.class(q.Class)) {
		if o.ID == q.ID || !o.Waiting() || o.To != q.To || o.Group != "" || o.Asker == q.Asker {
			continue
		}
		if s := Similarity(o.Last(), q.Last()); s >= bestScore {
			best, bestScore = o, s
		}
	}
	return best
}

// who is how staff member L's reader sees the asker of q: the name, or the question's
// pseudonym when the pupil asked anonymously and the class policy hides it.
func (t *turn) who(L *i18n.Localizer, q *Question) string {
	if !q.Anon || t.in.School.Policy.TeacherSeesAnonymousName {
		if p, ok := t.in.School.Person(q.Asker); ok {
			return L.T("ask.who_named", "Name", chat.Literal(p.Name), "Class", chat.Literal(t.className(q.Class)))
		}
	}
	return L.T("ask.who_alias", "Alias", Alias(L, q.ID), "Class", chat.Literal(t.className(q.Class)))
}

func (t *turn) className(id string) string {
	if c, ok := t.in.School.Class(id); ok && c.Name != "" {
		return c.Name
	}
	return id
}

func (t *turn) subjectLabel(L *i18n.Localizer, q *Question) string {
	if q.Subject == "" {
		return L.T("ask.subject_none")
	}
	return chat.Literal(q.Subject)
}

// thread renders q's questions and answers for reader L; pupil entries are labelled
// with who (a name or the pseudonym).
func (t *turn) thread(L *i18n.Localizer, q *Question, who string) string {
	lines := make([]string, 0, len(q.Thread))
	for _, e := range q.Thread {
		if e.By == "" {
			lines = append(lines, L.T("ask.line_pupil", "Who", who, "Text", chat.Literal(e.Text)))
		} else {
			lines = append(lines, L.T("ask.line_staff", "Who", chat.Literal(t.name(e.By)), "Text", chat.Literal(e.Text)))
		}
	}
	return strings.Join(lines, "\n")
}

// hours is how long q has waited since it was asked, in whole school hours: coarse
// on purpose, so it cannot be matched to a moment in a lesson.
func (t *turn) hours(q *Question) int {
	c, ok := t.in.School.Class(q.Class)
	if !ok {
		return 0
	}
	return int(c.SchoolTimeBetween(q.Created, t.in.Now) / time.Hour)
}

// notify shows q to staff member id with the ways to act on it, and audits the read.
func (t *turn) notify(q *Question, id, key string, skipped []string) {
	L := t.in.For(id)
	who := t.who(L, q)
	body := L.T(key, "Who", who, "Subject", t.subjectLabel(L, q), "Code", q.ID, "Hours", L.N("ask.hours", t.hours(q)),
		"Teacher", chat.Literal(t.name(q.To)))
	body += "\n" + t.thread(L, q, who)
	if q.Group != "" {
		if lead := t.get(q.Class, q.Group); lead != nil {
			body += "\n" + L.T("ask.grouped_note", "Other", Alias(L, lead.ID), "Question", chat.Literal(short(lead.Last(), 80)))
		}
	}
	if len(skipped) > 0 {
		body += "\n" + L.T("ask.skipped_staff", "Names", chat.Literal(strings.Join(skipped, ", ")))
	}
	m := t.to(id, body)
	m.Staff = true
	caps := t.in.Caps
	if t.in.CapsOf != nil {
		caps = t.in.CapsOf(id)
	}
	if caps.Forms {
		m.Form = t.answerForm(L, q)
	} else {
		m.Choices = append(m.Choices, chat.Choice{Action: Name + ".reply", Value: join(q), Label: L.T("ask.reply_button"), Style: "primary"})
	}
	m.Choices = append(m.Choices, chat.Choice{Action: Name + ".hand", Value: join(q), Label: L.T("ask.hand_button")})
	if q.Group != "" {
		m.Choices = append(m.Choices, chat.Choice{Action: Name + ".split", Value: join(q), Label: L.T("ask.split_button")})
	}
	t.audit(id, "question.read", q, "")
}

func (t *turn) answerForm(L *i18n.Localizer, q *Question) *chat.Form {
	return &chat.Form{Action: Name + ".answer:" + join(q), Title: L.T("ask.form_title"), Open: L.T("ask.reply_button"),
		Submit: L.T("ask.form_submit"), Fields: []chat.Field{{ID: FormField, Label: L.T("ask.form_label"),
			Placeholder: short(q.Last(), 100), Multiline: true, Required: true, MaxLen: MaxAnswer}}}
}

func (t *turn) audit(actor, action string, q *Question, detail string) {
	d := "question " + q.ID
	if detail != "" {
		d += ": " + detail
	}
	t.effect(dialog.Audit{Entry: record.Audit{Time: t.in.Now, Actor: actor, Action: action, Subject: q.Asker, Detail: d}})
}

// arm sets q's reminder and escalation timers, on the asker, counted in school time
// from now; re-arming replaces earlier ones.
func (t *turn) arm(q *Question) {
	qs := t.in.School.Questions
	t.effect(dialog.SetTimer{Key: "remind:" + q.ID, Person: q.Asker, After: time.Duration(qs.RemindAfter), SchoolTime: true, Payload: join(q, "remind")})
	t.effect(dialog.SetTimer{Key: "escalate:" + q.ID, Person: q.Asker, After: time.Duration(qs.EscalateAfter), SchoolTime: true, Payload: join(q, "escalate")})
}

func (t *turn) disarm(q *Question) {
	t.effect(dialog.CancelTimer{Key: "remind:" + q.ID, Person: q.Asker})
	t.effect(dialog.CancelTimer{Key: "escalate:" + q.ID, Person: q.Asker})
}

// openAnswer lets a teacher answer: a form where their platform has forms, else the
// next text they type.
func (t *turn) openAnswer(q *Question) {
	if !q.Waiting() {
		t.say("ask.already_answered")
		return
	}
	f := t.answerForm(t.in.L, q)
	m := prompt.Form(t.me(), t.in.L.T("ask.type_answer", "Question", chat.Literal(short(q.Last(), 120))), *f, t.in.Caps)
	m.Staff = true
	t.res.Messages = append(t.res.Messages, m)
	if m.Form == nil {
		t.st = state{Mode: modeAnswer, Ref: join(q)}
	}
}

// group is q with every waiting question grouped with it (or with its lead).
func (t *turn) group(q *Question) []*Question {
	lead := q
	if l := t.get(q.Class, q.Group); l != nil && l.Waiting() {
		lead = l
	}
	out := []*Question{}
	if lead.Waiting() {
		out = append(out, lead)
	}
	for _, o := range sorted(t.class(q.Class)) {
		if o.Group == lead.ID && o.Waiting() && o != lead {
			out = append(out, o)
		}
	}
	return out
}

// answer relays a teacher's answer to the asker of q and of every question grouped
// with it. It reports whether the answer was taken.
func (t *turn) answer(q *Question, text string) bool {
	if q == nil {
		t.say("ask.gone")
		return true
	}
	if !q.Sees(t.me()) {
		t.say("ask.not_yours")
		return true
	}
	if !q.Waiting() {
		t.say("ask.already_answered")
		return true
	}
	s, problem, n := prompt.Text(text, MaxAnswer)
	switch problem {
	case prompt.Empty:
		t.say("ask.answer_empty")
		return false
	case prompt.TooLong:
		t.say("ask.answer_too_long", "Len", n, "Max", MaxAnswer)
		return false
	}
	group := t.group(q)
	for _, x := range group {
		t.audit(t.me(), "question.answer", x, "")
		asked := x.Last()
		x.Thread = append(x.Thread, Entry{By: t.me(), Text: s})
		x.Status = Answered
		t.put(x)
		t.disarm(x)
		L := t.in.For(x.Asker)
		m := t.to(x.Asker, L.T("ask.answer_to_pupil", "Who", chat.Literal(t.in.Person.Name), "Question", chat.Literal(short(asked, 120)), "Answer", chat.Literal(s)))
		m.Choices = []chat.Choice{
			{Action: Name + ".thanks", Value: join(x), Label: L.T("ask.thanks_button"), Style: "primary"},
			{Action: Name + ".followup", Value: join(x), Label: L.T("ask.followup_button")},
		}
	}
	key := "ask.answer_sent"
	if len(group) > 1 {
		key = "ask.answer_sent_group"
	}
	m := t.say(key, "Count", len(group))
	m.Choices = []chat.Choice{{Action: Name + ".publish", Value: join(group[0]), Label: t.in.L.T("ask.publish_button")}}
	if t.d.AfterAnswer != nil {
		m.Choices = append(m.Choices, t.d.AfterAnswer(t.in, *group[0])...)
	}
	return true
}

// publish posts q and its answers to the class channel under q's pseudonym: no name,
// no time, no count of askers.
func (t *turn) publish(q *Question) {
	if q.Status != Answered && q.Status != Closed {
		t.say("ask.publish_unanswered")
		return
	}
	if q.Published {
		t.say("ask.published_already")
		return
	}
	c, ok := t.in.School.Class(q.Class)
	if !ok {
		t.say("ask.gone")
		return
	}
	q.Published = true
	t.put(q)
	L := t.in.L
	if t.in.LocalizerFor != nil {
		L = t.in.LocalizerFor(config.ClassActor(c))
	}
	t.res.Messages = append(t.res.Messages, chat.Message{To: chat.Target{Kind: chat.ToClass, Class: c.ID},
		Text: L.T("ask.published", "Subject", t.subjectLabel(L, q), "Thread", t.thread(L, q, Alias(L, q.ID)))})
	t.say("ask.published_ok", "Class", chat.Literal(t.className(c.ID)))
}

// split takes q out of its group: it is answered on its own.
func (t *turn) split(q *Question) {
	switch {
	case q.Group != "":
		q.Group = ""
		t.put(q)
	case t.relead(q):
	default:
		t.say("ask.not_grouped")
		return
	}
	t.say("ask.split_ok", "Question", chat.Literal(short(q.Last(), 80)))
}

// relead gives the questions grouped with q a new lead (the oldest of them), before q
// leaves the group; it reports whether there were any.
func (t *turn) relead(q *Question) bool {
	var lead *Question
	for _, o := range sorted(t.class(q.Class)) {
		if o.Group != q.ID || o == q {
			continue
		}
		if lead == nil {
			lead = o
			o.Group = ""
		} else {
			o.Group = lead.ID
		}
		t.put(o)
	}
	return lead != nil
}

// colleagues are who a question of class c can be handed to: its subject teachers,
// its teachers and the asker's mentor.
func (t *turn) colleagues(q *Question) []*config.Person {
	ids := map[string]bool{}
	c, _ := t.in.School.Class(q.Class)
	if c != nil {
		for _, id := range c.Subjects {
			ids[id] = true
		}
	}
	if asker, ok := t.in.School.Person(q.Asker); ok && asker.Mentor != "" {
		ids[asker.Mentor] = true
	}
	var out []*config.Person
	for _, p := range t.in.School.People {
		if p.ID == t.me() || p.Has(config.Pupil) {
			continue
		}
		if ids[p.ID] || (c != nil && c.Teaches(p)) {
			out = append(out, p)
		}
	}
	return out
}

func (t *turn) offerColleagues(q *Question) {
	if !q.Waiting() {
		t.say("ask.already_answered")
		return
	}
	var choices []chat.Choice
	for _, p := range t.colleagues(q) {
		choices = append(choices, chat.Choice{Action: Name + ".handto", Value: join(q, p.ID), Label: p.Name})
	}
	if len(choices) == 0 {
		t.say("ask.no_colleagues")
		return
	}
	t.res.Messages = append(t.res.Messages, prompt.Ask(t.me(), t.in.L.T("ask.hand_to_whom"), choices, t.in.Caps))
}

func (t *turn) handTo(q *Question, id string) {
	if !q.Waiting() {
		t.say("ask.already_answered")
		return
	}
	var to *config.Person
	for _, p := range t.colleagues(q) {
		if p.ID == id {
			to = p
		}
	}
	if to == nil {
		t.say("ask.gone")
		return
	}
	if !t.reachable(to.ID) {
		t.say("ask.hand_unreachable", "Name", chat.Literal(to.Name))
		return
	}
	if q.Group != "" {
		q.Group = ""
	} else {
		t.relead(q)
	}
	from := t.in.Person.Name
	q.To, q.Routed = to.ID, t.in.Now
	if q.Escalated == to.ID {
		q.Escalated = ""
	}
	t.put(q)
	t.audit(t.me(), "question.hand", q, "to "+to.ID)
	t.notify(q, to.ID, "ask.to_staff_handed", nil)
	t.arm(q)
	L := t.in.For(q.Asker)
	t.to(q.Asker, L.T("ask.handed_pupil", "From", chat.Literal(from), "Who", chat.Literal(to.Name), "Question", chat.Literal(short(q.Last(), 80))))
	t.say("ask.handed_ok", "Who", chat.Literal(to.Name))
}

func (t *turn) withdraw(q *Question) {
	if q.Status != Open && q.Status != Draft {
		t.say("ask.cannot_withdraw")
		return
	}
	was := q.Status
	q.Status = Withdrawn
	if q.Group == "" {
		t.relead(q)
	}
	q.Group = ""
	t.put(q)
	t.disarm(q)
	if was == Open {
		for _, id := range []string{q.To, q.Escalated} {
			if id != "" {
				L := t.in.For(id)
				m := t.to(id, L.T("ask.withdrawn_staff", "Who", t.who(L, q), "Code", q.ID))
				m.Staff = true
			}
		}
	}
	t.say("ask.withdrawn", "Question", chat.Literal(short(q.Last(), 80)))
}

func (t *turn) thanks(q *Question) {
	if q.Status != Answered {
		t.say("ask.cannot_thank")
		return
	}
	q.Status = Closed
	t.put(q)
	if len(q.Thread) > 0 {
		if by := q.Thread[len(q.Thread)-1].By; by != "" {
			L := t.in.For(by)
			m := t.to(by, L.T("ask.thanked", "Who", t.who(L, q), "Question", chat.Literal(short(q.Last(), 80))))
			m.Staff = true
		}
	}
	t.say("ask.thanks_ok")
}

// followUp adds the pupil's typed follow-up to q's thread and sends it to whoever
// answered, or on along the line when they can no longer be reached.
func (t *turn) followUp(q *Question) {
	if q == nil || q.Asker != t.me() {
		t.st = state{}
		t.say("ask.gone")
		return
	}
	s, problem, n := prompt.Text(t.in.Text, MaxQuestion)
	switch problem {
	case prompt.Empty:
		t.say("ask.type_followup", "Question", chat.Literal(short(q.Last(), 80)))
		return
	case prompt.TooLong:
		t.say("ask.too_long", "Len", n, "Max", MaxQuestion)
		return
	}
	t.st = state{}
	t.alert(s)
	q.Thread = append(q.Thread, Entry{Text: s})
	q.Group = ""
	if q.To != "" && t.reachable(q.To) {
		q.Status, q.Routed = Open, t.in.Now
		t.put(q)
		t.notify(q, q.To, "ask.to_staff_followup", nil)
		t.arm(q)
		t.say("ask.followup_sent", "Who", chat.Literal(t.name(q.To)))
		return
	}
	t.route(q, routeFollowUp, q.To)
}

// wake is a question's reminder or escalation timer, run as the asker.
func (t *turn) wake() {
	c, id, what := split(t.in.Payload)
	q := t.get(c, id)
	if q == nil || !q.Waiting() {
		return
	}
	if !t.reachable(q.To) {
		t.route(q, routeReroute, q.To)
		return
	}
	switch what {
	case "remind":
		t.notify(q, q.To, "ask.reminder", nil)
	case "escalate":
		t.escalate(q)
	}
}

// escalate lets the next in line after the current reader (the mentor, else care or
// admin) see and answer q too, and tells the pupil who.
func (t *turn) escalate(q *Question) {
	line, _ := t.line(q)
	var to *config.Person
	for _, p := range line {
		if p.ID == q.To || p.ID == q.Escalated || (q.Subject != "" && t.isSubjectTeacher(q, p.ID)) {
			continue
		}
		if t.reachable(p.ID) {
			to = p
			break
		}
	}
	if to == nil {
		t.notify(q, q.To, "ask.reminder", nil)
		return
	}
	q.Escalated = to.ID
	t.put(q)
	t.notify(q, to.ID, "ask.to_staff_escalated", nil)
	L := t.in.For(q.Asker)
	t.to(q.Asker, L.T("ask.escalated_pupil", "Who", chat.Literal(to.Name), "Teacher", chat.Literal(t.name(q.To)), "Question", chat.Literal(short(q.Last(), 80))))
}

func (t *turn) isSubjectTeacher(q *Question, id string) bool {
	c, ok := t.in.School.Class(q.Class)
	return ok && c.Subjects[q.Subject] == id && q.To == id
}

// sweep runs each school morning per class: drafts left without a subject go to the
// mentor as they are, questions waiting for someone who left the roster or cannot be
// reached (or for nobody) go on along the line, and finished questions older than
// KeepFinished (or the retention, if shorter) are dropped.
func (t *turn) sweep() {
	c, ok := config.IsClassActor(t.in.Person.ID)
	if !ok {
		return
	}
	cl, ok := t.in.School.Class(c)
	if !ok {
		return
	}
	keep := KeepFinished
	if r := time.Duration(t.in.School.Retention); r > 0 && r < keep {
		keep = r
	}
	for _, q := range sorted(t.class(c)) {
		switch {
		case q.Status == Draft && cl.SchoolTimeBetween(q.Created, t.in.Now) >= DraftAfter:
			t.route(q, routeDraft, "")
		case q.Waiting() && (q.To == "" || !t.reachable(q.To)):
			t.route(q, routeReroute, q.To)
		case (q.Status == Closed || q.Status == Withdrawn || q.Status == Answered) && t.in.Now.Sub(q.Created) > keep:
			delete(t.qs[c], q.ID)
			t.effect(dialog.SetShared{Ref: ref(c), Fields: map[string]string{field(q.ID): ""}})
		}
	}
}

// list shows a pupil where each of their questions stands, and staff their queue.
func (t *turn) list() {
	if t.in.Person.Has(config.Pupil) {
		t.listOwn()
		return
	}
	var queue []*Question
	for _, r := range Reads(t.in) {
		for _, q := range sorted(t.class(r.ID)) {
			if q.Waiting() && q.Sees(t.me()) {
				queue = append(queue, q)
			}
		}
	}
	sort.SliceStable(queue, func(i, j int) bool { return queue[i].Created.Before(queue[j].Created) })
	if len(queue) == 0 {
		t.say("ask.queue_empty")
		return
	}
	t.say("ask.queue_head", "Count", len(queue))
	for i, q := range queue {
		if i == MaxQueue {
			t.say("ask.queue_more", "Count", len(queue)-MaxQueue)
			break
		}
		t.notify(q, t.me(), "ask.queue_item", nil)
	}
}

// Reads is the package-level form of Dialog.Reads.
func Reads(in dialog.Input) []dialog.Ref { return (&Dialog{}).Reads(in) }

func (t *turn) listOwn() {
	var lines []string
	var choices []chat.Choice
	var draft *Question
	L := t.in.L
	for _, q := range sorted(t.class(t.in.Person.Class())) {
		if q.Asker != t.me() || q.Status == Withdrawn {
			continue
		}
		if q.Status == Draft {
			draft = q
		}
		var status string
		switch q.Status {
		case Draft:
			status = L.T("ask.status_draft")
		case Open:
			switch {
			case q.To == "":
				status = L.T("ask.status_nobody")
			case q.Escalated != "":
				status = L.T("ask.status_escalated", "Who", chat.Literal(t.name(q.To)), "Other", chat.Literal(t.name(q.Escalated)))
			default:
				status = L.T("ask.status_waiting", "Who", chat.Literal(t.name(q.To)))
			}
			if len(choices) < 4 {
				choices = append(choices, chat.Choice{Action: Name + ".withdraw", Value: join(q), Label: L.T("ask.withdraw_this", "Question", chat.Literal(short(q.Text(), 30)))})
			}
		case Answered:
			status = L.T("ask.status_answered", "Who", chat.Literal(t.lastStaff(q)))
		case Closed:
			status = L.T("ask.status_closed")
		}
		lines = append(lines, L.T("ask.status_line", "Question", chat.Literal(short(q.Text(), 60)), "Subject", t.subjectLabel(L, q), "Status", status))
	}
	choices = append(choices, newChoice(L))
	text := L.T("ask.list_none")
	if len(lines) > 0 {
		text = L.T("ask.list_head") + "\n" + strings.Join(lines, "\n")
	}
	t.res.Messages = append(t.res.Messages, prompt.Ask(t.me(), text, choices, t.in.Caps))
	if c, ok := t.in.School.Class(t.in.Person.Class()); ok && draft != nil {
		// The newest unsent question: ask its subject again, right here.
		t.offerSubjects(draft, c)
	}
}

func (t *turn) lastStaff(q *Question) string {
	for i := len(q.Thread) - 1; i >= 0; i-- {
		if q.Thread[i].By != "" {
			return t.name(q.Thread[i].By)
		}
	}
	return ""
}

// reveal tells care or admin who asked a question, with a reason, audited.
func (t *turn) reveal() {
	code := strings.ToLower(strings.TrimSpace(t.in.Args["question"]))
	reason, _, _ := prompt.Text(t.in.Args["reason"], 500)
	if len([]rune(reason)) < MinReason {
		t.say("ask.reveal_reason", "Command", t.in.L.T("cmd.reveal.name"), "Min", MinReason)
		return
	}
	for _, r := range Reads(t.in) {
		if q := t.get(r.ID, code); q != nil {
			t.audit(t.me(), "question.reveal", q, reason)
			m := t.say("ask.revealed", "Code", q.ID, "Name", chat.Literal(t.name(q.Asker)), "Class", chat.Literal(t.className(q.Class)))
			m.Staff = true
			return
		}
	}
	t.say("ask.reveal_unknown", "Code", chat.Literal(code))
}

// alert checks a pupil's words for safeguarding phrases: on a hit the mentor and the
// care contacts are alerted at once and the pupil is told where to find help (see
// bot/safeguard). Words another dialog handed over were checked there already.
func (t *turn) alert(text string) {
	if t.checked {
		return
	}
	// The built-in phrases are embedded and tested; without them (nil) the Engine's
	// matcher still runs inside Check.
	m, _ := t.d.guard.For(t.in.School)
	msgs, effects, _ := safeguard.Check(m, &t.in, text, safeguard.WhereAsk)
	t.res.Messages = append(t.res.Messages, msgs...)
	t.res.Effects = append(t.res.Effects, effects...)
}
