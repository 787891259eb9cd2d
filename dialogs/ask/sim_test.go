package ask

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
)

// sim plays the Engine for the questions dialog: each person's state, the shared class
// records, timers (school time computed as the Engine does) and the audit log.
type sim struct {
	t       *testing.T
	d       *Dialog
	school  *config.School
	cat     *i18n.Catalog
	now     time.Time
	state   map[string][]byte
	listen  map[string]bool
	shared  map[dialog.Ref]*dialog.Shared
	timers  map[string]dialog.SetTimer // person|key -> timer, At filled in
	out     []chat.Message
	audits  []record.Audit
	offline map[string]bool
	forms   map[string]bool
	// copies are the pupils' own copies of their questions (owner|id).
	copies map[string]record.Question
	n      int
}

// testSchool is class 2B: Bakker teaches wiskunde, De Vries (mentor) geschiedenis,
// "frans" names a teacher who is not on the roster; Mulder is care, El Amrani admin.
func testSchool(t *testing.T) *config.School {
	s := &config.School{ID: "t", Locale: "nl", Classes: []*config.Class{{ID: "2B", Name: "Klas 2B", Timezone: "Europe/Amsterdam",
		Subjects: map[string]string{"wiskunde": "bakker", "geschiedenis": "devries", "frans": "dubois"},
		Schedule: config.Schedule{Holidays: []config.Holiday{{Name: "kerst", From: config.Date{Year: 2026, Month: 12, Day: 21}, To: config.Date{Year: 2027, Month: 1, Day: 3}}}}}}}
	s.People = append(s.People,
		&config.Person{ID: "bakker", Name: "Mevr. Bakker", Roles: []config.Role{config.Teacher}, Classes: []string{"2B"}},
		&config.Person{ID: "devries", Name: "Dhr. De Vries", Roles: []config.Role{config.Mentor, config.Teacher}, Classes: []string{"2B"}},
		&config.Person{ID: "mulder", Name: "Mevr. Mulder", Roles: []config.Role{config.Care}},
		&config.Person{ID: "elamrani", Name: "Mevr. El Amrani", Roles: []config.Role{config.Admin}, Locale: "en"},
		&config.Person{ID: "anna", Name: "Anna de Boer", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
		&config.Person{ID: "daan", Name: "Daan Visser", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
		&config.Person{ID: "sanne", Name: "Sanne Smit", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
	)
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

func newSim(t *testing.T) *sim {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	return &sim{t: t, d: New(), school: testSchool(t), cat: cat,
		now:   time.Date(2026, 11, 23, 10, 0, 0, 0, loc), // a Monday
		state: map[string][]byte{}, listen: map[string]bool{}, shared: map[dialog.Ref]*dialog.Shared{},
		timers: map[string]dialog.SetTimer{}, offline: map[string]bool{}, forms: map[string]bool{},
		copies: map[string]record.Question{}}
}

func (s *sim) person(id string) *config.Person {
	if c, ok := config.IsClassActor(id); ok {
		cl, _ := s.school.Class(c)
		return config.ClassActor(cl)
	}
	p, ok := s.school.Person(id)
	if !ok {
		s.t.Fatalf("no person %s", id)
	}
	return p
}

func (s *sim) step(id string, in dialog.Input) dialog.Result {
	s.t.Helper()
	p := s.person(id)
	c, _ := s.school.Class(p.Class())
	in.Now, in.Today, in.School, in.Person, in.Class = s.now, config.DateOf(s.now), s.school, p, c
	in.L = s.cat.For(s.school.LocaleFor(p))
	in.LocalizerFor = func(q *config.Person) *i18n.Localizer { return s.cat.For(s.school.LocaleFor(q)) }
	in.Caps = chat.Capabilities{Buttons: true, Forms: s.forms[id]}
	in.CapsOf = func(id string) chat.Capabilities { return chat.Capabilities{Buttons: true, Forms: s.forms[id]} }
	in.Reachable = func(id string) bool {
		_, ok := s.school.Person(id)
		return ok && !s.offline[id]
	}
	in.State = s.state[id]
	in.Alerts = func(text string) []string {
		if strings.Contains(text, "gepest") {
			return []string{"gepest"}
		}
		return nil
	}
	s.n++
	if in.Event == "" {
		in.Event = fmt.Sprintf("ev-%d", s.n)
	}
	in.Shared = map[dialog.Ref]dialog.Shared{}
	for _, r := range s.d.Reads(in) {
		if sh, ok := s.shared[r]; ok {
			in.Shared[r] = *sh
		}
	}
	if s.listen[id] && in.Kind == dialog.Text {
		for r, sh := range s.shared {
			in.Shared[r] = *sh
		}
	}
	res, err := s.d.Step(in)
	if err != nil {
		s.t.Fatal(err)
	}
	switch {
	case res.Clear:
		delete(s.state, id)
	case res.State != nil:
		s.state[id] = res.State
	}
	s.listen[id] = res.Listen
	for _, ef := range res.Effects {
		s.apply(id, ef)
	}
	for _, m := range res.Messages {
		if m.Staff && m.To.Kind != chat.ToPerson {
			s.t.Fatalf("staff message to %s", m.To.Kind)
		}
	}
	s.out = append(s.out, res.Messages...)
	return res
}

func (s *sim) rec(r dialog.Ref) *dialog.Shared {
	if s.shared[r] == nil {
		s.shared[r] = &dialog.Shared{Ref: r, Fields: map[string]string{}, Members: map[string]string{}}
	}
	s.shared[r].Exists = true
	return s.shared[r]
}

func (s *sim) apply(actor string, ef dialog.Effect) {
	switch x := ef.(type) {
	case dialog.SetShared:
		for k, v := range x.Fields {
			if v == "" {
				delete(s.rec(x.Ref).Fields, k)
				continue
			}
			s.rec(x.Ref).Fields[k] = v
		}
	case dialog.SetMember:
		s.rec(x.Ref).Members[x.Member] = x.Value
	case dialog.SetTimer:
		if x.Person == "" {
			x.Person = actor
		}
		if x.At.IsZero() {
			c, _ := s.school.Class(s.person(x.Person).Class())
			x.At = c.AddSchoolTime(s.now, x.After)
		}
		s.timers[x.Person+"|"+x.Key] = x
	case dialog.CancelTimer:
		if x.Person == "" {
			x.Person = actor
		}
		delete(s.timers, x.Person+"|"+x.Key)
	case dialog.Audit:
		s.audits = append(s.audits, x.Entry)
	case dialog.Put:
		q, ok := x.Doc.(record.Question)
		if x.Kind != record.KindQuestion || !ok || x.Owner != q.Person || x.ID != q.ID {
			s.t.Fatalf("unexpected record %+v", x)
		}
		s.copies[x.Owner+"|"+x.ID] = q
	case dialog.SetProfile:
		// Only a safeguarding alert's open marker on the pupil's profile.
		for k := range x.Fields {
			if !strings.HasPrefix(k, safeguard.ProfileAlertPrefix) {
				s.t.Fatalf("unexpected profile write %+v", x)
			}
		}
	default:
		s.t.Fatalf("unexpected effect %T", ef)
	}
}

// advance moves the clock to t and fires every timer due by then, in due order.
func (s *sim) advance(t time.Time) {
	for {
		var next *dialog.SetTimer
		var key string
		for k, tm := range s.timers {
			if !tm.At.After(t) && (next == nil || tm.At.Before(next.At)) {
				tm := tm
				next, key = &tm, k
			}
		}
		if next == nil {
			break
		}
		delete(s.timers, key)
		if next.At.After(s.now) {
			s.now = next.At
		}
		s.step(next.Person, dialog.Input{Kind: dialog.Wake, Payload: next.Payload, Timer: next.Key})
	}
	s.now = t
}

func (s *sim) to(id string) []chat.Message {
	var out []chat.Message
	for _, m := range s.out {
		if m.To.Kind == chat.ToPerson && m.To.Person == id {
			out = append(out, m)
		}
	}
	return out
}

func (s *sim) last(id string) chat.Message {
	s.t.Helper()
	ms := s.to(id)
	if len(ms) == 0 {
		s.t.Fatalf("nothing sent to %s; sent %+v", id, s.out)
	}
	return ms[len(ms)-1]
}

// T renders a catalog text for id as plain text (see text).
func (s *sim) T(id, key string, kv ...any) string {
	return chat.Plain(s.cat.For(s.school.LocaleFor(s.person(id))).T(key, kv...))
}

// text is the plain text of id's latest message, as a reader sees it.
func (s *sim) text(id string) string {
	s.t.Helper()
	return chat.Plain(s.last(id).Text)
}

// press presses the button of id's latest message whose action ends in action.
func (s *sim) press(id, action string) dialog.Result {
	s.t.Helper()
	return s.pressIn(id, s.last(id), action, "")
}

func (s *sim) pressIn(id string, m chat.Message, action, label string) dialog.Result {
	s.t.Helper()
	for _, c := range m.Choices {
		if c.Action == Name+"."+action && (label == "" || c.Label == label) {
			return s.step(id, dialog.Input{Kind: dialog.Choice, Action: c.Action, Value: c.Value})
		}
	}
	s.t.Fatalf("no %s button %q in %+v", action, label, m)
	return dialog.Result{}
}

// ask has pupil ask text about subject ("" for "I don't know"), anonymously or not,
// and returns the question.
func (s *sim) ask(pupil, text, subject string, anon bool) *Question {
	s.t.Helper()
	s.step(pupil, dialog.Input{Kind: dialog.Command, Command: CmdAsk, Args: map[string]string{"question": text}})
	label := subject
	if subject == "" {
		label = s.T(pupil, "ask.subject_unknown")
	}
	s.pressIn(pupil, s.last(pupil), "subject", label)
	if anon {
		s.pressIn(pupil, s.last(pupil), "anon", s.T(pupil, "ask.anon_yes"))
	} else {
		s.pressIn(pupil, s.last(pupil), "anon", s.T(pupil, "ask.anon_no"))
	}
	var newest *Question
	for _, q := range questions(*s.rec(ref("2B"))) {
		if q.Asker == pupil && (newest == nil || !q.Created.Before(newest.Created)) && q.Text() == strings.TrimSpace(text) {
			newest = q
		}
	}
	if newest == nil {
		s.t.Fatalf("no question of %s stored", pupil)
	}
	return newest
}

func (s *sim) q(id string) *Question {
	s.t.Helper()
	q := questions(*s.rec(ref("2B")))[id]
	if q == nil {
		s.t.Fatalf("no question %s", id)
	}
	return q
}

// answer has staff member id answer q by form.
func (s *sim) answer(id string, q *Question, text string) {
	s.t.Helper()
	s.step(id, dialog.Input{Kind: dialog.Form, Action: Name + ".answer:" + join(q), Fields: map[string]string{FormField: text}})
}
