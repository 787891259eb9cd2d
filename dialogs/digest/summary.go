package digest

import (
	"sort"

	"github.com/kring-school/kring/bot/chart"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
)

// Mentee is what a digest says about one pupil over a period.
type Mentee struct {
	Pupil *config.Person
	// Days are the period's school days with the mood of each (0: none).
	Days []chart.Point
	// Spark is Days as a text sparkline.
	Spark string
	// SchoolDays, Answered, Away and Missed count the period's school days; a day
	// without any check-in counts as missed, except today (the check-in may be under way).
	SchoolDays, Answered, Away, Missed int
	// Moods counts answered moods (never "did not answer") and Low those of 1 or 2.
	Moods, MoodSum, Low int
	// Goals counts how the goals went, by result.
	Met, Partly, NotMet int
	// Help are the help requests of the period.
	Help []record.HelpRequest
	// Questions are the pupil's questions to teachers still waiting for an answer,
	// oldest first (only those the reader may see: see Visible).
	Questions []record.Question
	// New counts check-ins and help requests after the last digest.
	New int
	// Attention lists why the pupil needs attention (catalog keys digest.why.*).
	Attention []string
	// OpenAlerts are the concerns of each alert about the pupil nobody handled yet.
	OpenAlerts []string
	// Level is a suggested steering level ("" none): after a run of met or missed goals.
	Level config.Level
}

// Average is the mean mood over the days a mood was given (0: none).
func (m Mentee) Average() float64 {
	if m.Moods == 0 {
		return 0
	}
	return float64(m.MoodSum) / float64(m.Moods)
}

// Summarise computes a pupil's digest over [from, to] from the records read; records
// newer than since (exclusive; zero: none) are counted as new. level is the pupil's
// steering level on the roster; the level of their latest check-in takes precedence.
func Summarise(p *config.Person, c *config.Class, pp dialog.PupilPeriod, from, to, since config.Date, level config.Level) Mentee {
	m := Mentee{Pupil: p}
	moods := map[string]int{}
	seen := map[string]record.CheckIn{}
	var results []record.GoalResult
	for _, ci := range pp.CheckIns {
		if ci.Date < from.String() || ci.Date > to.String() {
			continue
		}
		seen[ci.Date] = ci
		if ci.Mood >= 1 && ci.Mood <= 5 && ci.Status != record.Missed {
			moods[ci.Date] = ci.Mood
			m.Moods++
			m.MoodSum += ci.Mood
			if ci.Mood <= 2 {
				m.Low++
			}
		}
		switch ci.PrevResult {
		case record.GoalMet:
			m.Met++
		case record.GoalPartly:
			m.Partly++
		case record.GoalNot:
			m.NotMet++
		}
		if ci.PrevResult != "" {
			results = append(results, ci.PrevResult)
		}
		if ci.Level != "" {
			level = config.Level(ci.Level)
		}
		if !since.IsZero() && ci.Date > since.String() && ci.Status != record.Missed {
			m.New++
		}
	}
	for _, h := range pp.Help {
		if d := config.DateOf(h.Created.In(c.Location)); !d.Before(from) && !to.Before(d) {
			m.Help = append(m.Help, h)
			if !since.IsZero() && since.Before(d) {
				m.New++
			}
		}
	}
	for _, q := range pp.Questions {
		if !q.Waiting() {
			continue
		}
		m.Questions = append(m.Questions, q)
		if d := config.DateOf(q.Created.In(c.Location)); !since.IsZero() && since.Before(d) {
			m.New++
		}
	}
	days := chart.SchoolDays(c, from, to)
	m.Days = chart.Series(days, moods)
	m.Spark = chart.Sparkline(m.Days)
	m.SchoolDays = len(days)
	for _, d := range days {
		ci, ok := seen[d.String()]
		switch {
		case ok && (ci.Status == record.Done || ci.Status == record.Partial):
			m.Answered++
		case ok && ci.Status == record.Away:
			m.Away++
		case ok || d.Before(to):
			m.Missed++
		}
	}
	m.OpenAlerts = pp.OpenAlerts
	if len(m.OpenAlerts) > 0 {
		m.Attention = append(m.Attention, "alert")
	}
	if m.Low > 0 {
		m.Attention = append(m.Attention, "lowmood")
	}
	if m.Missed >= 2 {
		m.Attention = append(m.Attention, "missed")
	}
	if len(m.Help) > 0 {
		m.Attention = append(m.Attention, "help")
	}
	if m.NotMet >= 2 {
		m.Attention = append(m.Attention, "goals")
	}
	if len(m.Questions) > 0 {
		m.Attention = append(m.Attention, "question")
	}
	m.Level = Steer(results, level)
	return m
}

// Visible keeps the questions reader may see in a digest or summary: the pupil sees
// all of their own; staff see an anonymous question only when the school's policy
// shows teachers who asked one (the pupil chose not to be named, so it is left out,
// not counted).
func Visible(s *config.School, reader *config.Person, qs []record.Question) []record.Question {
	id := ""
	if reader != nil {
		id = reader.ID
	}
	var out []record.Question
	for _, q := range qs {
		if q.VisibleTo(id, s.Policy.TeacherSeesAnonymousName) {
			out = append(out, q)
		}
	}
	return out
}

// SteerRun is how many goal results in a row suggest a level change.
const SteerRun = 4

// Steer suggests a steering level from the last goal results (oldest first): SteerRun
// goals met in a row suggest more self-direction, SteerRun not met in a row more
// teacher direction; "" when the results suggest no change or the level is at its end.
func Steer(results []record.GoalResult, level config.Level) config.Level {
	if len(results) < SteerRun {
		return ""
	}
	last := results[len(results)-SteerRun:]
	all := func(r record.GoalResult) bool {
		for _, x := range last {
			if x != r {
				return false
			}
		}
		return true
	}
	i := 0
	for j, l := range config.Levels {
		if l == level {
			i = j
		}
	}
	switch {
	case all(record.GoalMet) && i+1 < len(config.Levels):
		return config.Levels[i+1]
	case all(record.GoalNot) && i > 0:
		return config.Levels[i-1]
	}
	return ""
}

// Order puts pupils who need attention first (most reasons first), then by name.
func Order(ms []Mentee) {
	sort.SliceStable(ms, func(a, b int) bool {
		if len(ms[a].Attention) != len(ms[b].Attention) {
			return len(ms[a].Attention) > len(ms[b].Attention)
		}
		return ms[a].Pupil.Name < ms[b].Pupil.Name
	})
}
