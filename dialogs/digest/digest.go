// Package digest gives mentors periodic insight into their mentees, not surveillance: a
// digest per mentor (daily or weekly as the mentor chooses, the school's default
// otherwise), one per mentor even across classes, and a summary on demand (/summary,
// /overzicht) for a mentor (one mentee or all), a pupil (their own) and a class's
// teachers (aggregates over at least MinAggregate pupils). Pupils who need attention
// come first, what is new since the last digest is marked, a quiet pupil is one line,
// and a run of met or missed goals suggests a steering level the mentor accepts with
// one button. Every staff read of a pupil's check-ins is audited.
//
// A digest step reads the mentees' check-ins and help requests pipelined
// (dialog.PeriodReader: an index read and one MGET for all mentees), then its own state,
// then commits: four Redis round trips however many mentees.
package digest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chart"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/dialogs/nod"
)

// Name is the dialog's name.
const Name = "digest"

// The dialog's job, timer, profile field and actions.
const (
	JobDigest     = "digest"
	TimerSend     = "send"
	ProfileDigest = "digest"
	ActionLevel   = Name + ".level"
)

// maxButtons keeps a digest's buttons within what every platform shows.
const maxButtons = 20

// MaxCharts is how many mood charts one digest attaches (for the pupils who need
// attention first), where the platform takes files; the rest have their sparkline.
const MaxCharts = 3

// MinAggregate is the fewest pupils a class figure may be computed over.
const MinAggregate = 5

// Periods of /summary, in calendar days back from today (today included).
var periods = map[string]int{"week": 7, "month": 28, "term": 91}

// Dialog is the mentor digest.
type Dialog struct {
	at config.TimeOfDay
}

// New returns the digest dialog for school (its policy.digest_at).
func New(school *config.School) *Dialog {
	d := &Dialog{at: config.TimeOfDay(15*60 + 30)}
	if school != nil && school.Policy.DigestAt != 0 {
		d.at = school.Policy.DigestAt
	}
	return d
}

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog.
func (*Dialog) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{
		{Name: "summary", Options: []dialog.OptionSpec{
			{Name: "pupil", Kind: dialog.OptPerson},
			{Name: "period", Kind: dialog.OptChoice, Choices: []string{"week", "month", "term"}},
			{Name: "class", Kind: dialog.OptClass},
		}},
		{Name: "digest", Roles: []config.Role{config.Mentor}, Options: []dialog.OptionSpec{
			{Name: "when", Kind: dialog.OptChoice, Required: true, Choices: []string{"daily", "weekly", "off"}},
		}},
	}
}

// Jobs implements dialog.Scheduled: once per class at the digest time; the class's step
// wakes each mentor whose first class (by id) it is, so a mentor with mentees in two
// classes gets one digest.
func (d *Dialog) Jobs(*config.Class) []dialog.Job {
	return []dialog.Job{{Name: JobDigest, At: d.at, Kind: dialog.Start, PerClass: true}}
}

// Mentees returns the pupils whose mentor is id, by name.
func Mentees(s *config.School, id string) []*config.Person {
	var out []*config.Person
	for _, p := range s.People {
		if p.Mentor == id && p.Has(config.Pupil) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// homeClass is the class whose job sends mentor id's digest: the first by id among
// the mentees' classes.
func homeClass(s *config.School, id string) string {
	home := ""
	for _, p := range Mentees(s, id) {
		if c := p.Class(); c != "" && (home == "" || c < home) {
			home = c
		}
	}
	return home
}

// Period implements dialog.PeriodReader.
func (*Dialog) Period(in dialog.Input) ([]string, config.Date, config.Date) {
	ids, days := plan(in)
	return ids, in.Today.AddDays(1 - days), in.Today
}

// plan is who a step reads and over how many days.
func plan(in dialog.Input) ([]string, int) {
	var ids []string
	switch {
	case in.Kind == dialog.Wake && in.Timer == TimerSend:
		for _, p := range Mentees(in.School, in.Person.ID) {
			ids = append(ids, p.ID)
		}
		return ids, periods["week"]
	case in.Kind == dialog.Command && in.Command == "summary":
		days := periods[in.Args["period"]]
		if days == 0 {
			days = periods["week"]
		}
		for _, p := range summaryPupils(in) {
			ids = append(ids, p.ID)
		}
		return ids, days
	}
	return nil, 0
}

// summaryPupils are the pupils /summary shows the person: themselves (a pupil), the
// named mentee or all mentees (a mentor; care coordinators any named pupil), or a
// class's pupils for an aggregate (its teachers and the admins).
func summaryPupils(in dialog.Input) []*config.Person {
	me := in.Person
	if cid := in.Args["class"]; cid != "" {
		c, ok := in.School.Class(cid)
		if ok && (c.Teaches(me) || me.Has(config.Admin)) {
			return in.School.Members(c.ID, config.Pupil)
		}
		return nil
	}
	if me.Has(config.Pupil) {
		return []*config.Person{me}
	}
	if id := in.Args["pupil"]; id != "" {
		p, ok := in.School.Person(id)
		if ok && p.Has(config.Pupil) && (p.Mentor == me.ID || me.Has(config.Care)) {
			return []*config.Person{p}
		}
		return nil
	}
	return Mentees(in.School, me.ID)
}

type state struct {
	// Last is the date of the last digest sent.
	Last string `json:"last,omitempty"`
}

type turn struct {
	in  dialog.Input
	res dialog.Result
	st  state
}

func (t *turn) say(text string, choices ...chat.Choice) {
	t.res.Messages = append(t.res.Messages, chat.Message{
		To: chat.Target{Kind: chat.ToPerson, Person: t.in.Person.ID}, Text: text, Choices: choices,
		Staff: !t.in.Person.Has(config.Pupil)})
}

// Step implements dialog.Dialog.
func (*Dialog) Step(in dialog.Input) (dialog.Result, error) {
	t := &turn{in: in}
	if len(in.State) > 0 {
		_ = json.Unmarshal(in.State, &t.st)
	}
	switch {
	case in.Kind == dialog.Start && in.Job == JobDigest:
		t.wakeMentors()
	case in.Kind == dialog.Wake && in.Timer == TimerSend:
		t.digest()
	case in.Kind == dialog.Command && in.Command == "digest":
		t.setFrequency()
	case in.Kind == dialog.Command && in.Command == "summary":
		t.summary()
	case in.Kind == dialog.Choice && in.Action == ActionLevel:
		t.level()
	}
	return t.res, nil
}

// wakeMentors is the class's job: a timer now for each mentor whose home class it is.
func (t *turn) wakeMentors() {
	c := t.in.Class
	if c == nil || !c.IsSchoolDay(t.in.Today) {
		return
	}
	seen := map[string]bool{}
	for _, p := range t.in.School.Members(c.ID, config.Pupil) {
		m := p.Mentor
		if m == "" || seen[m] || homeClass(t.in.School, m) != c.ID {
			continue
		}
		seen[m] = true
		if _, ok := t.in.School.Person(m); !ok {
			continue
		}
		t.res.Effects = append(t.res.Effects, dialog.SetTimer{Key: TimerSend, Person: m, At: t.in.Now, Payload: t.in.Today.String()})
	}
}

// frequency is the mentor's choice, else the school's.
func (t *turn) frequency() string {
	if f := t.in.Profile[ProfileDigest]; f != "" {
		return f
	}
	return t.in.School.Policy.Digest
}

// lastSchoolDayOfWeek reports whether no school day of class c follows today in the same week.
func lastSchoolDayOfWeek(c *config.Class, today config.Date) bool {
	for d := today.AddDays(1); d.Weekday() != 1 && d.Weekday() != 0; d = d.AddDays(1) {
		if c.IsSchoolDay(d) {
			return false
		}
	}
	return true
}

// digest sends the mentor's digest, when their frequency says today.
func (t *turn) digest() {
	if t.in.Payload != t.in.Today.String() {
		// A day's wake-up that fired only on a later day (Kring was down): that day's
		// digest is past; today's job wakes the mentor for today's.
		return
	}
	home, ok := t.in.School.Class(homeClass(t.in.School, t.in.Person.ID))
	if !ok {
		return
	}
	switch t.frequency() {
	case "off":
		return
	case "weekly":
		if !lastSchoolDayOfWeek(home, t.in.Today) {
			return
		}
	}
	since, _ := config.ParseDate(t.st.Last)
	ms := t.summarise(since)
	if len(ms) == 0 {
		return
	}
	from := t.in.Today.AddDays(1 - periods["week"])
	t.send(ms, from, "digest.head")
	t.st.Last = t.in.Today.String()
	doc, _ := json.Marshal(t.st)
	t.res.State = doc
}

// summarise computes the digest of every pupil read, audited as a staff read.
func (t *turn) summarise(since config.Date) []Mentee {
	_, days := plan(t.in)
	from := t.in.Today.AddDays(1 - days)
	var out []Mentee
	for _, pp := range t.in.Periods {
		p, ok := t.in.School.Person(pp.Pupil)
		if !ok {
			continue
		}
		c, ok := t.in.School.Class(p.Class())
		if !ok {
			continue
		}
		pp.Questions = Visible(t.in.School, t.in.Person, pp.Questions)
		out = append(out, Summarise(p, c, pp, from, t.in.Today, since, p.Level))
		if p.ID != t.in.Person.ID {
			t.res.Effects = append(t.res.Effects, dialog.Audit{Entry: record.Audit{Time: t.in.Now, Actor: t.in.Person.ID,
				Action: "digest-read", Subject: p.ID, Detail: from.String() + ".." + t.in.Today.String()}})
		}
	}
	Order(out)
	return out
}

// send renders ms for the person.
func (t *turn) send(ms []Mentee, from config.Date, head string) {
	L := t.in.L
	var b strings.Builder
	b.WriteString(L.T(head, "From", from.String(), "To", t.in.Today.String()))
	var quiet []Mentee
	var choices []chat.Choice
	// A nod says "your mentor has seen your check-in": only the mentor's, only for a
	// pupil who gave one, and those who need attention get theirs first, so the cap
	// never drops one of theirs.
	nodFor := func(m Mentee) {
		if t.in.Person.ID == m.Pupil.Mentor && m.Answered > 0 && len(choices) < maxButtons {
			choices = append(choices, chat.Choice{Action: nod.ActionNod, Value: m.Pupil.ID,
				Label: L.T("digest.nod", "Name", chat.Literal(firstName(m.Pupil)))})
		}
	}
	attention := false
	for _, m := range ms {
		if len(m.Attention) == 0 && m.New == 0 && m.Level == "" {
			quiet = append(quiet, m)
			continue
		}
		if !attention {
			b.WriteString("\n\n" + L.T("digest.attention"))
			attention = true
		}
		b.WriteString("\n" + Line(L, t.in.School, t.in.Person.ID, m))
		nodFor(m)
		if m.Level != "" && t.in.Person.ID == m.Pupil.Mentor {
			b.WriteString("\n" + L.T("digest.steer."+steerKey(m), "Name", chat.Literal(m.Pupil.Name),
				"Level", L.T("choice."+string(m.Level))))
			choices = append(choices, chat.Choice{Action: ActionLevel, Value: m.Pupil.ID + ":" + string(m.Level),
				Label: L.T("digest.steer.accept", "Name", chat.Literal(firstName(m.Pupil)), "Level", L.T("choice."+string(m.Level)))})
		}
	}
	if len(quiet) > 0 {
		b.WriteString("\n\n" + L.T("digest.quiet"))
		for _, m := range quiet {
			b.WriteString("\n" + L.T("digest.quiet_line", "Name", chat.Literal(m.Pupil.Name), "Spark", m.Spark,
				"Answered", m.Answered, "Days", m.SchoolDays, "Away", m.Away))
			nodFor(m)
		}
	}
	t.say(b.String(), choices...)
	t.charts(ms, from)
}

// charts attaches a mood chart of each pupil who needs attention (at most MaxCharts)
// where the mentor's platform takes files, each in a staff-only message of its own.
func (t *turn) charts(ms []Mentee, from config.Date) {
	if !t.in.Caps.Files {
		return
	}
	L := t.in.L
	n := 0
	for _, m := range ms {
		if n == MaxCharts || len(m.Attention) == 0 || m.Moods == 0 {
			continue
		}
		title := L.T("report.chart.title")
		if len(m.Days) >= chart.LongPeriod {
			title = L.T("report.chart.title_long")
		}
		png, err := chart.Mood(m.Days, chart.Labels{
			Title: title,
			Moods: [5]string{L.T("report.chart.mood.1"), "2", "3", "4", L.T("report.chart.mood.5")},
		})
		if err != nil {
			// A chart is a courtesy beside the sparkline already in the text.
			continue
		}
		n++
		name := chat.Literal(m.Pupil.Name)
		t.res.Messages = append(t.res.Messages, chat.Message{
			To:    chat.Target{Kind: chat.ToPerson, Person: t.in.Person.ID},
			Text:  L.T("digest.chart", "Name", name),
			Staff: true,
			// The file name never holds the pupil's name.
			Image: &chat.Image{Name: chart.FileName("mood", from, t.in.Today), PNG: png,
				Alt: L.T("digest.chart_alt", "Name", name, "Spark", m.Spark)},
		})
	}
}

func steerKey(m Mentee) string {
	if m.Met >= SteerRun {
		return "up"
	}
	return "down"
}

func firstName(p *config.Person) string {
	f, _, _ := strings.Cut(p.Name, " ")
	return f
}

// Line is one pupil's line in a digest: new mark, name, sparkline, check-ins, mood,
// goals, help requests, open questions, and why they need attention. Names of the
// staff a question waits on come from s; a question waiting on reader says "you".
func Line(L *i18n.Localizer, s *config.School, reader string, m Mentee) string {
	avg := "–"
	if m.Moods > 0 {
		avg = fmt.Sprintf("%.1f", m.Average())
	}
	mark := ""
	if m.New > 0 {
		mark = L.T("digest.new") + " "
	}
	line := L.T("digest.line", "Mark", mark, "Name", chat.Literal(m.Pupil.Name), "Spark", m.Spark,
		"Answered", m.Answered, "Days", m.SchoolDays, "Missed", m.Missed, "Away", m.Away, "Avg", avg,
		"Met", m.Met, "Partly", m.Partly, "Not", m.NotMet, "Help", len(m.Help))
	var why []string
	for _, w := range m.Attention {
		if w == "alert" {
			var cs []string
			for _, a := range m.OpenAlerts {
				cs = append(cs, safeguard.ConcernNames(L, strings.Split(a, ",")))
			}
			why = append(why, L.N("digest.why.alert", len(m.OpenAlerts), "Concerns", strings.Join(cs, "; ")))
			continue
		}
		why = append(why, L.T("digest.why."+w))
	}
	if len(why) > 0 {
		line += "\n   " + L.T("digest.why", "Why", strings.Join(why, ", "))
	}
	for _, h := range m.Help {
		line += "\n   " + L.T("digest.help_item", "Text", chat.Literal(h.Text))
	}
	loc := time.UTC
	if c, ok := s.Class(m.Pupil.Class()); ok && c.Location != nil {
		loc = c.Location
	}
	for _, q := range m.Questions {
		to := q.To
		if p, ok := s.Person(q.To); ok {
			to = p.Name
		}
		to = chat.Literal(to)
		if q.To == reader {
			to = L.T("digest.question_you")
		}
		subject := q.Subject
		if subject == "" {
			subject = L.T("digest.question_no_subject")
		}
		line += "\n   " + L.T("digest.question_item", "To", to, "Subject", chat.Literal(subject),
			"Since", config.DateOf(q.Created.In(loc)).String(), "Text", chat.Literal(q.Text))
	}
	return line
}

// setFrequency is /digest daily|weekly|off.
func (t *turn) setFrequency() {
	when := t.in.Args["when"]
	if when != "daily" && when != "weekly" && when != "off" {
		t.say(t.in.L.T("digest.usage", "Command", t.in.L.T("cmd.digest.name")))
		return
	}
	t.res.Effects = append(t.res.Effects, dialog.SetProfile{Person: t.in.Person.ID, Fields: map[string]string{ProfileDigest: when}})
	t.say(t.in.L.T("digest.frequency."+when, "At", t.in.School.Policy.DigestAt.String()))
}

// summary is /summary: the pupils the person may see, or a class's aggregate.
func (t *turn) summary() {
	L := t.in.L
	if len(t.in.Periods) == 0 {
		t.say(L.T("digest.summary.none"))
		return
	}
	days := periods[t.in.Args["period"]]
	if days == 0 {
		days = periods["week"]
	}
	from := t.in.Today.AddDays(1 - days)
	if t.in.Args["class"] != "" {
		t.aggregate(from)
		return
	}
	ms := t.summarise(config.Date{})
	t.send(ms, from, "digest.summary.head")
}

// aggregate is a class figure: only over at least MinAggregate pupils, moods only
// where given ("did not answer" is never a mood). No pupil's name or words.
func (t *turn) aggregate(from config.Date) {
	L := t.in.L
	c, _ := t.in.School.Class(t.in.Args["class"])
	if len(t.in.Periods) < MinAggregate {
		t.say(L.T("digest.class.too_few", "Class", chat.Literal(c.Name), "Min", MinAggregate))
		return
	}
	var days, answered, moods, sum, low int
	for _, pp := range t.in.Periods {
		p, _ := t.in.School.Person(pp.Pupil)
		m := Summarise(p, c, pp, from, t.in.Today, config.Date{}, p.Level)
		days += m.SchoolDays
		answered += m.Answered
		moods += m.Moods
		sum += m.MoodSum
		low += m.Low
	}
	avg := "–"
	if moods > 0 {
		avg = fmt.Sprintf("%.1f", float64(sum)/float64(moods))
	}
	pct := 0
	if days > 0 {
		pct = answered * 100 / days
	}
	t.say(L.T("digest.class", "Class", chat.Literal(c.Name), "From", from.String(), "To", t.in.Today.String(),
		"Pupils", len(t.in.Periods), "Percent", pct, "Avg", avg, "Moods", moods, "Low", low))
	t.res.Effects = append(t.res.Effects, dialog.Audit{Entry: record.Audit{Time: t.in.Now, Actor: t.in.Person.ID,
		Action: "class-summary", Subject: "@" + c.ID, Detail: from.String() + ".." + t.in.Today.String()}})
}

// level accepts a suggested steering level: the mentor of the pupil only.
func (t *turn) level() {
	pid, lv, _ := strings.Cut(t.in.Value, ":")
	p, ok := t.in.School.Person(pid)
	valid := false
	for _, l := range config.Levels {
		valid = valid || string(l) == lv
	}
	if !ok || !valid || (p.Mentor != t.in.Person.ID && !t.in.Person.Has(config.Care)) {
		t.say(t.in.L.T("digest.steer.not_yours"))
		return
	}
	t.res.Effects = append(t.res.Effects,
		dialog.SetProfile{Person: p.ID, Fields: map[string]string{"level": lv}},
		dialog.Audit{Entry: record.Audit{Time: t.in.Now, Actor: t.in.Person.ID, Action: "set-level", Subject: p.ID, Detail: lv}})
	t.say(t.in.L.T("checkin.level.saved", "Name", chat.Literal(p.Name), "Level", t.in.L.T("checkin.level."+lv)))
}
