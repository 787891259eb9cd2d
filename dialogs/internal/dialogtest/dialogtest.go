// Package dialogtest plays the Engine for pure dialog tests: it keeps each person's
// state, conversation listening and the shared records, runs Reads before a step the way
// the Engine does, applies effects the way its commit does, and fires due timers. No
// Redis: the engine tests in bot/ cover the real store.
package dialogtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

// Sim is one simulated deployment running dialogs.
type Sim struct {
	T      testing.TB
	School *config.School
	Cat    *i18n.Catalog
	Now    time.Time
	// Caps is what every person's platform shows (default: buttons, no forms).
	Caps chat.Capabilities
	// Unreachable are people no connected platform can reach.
	Unreachable map[string]bool
	dialogs     map[string]dialog.Dialog
	state       map[string][]byte // person/dialog -> state
	listen      map[string][]dialog.Ref
	Shared      map[dialog.Ref]*dialog.Shared
	Timers      map[string]Timer
	Out         []chat.Message
	// Audits are the audit entries the steps wrote, in order.
	Audits []record.Audit
	seq    int
}

// Timer is an armed timer.
type Timer struct {
	Dialog string
	dialog.SetTimer
}

// School returns a school with class 2B (teacher bakker, mentor devries in English,
// care mulder, a teacher of another class jansen) and n pupils p01..pNN.
func School(t testing.TB, n int) *config.School {
	s := &config.School{ID: "t", Locale: "nl", Classes: []*config.Class{{ID: "2B", Name: "2B"}, {ID: "3A", Name: "3A"}}}
	s.People = append(s.People,
		&config.Person{ID: "bakker", Name: "Mevr. Bakker", Roles: []config.Role{config.Teacher}, Classes: []string{"2B"}},
		&config.Person{ID: "devries", Name: "Dhr. de Vries", Roles: []config.Role{config.Mentor}, Locale: "en"},
		&config.Person{ID: "mulder", Name: "Mw. Mulder", Roles: []config.Role{config.Care}},
		&config.Person{ID: "jansen", Name: "Dhr. Jansen", Roles: []config.Role{config.Teacher}, Classes: []string{"3A"}},
	)
	for i := 1; i <= n; i++ {
		s.People = append(s.People, &config.Person{ID: fmt.Sprintf("p%02d", i), Name: fmt.Sprintf("Pupil %02d", i),
			Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"})
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

// New returns a simulation of school running ds, at Monday 23 November 2026 10:00 UTC.
func New(t testing.TB, school *config.School, ds ...dialog.Dialog) *Sim {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Sim{T: t, School: school, Cat: cat, Now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Caps: chat.Capabilities{Buttons: true}, dialogs: map[string]dialog.Dialog{},
		state: map[string][]byte{}, listen: map[string][]dialog.Ref{}, Shared: map[dialog.Ref]*dialog.Shared{},
		Timers: map[string]Timer{}, Unreachable: map[string]bool{}}
	for _, d := range ds {
		s.dialogs[d.Name()] = d
	}
	return s
}

// Step runs dialog d's step for person id with in (Now, School, Person, L ... filled in).
func (s *Sim) Step(d, id string, in dialog.Input) dialog.Result {
	s.T.Helper()
	dl := s.dialogs[d]
	if dl == nil {
		s.T.Fatalf("no dialog %s", d)
	}
	p, ok := s.School.Person(id)
	if !ok {
		if c, okc := s.School.Class(strings.TrimPrefix(id, "@")); okc {
			p = config.ClassActor(c)
		} else {
			s.T.Fatalf("no person %s", id)
		}
	}
	c, _ := s.School.Class(p.Class())
	in.Now, in.Today, in.School, in.Person, in.Class = s.Now, config.DateOf(s.Now), s.School, p, c
	in.L = s.Cat.For(s.School.LocaleFor(p))
	in.LocalizerFor = func(q *config.Person) *i18n.Localizer { return s.Cat.For(s.School.LocaleFor(q)) }
	in.Caps = s.Caps
	in.Reachable = func(id string) bool { return id != "" && !s.Unreachable[id] }
	in.State = s.state[id+"/"+d]
	in.Alerts = func(text string) []string {
		if strings.Contains(text, "gepest") {
			return []string{"gepest"}
		}
		return nil
	}
	s.seq++
	if in.Event == "" {
		in.Event = fmt.Sprintf("ev-%d", s.seq)
	}
	in.Shared = map[dialog.Ref]dialog.Shared{}
	if rd, ok := dl.(dialog.Reader); ok {
		for _, r := range rd.Reads(in) {
			in.Shared[r] = s.copy(r)
		}
	}
	if in.Kind == dialog.Text && in.Thread == "" {
		for _, r := range s.listen[id+"/"+d] {
			in.Shared[r] = s.copy(r)
		}
	}
	res, err := dl.Step(in)
	if err != nil {
		s.T.Fatal(err)
	}
	switch {
	case res.Clear:
		delete(s.state, id+"/"+d)
	case res.State != nil:
		s.state[id+"/"+d] = res.State
	}
	if res.Listen {
		s.listen[id+"/"+d] = res.ListenRefs
	} else {
		delete(s.listen, id+"/"+d)
	}
	for _, ef := range res.Effects {
		s.apply(d, id, ef)
	}
	for _, m := range res.Messages {
		if m.Staff && m.To.Kind != chat.ToPerson {
			s.T.Fatalf("staff message to %s", m.To.Kind)
		}
		for _, seg := range chat.Segments(m.Text) {
			if !seg.Literal && (strings.Contains(seg.Text, "@everyone") || strings.Contains(seg.Text, "<!channel>")) {
				s.T.Fatalf("unescaped mention in %q", m.Text)
			}
		}
	}
	s.Out = append(s.Out, res.Messages...)
	return res
}

// Listening reports whether person id's conversation with dialog d waits for text.
func (s *Sim) Listening(id, d string) bool {
	_, ok := s.listen[id+"/"+d]
	return ok
}

func (s *Sim) copy(r dialog.Ref) dialog.Shared {
	sh, ok := s.Shared[r]
	if !ok {
		return dialog.Shared{Ref: r}
	}
	out := dialog.Shared{Ref: r, Exists: true, Version: sh.Version, Fields: map[string]string{}, Members: map[string]string{},
		Counts: map[string]int64{}, Sets: map[string][]string{}}
	for k, v := range sh.Fields {
		out.Fields[k] = v
	}
	for k, v := range sh.Members {
		out.Members[k] = v
	}
	for k, v := range sh.Counts {
		out.Counts[k] = v
	}
	for k, v := range sh.Sets {
		out.Sets[k] = append([]string(nil), v...)
	}
	return out
}

func (s *Sim) rec(r dialog.Ref) *dialog.Shared {
	if s.Shared[r] == nil {
		s.Shared[r] = &dialog.Shared{Ref: r, Exists: true, Fields: map[string]string{}, Members: map[string]string{},
			Counts: map[string]int64{}, Sets: map[string][]string{}}
	}
	return s.Shared[r]
}

func (s *Sim) apply(d, actor string, ef dialog.Effect) {
	switch x := ef.(type) {
	case dialog.SetShared:
		r := s.rec(x.Ref)
		for k, v := range x.Fields {
			if v == "" {
				delete(r.Fields, k)
			} else {
				r.Fields[k] = v
			}
		}
		v, _ := strconv.Atoi(r.Version)
		r.Version = strconv.Itoa(v + 1)
	case dialog.SetMember:
		if x.Value == "" {
			delete(s.rec(x.Ref).Members, x.Member)
		} else {
			s.rec(x.Ref).Members[x.Member] = x.Value
		}
	case dialog.Count:
		s.rec(x.Ref).Counts[x.Name] += x.By
	case dialog.AddToSet:
		r := s.rec(x.Ref)
		for _, it := range r.Sets[x.Set] {
			if it == x.Item {
				return
			}
		}
		r.Sets[x.Set] = append(r.Sets[x.Set], x.Item)
		sort.Strings(r.Sets[x.Set])
	case dialog.RemoveFromSet:
		r := s.rec(x.Ref)
		var keep []string
		for _, it := range r.Sets[x.Set] {
			if it != x.Item {
				keep = append(keep, it)
			}
		}
		r.Sets[x.Set] = keep
	case dialog.SetTimer:
		if x.Person == "" {
			x.Person = actor
		}
		if x.At.IsZero() {
			x.At = s.Now.Add(x.After)
		}
		s.Timers[d+"/"+x.Person+"/"+x.Key] = Timer{Dialog: d, SetTimer: x}
	case dialog.CancelTimer:
		if x.Person == "" {
			x.Person = actor
		}
		delete(s.Timers, d+"/"+x.Person+"/"+x.Key)
	case dialog.Audit:
		s.Audits = append(s.Audits, x.Entry)
	case dialog.Put, dialog.SetProfile, dialog.SetClass:
	default:
		s.T.Fatalf("unexpected effect %T", ef)
	}
}

// Advance moves the clock and fires every timer due by then, earliest first.
func (s *Sim) Advance(d time.Duration) {
	s.T.Helper()
	s.Now = s.Now.Add(d)
	for {
		var due []string
		for k, tm := range s.Timers {
			if !tm.At.After(s.Now) {
				due = append(due, k)
			}
		}
		if len(due) == 0 {
			return
		}
		sort.Slice(due, func(i, j int) bool { return s.Timers[due[i]].At.Before(s.Timers[due[j]].At) })
		tm := s.Timers[due[0]]
		delete(s.Timers, due[0])
		s.Step(tm.Dialog, tm.Person, dialog.Input{Kind: dialog.Wake, Payload: tm.Payload, Timer: tm.Key})
	}
}

// To returns the messages sent to person id privately.
func (s *Sim) To(id string) []chat.Message {
	var out []chat.Message
	for _, m := range s.Out {
		if m.To.Kind == chat.ToPerson && m.To.Person == id {
			out = append(out, m)
		}
	}
	return out
}

// Last returns the last private message to id.
func (s *Sim) Last(id string) chat.Message {
	s.T.Helper()
	ms := s.To(id)
	if len(ms) == 0 {
		s.T.Fatalf("nothing sent to %s", id)
	}
	return ms[len(ms)-1]
}

// Thread returns the messages posted in thread key.
func (s *Sim) Thread(key string) []chat.Message {
	var out []chat.Message
	for _, m := range s.Out {
		if m.To.Kind == chat.ToThread && m.To.Thread == key {
			out = append(out, m)
		}
	}
	return out
}

// Tr renders a catalog text in person id's language.
func (s *Sim) Tr(id, key string, kv ...any) string {
	p, _ := s.School.Person(id)
	return s.Cat.For(s.School.LocaleFor(p)).T(key, kv...)
}

// Choice finds the choice with action on message m.
func Choice(t testing.TB, m chat.Message, action string) chat.Choice {
	t.Helper()
	for _, c := range m.Choices {
		if c.Action == action {
			return c
		}
	}
	t.Fatalf("no %s choice on %q (%+v)", action, m.Text, m.Choices)
	return chat.Choice{}
}

// Press runs the button c for person id.
func (s *Sim) Press(id string, c chat.Choice) dialog.Result {
	s.T.Helper()
	d, _, _ := strings.Cut(c.Action, ".")
	return s.Step(d, id, dialog.Input{Kind: dialog.Choice, Action: c.Action, Value: c.Value})
}

// Type runs typed DM text for person id in dialog d.
func (s *Sim) Type(d, id, text string) dialog.Result {
	s.T.Helper()
	return s.Step(d, id, dialog.Input{Kind: dialog.Text, Text: text})
}

// Command runs a command of dialog d for person id.
func (s *Sim) Command(d, id, cmd string, args map[string]string) dialog.Result {
	s.T.Helper()
	return s.Step(d, id, dialog.Input{Kind: dialog.Command, Command: cmd, Args: args})
}
