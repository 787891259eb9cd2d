package poll

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

// sim plays the Engine for the poll: it keeps each person's state and the shared
// records, applies effects the way the Engine's commit does, and fires timers.
type sim struct {
	t      *testing.T
	d      *Dialog
	school *config.School
	cat    *i18n.Catalog
	now    time.Time
	state  map[string][]byte
	listen map[string]bool
	shared map[dialog.Ref]*dialog.Shared
	timers map[string]dialog.SetTimer // key -> timer (person filled in)
	out    []chat.Message
	audits []record.Audit
}

func school(t *testing.T, pupils int) *config.School {
	s := &config.School{ID: "t", Locale: "nl", Classes: []*config.Class{{ID: "2B", Name: "2B"}}}
	s.People = append(s.People,
		&config.Person{ID: "bakker", Name: "Mevr. Bakker", Roles: []config.Role{config.Teacher}, Classes: []string{"2B"}},
		&config.Person{ID: "devries", Name: "Dhr. de Vries", Roles: []config.Role{config.Mentor}, Locale: "en"},
		&config.Person{ID: "mulder", Name: "Mw. Mulder", Roles: []config.Role{config.Care}},
		&config.Person{ID: "jansen", Name: "Dhr. Jansen", Roles: []config.Role{config.Teacher}, Classes: []string{"3A"}},
	)
	for i := 1; i <= pupils; i++ {
		s.People = append(s.People, &config.Person{ID: fmt.Sprintf("p%02d", i), Name: fmt.Sprintf("Pupil %02d", i),
			Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"})
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

func newSim(t *testing.T, pupils int) *sim {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &sim{t: t, d: New(), school: school(t, pupils), cat: cat,
		now:   time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		state: map[string][]byte{}, listen: map[string]bool{}, shared: map[dialog.Ref]*dialog.Shared{},
		timers: map[string]dialog.SetTimer{}}
}

func (s *sim) step(id string, in dialog.Input) dialog.Result {
	s.t.Helper()
	p, ok := s.school.Person(id)
	if !ok {
		s.t.Fatalf("no person %s", id)
	}
	c, _ := s.school.Class(p.Class())
	in.Now, in.Today, in.School, in.Person, in.Class = s.now, config.DateOf(s.now), s.school, p, c
	in.L = s.cat.For(s.school.LocaleFor(p))
	in.LocalizerFor = func(q *config.Person) *i18n.Localizer { return s.cat.For(s.school.LocaleFor(q)) }
	in.Caps = chat.Capabilities{Buttons: true}
	in.State = s.state[id]
	in.Alerts = func(text string) []string {
		if strings.Contains(text, "gepest") {
			return []string{"gepest"}
		}
		return nil
	}
	if in.Event == "" {
		in.Event = fmt.Sprintf("ev-%d", len(s.out))
	}
	// Reads, as the Engine does before loading.
	in.Shared = map[dialog.Ref]dialog.Shared{}
	for _, r := range s.d.Reads(in) {
		if sh, ok := s.shared[r]; ok {
			in.Shared[r] = *sh
		}
	}
	if s.listen[id] {
		var st state
		_ = jsonUnmarshal(s.state[id], &st)
		if r := ref(st.Poll); s.shared[r] != nil {
			in.Shared[r] = *s.shared[r]
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
			s.rec(x.Ref).Fields[k] = v
		}
	case dialog.SetMember:
		s.rec(x.Ref).Members[x.Member] = x.Value
	case dialog.SetTimer:
		if x.Person == "" {
			x.Person = actor
		}
		s.timers[x.Key] = x
	case dialog.CancelTimer:
		delete(s.timers, x.Key)
	case dialog.Audit:
		s.audits = append(s.audits, x.Entry)
	default:
		s.t.Fatalf("unexpected effect %T", ef)
	}
}

// fire runs every timer due by now.
func (s *sim) fire() {
	for k, tm := range s.timers {
		if !tm.At.After(s.now) {
			delete(s.timers, k)
			s.step(tm.Person, dialog.Input{Kind: dialog.Wake, Payload: tm.Payload, Timer: tm.Key})
		}
	}
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
		s.t.Fatalf("nothing sent to %s", id)
	}
	return ms[len(ms)-1]
}

func (s *sim) T(id, key string, kv ...any) string {
	p, _ := s.school.Person(id)
	return s.cat.For(s.school.LocaleFor(p)).T(key, kv...)
}

func (s *sim) create(q string) (string, chat.Message) {
	s.t.Helper()
	s.step("bakker", dialog.Input{Kind: dialog.Command, Command: "poll", Args: map[string]string{"poll": q}})
	for _, m := range s.out {
		if m.To.Kind == chat.ToThread {
			return strings.TrimPrefix(m.To.Thread, Name+":"), m
		}
	}
	s.t.Fatalf("no thread post; sent %+v", s.out)
	return "", chat.Message{}
}

func TestClassPollEndToEnd(t *testing.T) {
	s := newSim(t, 30)
	id, post := s.create("Welk onderwerp eerst? | Breuken | Procenten | Grafieken")
	if post.To.Class != "2B" || len(post.Choices) != 4 || post.Choices[3].Action != Name+".private" {
		t.Fatalf("post = %+v", post)
	}
	if len(s.timers) != 1 {
		t.Fatalf("timers = %v, want the close timer", s.timers)
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
	if got := len(s.shared[ref(id)].Members); got != 30 {
		t.Fatalf("%d answers kept, want 30", got)
	}
	s.now = s.now.Add(PollDuration)
	s.fire()
	report := s.last("bakker").Text
	for n, opt := range []string{"Breuken", "Procenten", "Grafieken"} {
		line := s.T("bakker", "poll.tally_line", "Option", chat.Literal(opt), "Count", want[n+1])
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
	for _, m := range s.out {
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
	if s.shared[ref(id)].Members["p01"] != "2" {
		t.Errorf("late vote changed the answer to %q", s.shared[ref(id)].Members["p01"])
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
	if s.shared[ref(id)].Members["p01"] != "2" {
		t.Fatalf("answer = %q", s.shared[ref(id)].Members["p01"])
	}
	// p02 changes their mind; p03 never answers.
	s.step("p02", dialog.Input{Kind: dialog.Choice, Action: Name + ".vote", Value: id + ":1"})
	s.step("p02", dialog.Input{Kind: dialog.Choice, Action: Name + ".vote", Value: id + ":2"})
	if got := s.last("p02").Text; !strings.Contains(got, "Veranderd") {
		t.Errorf("changed vote answered %q", got)
	}
	// The teacher closes early.
	s.step("bakker", dialog.Input{Kind: dialog.Choice, Action: Name + ".close", Value: id})
	if len(s.timers) != 0 {
		t.Errorf("closing by hand should cancel the timer: %v", s.timers)
	}
	report := s.last("bakker").Text
	if !strings.Contains(report, "2 van de 3") || !strings.Contains(report, "Pupil 03") || strings.Contains(report, "Pupil 01") {
		t.Errorf("report = %q", report)
	}
	for _, m := range s.out {
		if m.To.Kind != chat.ToPerson && strings.Contains(m.Text, "Pupil 03") {
			t.Errorf("who did not answer reached the class: %q", m.Text)
		}
	}
	s.step("bakker", dialog.Input{Kind: dialog.Choice, Action: Name + ".close", Value: id})
	if got := s.last("bakker").Text; got != s.T("bakker", "poll.already_closed") {
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
	if got := s.last("bakker").Text; got != s.T("bakker", "poll.not_for_you") {
		t.Errorf("teacher vote answered %q", got)
	}
	s.step("p01", dialog.Input{Kind: dialog.Choice, Action: Name + ".close", Value: id})
	if got := s.last("p01").Text; got != s.T("p01", "poll.only_teacher") {
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
	for _, m := range s.out {
		told = told || (m.To.Person == "p02" && !m.Staff && strings.Contains(m.Text, "0800-0432"))
	}
	if !told || len(s.audits) != 1 || s.audits[0].Action != "safeguard-alert" {
		t.Errorf("pupil not told where to find help (%v) or alert not audited (%+v)", told, s.audits)
	}
}

func jsonUnmarshal(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}
