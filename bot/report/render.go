package report

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	htmltemplate "html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/kring-school/kring/bot/chart"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

//go:embed templates/*
var templateFS embed.FS

var (
	htmlTmpl = htmltemplate.Must(htmltemplate.New("report.html.tmpl").ParseFS(templateFS, "templates/report.html.tmpl"))
	mdTmpl   = texttemplate.Must(texttemplate.New("report.md.tmpl").Funcs(texttemplate.FuncMap{"md": Escape, "cell": cell}).ParseFS(templateFS, "templates/report.md.tmpl"))
)

// Page is one report, rendered: the texts in the reader's language and the chart.
// Every field holding a person's words is plain text; the templates escape it.
type Page struct {
	Lang, Title, Period, Mentor, Generated string
	// Chart is the mood chart as a PNG (nil when the period has no mood at all).
	Chart    []byte
	ChartAlt string
	Figures  Figures

	Mood   Section
	Checks struct {
		Heading string
		Rows    []Row
	}
	Goals struct {
		Section
		Head [3]string
		Rows []GoalRow
	}
	Help      DatedSection
	Words     DatedSection
	Questions struct {
		Section
		Head [4]string
		Rows []QuestionRow
	}
	// Contact are the nods and relayed messages, Notes the mentor's notes, in time order.
	Contact, Notes SaidSection
	Months         struct {
		Heading string
		Head    [5]string
		Rows    [][5]string
	}
}

// Section is a heading with paragraphs.
type Section struct {
	Heading string
	Lines   []string
}

// Row is a label and a figure.
type Row struct {
	Label string
	Value int
}

// GoalRow is one goal line.
type GoalRow struct{ Date, Goal, Result string }

// QuestionRow is one question to a teacher; Status is in words.
type QuestionRow struct{ Date, Subject, Text, Status string }

// Said is one nod, message or note: when, who said it (to whom) as a lead-in, and the
// words (empty for a nod without words).
type Said struct{ Date, Who, Text string }

// SaidSection lists what mentor and pupil said, in time order.
type SaidSection struct {
	Section
	Items []Said
}

// DatedSection lists a pupil's texts by date.
type DatedSection struct {
	Section
	Items []Dated
}

// Build lays out the report of d in L's language; by and now say who made it and when.
// by is also the reader the page is for: an anonymous question of the pupil is shown to
// the pupil themselves, and to anyone else only when the school's policy
// teacher_sees_anonymous_name says so.
func Build(d *Data, L *i18n.Localizer, by *config.Person, now time.Time) (*Page, error) {
	f := Compute(d)
	date := func(s string) string {
		dt, err := config.ParseDate(s)
		if err != nil {
			return s
		}
		return formatDate(L, dt)
	}
	num := func(v float64) string {
		if v == 0 {
			return L.T("report.none")
		}
		return strings.Replace(strconv.FormatFloat(v, 'f', 1, 64), ".", L.T("report.decimal"), 1)
	}
	className := d.Class.Name
	if className == "" {
		className = d.Class.ID
	}
	p := &Page{
		Lang:    L.Lang(),
		Title:   L.T("report.title", "Name", d.Pupil.Name),
		Period:  L.T("report.period", "Class", className, "From", formatDate(L, d.From), "To", formatDate(L, d.To)),
		Figures: f,
	}
	if d.Mentor != nil {
		p.Mentor = L.T("report.mentor", "Name", d.Mentor.Name)
	}
	byName := ""
	if by != nil {
		byName = by.Name
	}
	p.Generated = L.T("report.generated", "Date", formatDate(L, config.DateOf(now)), "By", byName)

	p.Mood.Heading = L.T("report.section.mood")
	if f.Moods == 0 {
		p.Mood.Lines = []string{L.T("report.mood.none")}
	} else {
		p.Mood.Lines = []string{
			L.T("report.mood.summary", "Avg", num(f.MoodAvg), "N", f.Moods, "Days", f.SchoolDays, "First", num(f.FirstHalf), "Second", num(f.SecondHalf)),
			L.T("report.mood.low", "N", f.Low),
		}
	}
	if f.Moods > 0 {
		// A chart without a single mood would only be an empty frame.
		title := L.T("report.chart.title")
		if len(d.Days) >= chart.LongPeriod {
			title = L.T("report.chart.title_long")
		}
		png, err := chart.Mood(d.Days, chart.Labels{
			Title: title,
			Moods: [5]string{L.T("report.chart.mood.1"), "2", "3", "4", L.T("report.chart.mood.5")},
			Date:  func(dt config.Date) string { return shortDate(L, dt) },
		})
		if err != nil {
			return nil, fmt.Errorf("report of %s: %w", d.Pupil.ID, err)
		}
		p.Chart = png
		p.ChartAlt = L.T("report.chart.alt", "From", formatDate(L, d.From), "To", formatDate(L, d.To))
		p.Mood.Lines = append(p.Mood.Lines, L.T("report.spark", "Spark", f.Spark))
	}

	p.Checks.Heading = L.T("report.section.checkins")
	p.Checks.Rows = []Row{
		{L.T("report.checkins.schooldays"), f.SchoolDays},
		{L.T("report.checkins.done"), f.Done},
		{L.T("report.checkins.partial"), f.Partial},
		{L.T("report.checkins.missed"), f.Missed},
		{L.T("report.checkins.away"), f.Away},
		{L.T("report.checkins.norecord"), f.NoRecord},
	}

	p.Goals.Heading = L.T("report.section.goals")
	if f.Goals == 0 {
		p.Goals.Lines = []string{L.T("report.goals.none")}
	} else {
		p.Goals.Lines = []string{L.T("report.goals.summary", "Goals", f.Goals, "Met", f.Met, "Partly", f.Partly, "Not", f.Not, "Unknown", f.Unknown)}
		p.Goals.Head = [3]string{L.T("report.goals.date"), L.T("report.goals.goal"), L.T("report.goals.result")}
		for _, g := range Goals(d) {
			p.Goals.Rows = append(p.Goals.Rows, GoalRow{Date: date(g.Date), Goal: pupilText(d, L, g.Text), Result: goalResult(L, g.Result)})
		}
	}

	p.Help.Heading = L.T("report.section.help")
	for _, h := range HelpTexts(d) {
		p.Help.Items = append(p.Help.Items, Dated{Date: date(h.Date), Text: pupilText(d, L, h.Text)})
	}
	if len(p.Help.Items) == 0 {
		p.Help.Lines = []string{L.T("report.help.none")}
	}
	p.Words.Heading = L.T("report.section.words")
	for _, w := range OwnWords(d) {
		p.Words.Items = append(p.Words.Items, Dated{Date: date(w.Date), Text: pupilText(d, L, w.Text)})
	}
	if len(p.Words.Items) == 0 {
		p.Words.Lines = []string{L.T("report.words.none")}
	} else {
		p.Words.Lines = []string{L.T("report.words.intro", "Name", firstName(d.Pupil))}
	}

	buildQuestions(p, d, L, by)
	buildMentor(p, d, L)

	if len(d.Days) >= chart.LongPeriod {
		p.Months.Heading = L.T("report.section.months")
		p.Months.Head = [5]string{L.T("report.months.month"), L.T("report.months.schooldays"), L.T("report.months.checkins"), L.T("report.months.mood"), L.T("report.months.goals")}
		names := strings.Split(L.T("report.months.names"), ",")
		for _, m := range Months(d) {
			name := strconv.Itoa(m.Month)
			if m.Month >= 1 && m.Month <= len(names) {
				name = names[m.Month-1]
			}
			p.Months.Rows = append(p.Months.Rows, [5]string{
				name + " " + strconv.Itoa(m.Year), strconv.Itoa(m.SchoolDays), strconv.Itoa(m.CheckIns),
				num(m.MoodAvg), strconv.Itoa(m.Met) + "/" + strconv.Itoa(m.Goals),
			})
		}
	}
	return p, nil
}

// buildQuestions fills the questions section for reader by. An anonymous question the
// reader may not see is left out, not counted or hinted at: a count would tell it.
func buildQuestions(p *Page, d *Data, L *i18n.Localizer, by *config.Person) {
	p.Questions.Heading = L.T("report.section.questions")
	reader, anonShown := "", d.School != nil && d.School.Policy.TeacherSeesAnonymousName
	if by != nil {
		reader = by.ID
	}
	for _, q := range d.Questions {
		if !q.VisibleTo(reader, anonShown) {
			continue
		}
		subject := q.Subject
		if subject == "" {
			subject = L.T("report.question.subject_none")
		}
		status := questionStatus(L, q.Status)
		if q.Waiting() && q.To != "" {
			status = L.T("report.question.status.open_to", "Who", name(d, q.To))
		}
		if q.Anon {
			status = L.T("report.question.anon", "Status", status)
		}
		p.Questions.Rows = append(p.Questions.Rows, QuestionRow{Date: dateOf(L, d, q.Created), Subject: subject, Text: pupilText(d, L, q.Text), Status: status})
	}
	if len(p.Questions.Rows) == 0 {
		p.Questions.Lines = []string{L.T("report.questions.none")}
		return
	}
	p.Questions.Lines = []string{L.T("report.questions.intro")}
	p.Questions.Head = [4]string{L.T("report.questions.date"), L.T("report.questions.subject"), L.T("report.questions.question"), L.T("report.questions.status")}
}

func questionStatus(L *i18n.Localizer, status string) string {
	switch status {
	case "open", "answered", "closed", "withdrawn":
		return L.T("report.question.status." + status)
	}
	return L.T("report.question.status.unknown")
}

// buildMentor fills the sections of nods and messages, and of the mentor's notes.
func buildMentor(p *Page, d *Data, L *i18n.Localizer) {
	type said struct {
		record.Note
		nod bool
	}
	var contact []said
	for _, n := range d.Nods {
		contact = append(contact, said{n, true})
	}
	for _, n := range d.Relays {
		contact = append(contact, said{n, false})
	}
	sort.SliceStable(contact, func(a, b int) bool {
		ta, tb := contact[a].Time, contact[b].Time
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		// A pupil's message is always an answer to the mentor's: at the same moment (a
		// clock that stood still, the terminal's) the mentor's comes first.
		return contact[a].From != d.Pupil.ID && contact[b].From == d.Pupil.ID
	})
	p.Contact.Heading = L.T("report.section.contact")
	for _, c := range contact {
		who := L.T("report.contact.relay", "From", name(d, c.From), "To", name(d, c.To))
		if c.nod {
			who = L.T("report.contact.nod", "Who", name(d, c.From))
			if strings.TrimSpace(c.Text) == "" {
				who = L.T("report.contact.nod_silent", "Who", name(d, c.From))
			}
		}
		text := c.Text
		if c.From == d.Pupil.ID {
			text = pupilText(d, L, text)
		}
		p.Contact.Items = append(p.Contact.Items, Said{Date: dateOf(L, d, c.Time), Who: who, Text: text})
	}
	if len(p.Contact.Items) == 0 {
		p.Contact.Lines = []string{L.T("report.contact.none")}
	}
	p.Notes.Heading = L.T("report.section.notes")
	for _, n := range d.Notes {
		p.Notes.Items = append(p.Notes.Items, Said{Date: dateOf(L, d, n.Time), Who: L.T("report.notes.by", "Who", name(d, n.From)), Text: n.Text})
	}
	if len(p.Notes.Items) == 0 {
		p.Notes.Lines = []string{L.T("report.notes.none")}
	}
}

// pupilText is what the report shows of a text the pupil wrote: the text, or a line
// saying it was withheld because it went to the mentor and care as an alert.
func pupilText(d *Data, L *i18n.Localizer, s string) string {
	if d.Sensitive != nil && d.Sensitive(s) {
		return L.T("report.withheld")
	}
	return s
}

// name is the roster name of id. Someone gone from the roster (or never on it) shows
// as the id: that is all the page can say about them.
func name(d *Data, id string) string {
	if d.School != nil {
		if person, ok := d.School.Person(id); ok && person.Name != "" {
			return person.Name
		}
	}
	return id
}

// dateOf is the day of t in the class's time zone, as the pupil lived it.
func dateOf(L *i18n.Localizer, d *Data, t time.Time) string {
	if d.Class != nil && d.Class.Location != nil {
		t = t.In(d.Class.Location)
	}
	return formatDate(L, config.DateOf(t))
}

func goalResult(L *i18n.Localizer, r record.GoalResult) string {
	switch r {
	case record.GoalMet, record.GoalPartly, record.GoalNot:
		return L.T("report.goal." + string(r))
	}
	return L.T("report.goal.unknown")
}

func formatDate(L *i18n.Localizer, d config.Date) string {
	names := strings.Split(L.T("report.months.names"), ",")
	month := strconv.Itoa(int(d.Month))
	if int(d.Month) <= len(names) {
		month = names[d.Month-1]
	}
	return L.T("report.date", "Day", d.Day, "Month", month, "Year", d.Year)
}

// shortDate is a date under the chart's axis: day and the month's first three letters.
func shortDate(L *i18n.Localizer, d config.Date) string {
	names := strings.Split(L.T("report.months.names"), ",")
	if int(d.Month) > len(names) {
		return fmt.Sprintf("%d-%d", d.Day, int(d.Month))
	}
	m := []rune(names[d.Month-1])
	return fmt.Sprintf("%d %s", d.Day, string(m[:min(3, len(m))]))
}

func firstName(p *config.Person) string {
	if f := strings.Fields(p.Name); len(f) > 0 {
		return f[0]
	}
	return p.ID
}

// ChartURI is the chart as a data: URI, so the page needs no other file.
func (p *Page) ChartURI() htmltemplate.URL {
	if p.Chart == nil {
		return ""
	}
	// Safe: the URI is made here from PNG bytes, never from anything a person typed.
	return htmltemplate.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p.Chart))
}

// HTML writes the page as one self-contained, printable HTML document.
func (p *Page) HTML(w io.Writer) error {
	var buf bytes.Buffer
	if err := htmlTmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("render report page: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// Markdown writes the page as Markdown, the chart embedded as a data: URI.
func (p *Page) Markdown(w io.Writer) error {
	var buf bytes.Buffer
	if err := mdTmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("render report markdown: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// cell escapes text for a Markdown table cell, where a line break would end the row.
func cell(s string) string {
	return Escape(strings.Join(strings.Fields(s), " "))
}

// Escape makes text inert in Markdown: characters that make markup anywhere in a line
// (emphasis, code, links, HTML, tables, strikethrough, autolinks) get a backslash, and
// those that only do so at the start of a line (headings, lists, quotes, rules) get
// one there; a line break stays a line break inside a list item.
func Escape(s string) string {
	var b strings.Builder
	start := true
	var prev rune
	for _, r := range s {
		switch {
		case r == '\r':
			continue
		case r == '\n':
			b.WriteString("\\\n  ")
			start, prev = true, r
			continue
		case strings.ContainsRune("\\`*_{}[]<>|~&!:", r),
			start && strings.ContainsRune("#-+=>", r),
			r == '.' && prev >= '0' && prev <= '9':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		if r != ' ' && r != '\t' {
			start = false
		}
		prev = r
	}
	return b.String()
}
