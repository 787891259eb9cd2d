package checkin

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/dialogs/nod"
)

var loadCatalog = sync.OnceValues(i18n.Load)

func testCatalog(t testing.TB) *i18n.Catalog {
	t.Helper()
	c, err := loadCatalog()
	if err != nil {
		t.Fatalf("load catalogs: %v", err)
	}
	return c
}

// testSchool is a small school: class 2b (Dutch) with mentor mees and teacher tess,
// class 3a (English) with mentor noor. With care, zoe is the care contact.
func testSchool(t testing.TB, care bool) *config.School {
	t.Helper()
	s := &config.School{
		ID: "test",
		Classes: []*config.Class{
			{ID: "2b", Name: "2B", Locale: "nl"},
			{ID: "3a", Name: "3A", Locale: "en"},
		},
		People: []*config.Person{
			{ID: "anna", Name: "Anna de Vries", Roles: []config.Role{config.Pupil}, Classes: []string{"2b"}, Mentor: "mees", Level: config.TeacherLed},
			{ID: "bram", Name: "Bram Jansen", Roles: []config.Role{config.Pupil}, Classes: []string{"2b"}, Mentor: "mees", Level: config.Shared},
			{ID: "cas", Name: "Cas Bakker", Roles: []config.Role{config.Pupil}, Classes: []string{"2b"}, Mentor: "mees", Level: config.SelfLed},
			{ID: "dirk", Name: "Dirk Visser", Roles: []config.Role{config.Pupil}, Classes: []string{"2b"}, Mentor: "noor"},
			{ID: "emma", Name: "Emma Smith", Roles: []config.Role{config.Pupil}, Classes: []string{"3a"}, Mentor: "noor", Level: config.SelfLed},
			{ID: "mees", Name: "Mees de Boer", Roles: []config.Role{config.Mentor, config.Teacher}, Classes: []string{"2b"}},
			{ID: "noor", Name: "Noor Peters", Roles: []config.Role{config.Mentor}, Classes: []string{"3a"}},
			{ID: "tess", Name: "Tess Smit", Roles: []config.Role{config.Teacher}, Classes: []string{"2b"}},
			{ID: "root", Name: "Ria Admin", Roles: []config.Role{config.Admin}},
		},
		Policy: config.Policy{
			AlertWords: map[string][]string{
				"nl": {"gepest", "dood willen", "zelfmoord"},
				"en": {"bullied", "kill myself", "self harm"},
			},
		},
	}
	if care {
		s.People = append(s.People, &config.Person{ID: "zoe", Name: "Zoë Kok", Roles: []config.Role{config.Care}})
	}
	if err := s.Prepare(); err != nil {
		t.Fatalf("prepare school: %v", err)
	}
	return s
}

// day1 is a Tuesday in March; check-ins start at 08:15 Amsterdam time.
var day1 = time.Date(2026, time.March, 10, 8, 15, 0, 0, time.FixedZone("CET", 3600))

// sim is a tiny in-memory Engine: it threads state, profile and class fields through
// Steps and applies effects the way the real Engine does.
type sim struct {
	t      testing.TB
	d      *Dialog
	school *config.School
	cat    *i18n.Catalog
	now    time.Time
	// lang overrides every person's language ("" = the roster's).
	lang string
	caps chat.Capabilities

	state    map[string][]byte
	listen   map[string]bool
	profile  map[string]map[string]string
	class    map[string]map[string]string
	checkins map[string]record.CheckIn // person/date
	saved    []record.CheckIn          // every SaveCheckIn, in order
	helps    []record.HelpRequest
	audits   []record.Audit
	alerts   []map[string]string
	// all holds every message ever sent, for the catalog checks.
	all []chat.Message
	// unreachable names people no connected platform knows.
	unreachable map[string]bool
}

func newSim(t testing.TB, care bool) *sim {
	return &sim{
		t: t, d: New(), school: testSchool(t, care), cat: testCatalog(t), now: day1,
		caps:     chat.Capabilities{Buttons: true, MaxButtons: 5},
		state:    map[string][]byte{},
		listen:   map[string]bool{},
		profile:  map[string]map[string]string{},
		class:    map[string]map[string]string{},
		checkins: map[string]record.CheckIn{},
	}
}

func (s *sim) today() string { return config.DateOf(s.now).String() }

// nextDay moves to 08:15 n days later.
func (s *sim) nextDay(n int) { s.now = s.now.AddDate(0, 0, n) }

func (s *sim) person(id string) *config.Person {
	p, ok := s.school.Person(id)
	if !ok {
		s.t.Fatalf("no person %q", id)
	}
	return p
}

func (s *sim) loc(p *config.Person) *i18n.Localizer {
	if s.lang != "" {
		return s.cat.For(s.lang)
	}
	return s.cat.For(s.school.LocaleFor(p))
}

// input builds the Input the Engine would give for person id.
func (s *sim) input(id string, kind dialog.InputKind) dialog.Input {
	p := s.person(id)
	c, _ := s.school.Class(p.Class())
	if s.profile[id] == nil {
		s.profile[id] = map[string]string{}
	}
	in := dialog.Input{
		Kind: kind, Now: s.now, Today: config.DateOf(s.now), School: s.school, Person: p,
		Class: c, L: s.loc(p), Caps: s.caps, State: s.state[id], Profile: s.profile[id],
		Reachable: func(id string) bool { return !s.unreachable[id] },
	}
	if c != nil {
		in.ClassData = s.class[c.ID]
	}
	return in
}

// step runs one input and applies its result.
func (s *sim) step(in dialog.Input) dialog.Result {
	s.t.Helper()
	res, err := s.d.Step(in)
	if err != nil {
		s.t.Fatalf("step %s: %v", in.Kind, err)
	}
	id := in.Person.ID
	switch {
	case res.Clear:
		delete(s.state, id)
	case res.State != nil:
		s.state[id] = res.State
	}
	s.listen[id] = res.Listen
	for _, e := range res.Effects {
		switch x := e.(type) {
		case dialog.SetProfile:
			if s.profile[x.Person] == nil {
				s.profile[x.Person] = map[string]string{}
			}
			for k, v := range x.Fields {
				if v == "" {
					delete(s.profile[x.Person], k)
				} else {
					s.profile[x.Person][k] = v
				}
			}
		case dialog.SetClass:
			if s.class[x.Class] == nil {
				s.class[x.Class] = map[string]string{}
			}
			for k, v := range x.Fields {
				s.class[x.Class][k] = v
			}
		case dialog.Put:
			switch doc := x.Doc.(type) {
			case record.CheckIn:
				s.checkins[doc.Person+"/"+doc.Date] = doc
				s.saved = append(s.saved, doc)
			case record.HelpRequest:
				s.helps = append(s.helps, doc)
			default:
				s.t.Fatalf("unknown record %T", x.Doc)
			}
		case dialog.Audit:
			s.audits = append(s.audits, x.Entry)
		case dialog.SetShared:
			// Only an alert record, kept open by the alerts dialog.
			if x.Ref.Kind != safeguard.AlertKind || x.Fields[safeguard.FieldStatus] != safeguard.StatusOpen {
				s.t.Fatalf("unexpected shared write %+v", x)
			}
			s.alerts = append(s.alerts, x.Fields)
		case dialog.SetMember, dialog.SetTimer:
			// The alert's member (the pupil) and its re-send timer (dialogs/alerts tests them).
		default:
			s.t.Fatalf("unknown effect %T", e)
		}
	}
	s.checkMessages(in, res.Messages)
	s.all = append(s.all, res.Messages...)
	return res
}

var missingKey = regexp.MustCompile(`\[[a-z]+(\.[a-z0-9_]+)+\]`)

// checkMessages asserts what holds for every message: addressed to a person, no id,
// no missing catalog key, staff messages only to the pupil's mentor or care contacts.
func (s *sim) checkMessages(in dialog.Input, msgs []chat.Message) {
	s.t.Helper()
	for _, m := range msgs {
		if m.To.Kind != chat.ToPerson || m.To.Person == "" {
			s.t.Errorf("message not addressed to a person: %+v", m.To)
		}
		if m.ID != "" {
			s.t.Errorf("message has an id %q; the Engine assigns ids", m.ID)
		}
		if k := missingKey.FindString(m.Text); k != "" {
			s.t.Errorf("missing catalog key %s in %q", k, m.Text)
		}
		if strings.TrimSpace(chat.Plain(m.Text)) == "" {
			s.t.Errorf("empty message text to %s", m.To.Person)
		}
		for _, c := range m.Choices {
			if k := missingKey.FindString(c.Label); k != "" {
				s.t.Errorf("missing catalog key %s in a label", k)
			}
			if !strings.HasPrefix(c.Action, Name+".") && c.Action != safeguard.ActionHandle && c.Action != nod.ActionNod {
				s.t.Errorf("choice action %q lacks the dialog prefix", c.Action)
			}
		}
		if m.Staff {
			to, _ := s.school.Person(m.To.Person)
			if to == nil || !(to.ID == in.Person.Mentor || to.Has(config.Care) || (to.Has(config.Admin) && s.unreachable[in.Person.Mentor])) {
				s.t.Errorf("staff message to %s, who is not %s's mentor or care", m.To.Person, in.Person.ID)
			}
		} else if m.To.Person != in.Person.ID {
			s.t.Errorf("non-staff message to %s, not the actor %s", m.To.Person, in.Person.ID)
		}
	}
}

func (s *sim) start(id string) dialog.Result {
	s.t.Helper()
	in := s.input(id, dialog.Start)
	in.Job = JobCheckin
	return s.step(in)
}

func (s *sim) remind(id string) dialog.Result {
	s.t.Helper()
	in := s.input(id, dialog.Remind)
	in.Job = JobReminder
	return s.step(in)
}

func (s *sim) text(id, text string) dialog.Result {
	s.t.Helper()
	in := s.input(id, dialog.Text)
	in.Text = text
	return s.step(in)
}

func (s *sim) press(id, action, value string) dialog.Result {
	s.t.Helper()
	in := s.input(id, dialog.Choice)
	in.Action, in.Value = action, value
	return s.step(in)
}

func (s *sim) command(id, name string, args map[string]string) dialog.Result {
	s.t.Helper()
	in := s.input(id, dialog.Command)
	in.Command, in.Args = name, args
	return s.step(in)
}

// st decodes the person's saved state.
func (s *sim) st(id string) *state {
	return decodeState(s.state[id])
}

// stepOf is the person's current step ("" without state).
func (s *sim) stepOf(id string) string {
	if st := s.st(id); st != nil {
		return st.Step
	}
	return ""
}

// T renders a key in the person's language, for comparing texts.
func (s *sim) T(id, key string, kv ...any) string { return s.loc(s.person(id)).T(key, kv...) }

// setPlan stores a day plan for class for date.
func (s *sim) setPlan(class, date, text string) {
	b, _ := json.Marshal(DayPlan{Date: date, Text: text})
	if s.class[class] == nil {
		s.class[class] = map[string]string{}
	}
	s.class[class][ClassField] = string(b)
}

// one asserts res has exactly one message and returns it.
func one(t testing.TB, res dialog.Result) chat.Message {
	t.Helper()
	if len(res.Messages) != 1 {
		t.Fatalf("want 1 message, got %d: %+v", len(res.Messages), res.Messages)
	}
	return res.Messages[0]
}

func values(cs []chat.Choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Value
	}
	return out
}

func hasText(m chat.Message, part string) bool { return strings.Contains(m.Text, part) }
