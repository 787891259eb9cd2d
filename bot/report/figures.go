package report

import (
	"github.com/kring-school/kring/bot/chart"
	"github.com/kring-school/kring/bot/record"
)

// Figures are the counts and averages a report shows. Days without a mood never count
// as a mood: averages are over the days the pupil gave one.
type Figures struct {
	// SchoolDays is the number of the class's school days in the period.
	SchoolDays int
	// Done, Partial, Missed and Away count the check-in records by status; NoRecord the
	// school days without any (before Kring ran for the class, say).
	Done, Partial, Missed, Away, NoRecord int
	// Moods is how many days have a mood; MoodAvg their mean (0 when none).
	Moods   int
	MoodAvg float64
	// FirstHalf and SecondHalf are the mean moods of the first and second half of the
	// period's school days (0 when a half has none): progress over a long period.
	FirstHalf, SecondHalf float64
	// Low counts days with mood 1 or 2.
	Low int
	// Goals counts goals set; Met, Partly, Not how the pupil said they went the next
	// time; Unknown those without an answer (the last goal, or no check-in after it).
	Goals, Met, Partly, Not, Unknown int
	// HelpAsked counts help requests.
	HelpAsked int
	// Words counts answers to the open question.
	Words int
	// Spark is the period's moods as a text sparkline.
	Spark string
}

// Goal is one goal the pupil set and how it went.
type Goal struct {
	Date, Text string
	Result     record.GoalResult
}

// Month is one calendar month of a long period.
type Month struct {
	// Year and Month name it.
	Year, Month int
	SchoolDays  int
	CheckIns    int
	Moods       int
	MoodAvg     float64
	Met, Goals  int
}

// Compute derives the figures of d.
func Compute(d *Data) Figures {
	f := Figures{SchoolDays: len(d.Days), Spark: chart.Sparkline(d.Days)}
	school := map[string]bool{}
	for _, p := range d.Days {
		school[p.Date.String()] = true
	}
	seen := 0
	for _, c := range d.CheckIns {
		if !school[c.Date] {
			continue // a check-in on a day that is no school day by today's schedule
		}
		seen++
		switch c.Status {
		case record.Done:
			f.Done++
		case record.Partial:
			f.Partial++
		case record.Missed:
			f.Missed++
		case record.Away:
			f.Away++
		}
		if c.Open != "" {
			f.Words++
		}
	}
	f.NoRecord = f.SchoolDays - seen
	half := len(d.Days) / 2
	var sum, s1, s2, n1, n2 int
	for i, p := range d.Days {
		if p.Mood == 0 {
			continue
		}
		f.Moods++
		sum += p.Mood
		if p.Mood <= 2 {
			f.Low++
		}
		if i < half || len(d.Days) == 1 {
			s1 += p.Mood
			n1++
		} else {
			s2 += p.Mood
			n2++
		}
	}
	f.MoodAvg = mean(sum, f.Moods)
	f.FirstHalf, f.SecondHalf = mean(s1, n1), mean(s2, n2)
	for _, g := range Goals(d) {
		f.Goals++
		switch g.Result {
		case record.GoalMet:
			f.Met++
		case record.GoalPartly:
			f.Partly++
		case record.GoalNot:
			f.Not++
		default:
			f.Unknown++
		}
	}
	f.HelpAsked = len(HelpTexts(d))
	return f
}

func mean(sum, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// Goals lists the goals of the period with their outcome: the answer, at the pupil's
// next check-in that asked about it, to "how did your goal go?".
func Goals(d *Data) []Goal {
	var out []Goal
	for i, c := range d.CheckIns {
		if c.Goal == "" {
			continue
		}
		g := Goal{Date: c.Date, Text: c.Goal}
		for _, next := range d.CheckIns[i+1:] {
			if next.PrevResult != "" && next.PrevGoal == c.Goal {
				g.Result = next.PrevResult
				break
			}
			if next.Goal != "" {
				break // a new goal was set without a word on this one
			}
		}
		out = append(out, g)
	}
	return out
}

// Dated is a pupil's text with the day it was written.
type Dated struct{ Date, Text string }

// HelpTexts lists the period's help requests: the stored requests, and the help answers
// of check-ins whose request record is gone.
func HelpTexts(d *Data) []Dated {
	var out []Dated
	have := map[string]bool{}
	for _, h := range d.Help {
		date := h.Created.Format("2006-01-02")
		if d.Class != nil && d.Class.Location != nil {
			date = h.Created.In(d.Class.Location).Format("2006-01-02")
		}
		out = append(out, Dated{Date: date, Text: h.Text})
		have[date+"\x00"+h.Text] = true
	}
	for _, c := range d.CheckIns {
		if c.Help != "" && !have[c.Date+"\x00"+c.Help] {
			out = append(out, Dated{Date: c.Date, Text: c.Help})
		}
	}
	return out
}

// OwnWords lists the pupil's answers to the open question, oldest first.
func OwnWords(d *Data) []Dated {
	var out []Dated
	for _, c := range d.CheckIns {
		if c.Open != "" {
			out = append(out, Dated{Date: c.Date, Text: c.Open})
		}
	}
	return out
}

// Months splits the period by calendar month, for long periods.
func Months(d *Data) []Month {
	var out []Month
	idx := map[[2]int]int{}
	get := func(y, m int) *Month {
		k := [2]int{y, m}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Month{Year: y, Month: m})
		}
		return &out[i]
	}
	sums := map[[2]int]int{}
	for _, p := range d.Days {
		m := get(p.Date.Year, int(p.Date.Month))
		m.SchoolDays++
		if p.Mood > 0 {
			m.Moods++
			sums[[2]int{p.Date.Year, int(p.Date.Month)}] += p.Mood
		}
	}
	for _, c := range d.CheckIns {
		if len(c.Date) < 7 {
			continue
		}
		y, _ := atoi(c.Date[:4])
		mo, _ := atoi(c.Date[5:7])
		k := [2]int{y, mo}
		if _, ok := idx[k]; !ok {
			continue
		}
		m := &out[idx[k]]
		if c.Status == record.Done || c.Status == record.Partial {
			m.CheckIns++
		}
	}
	for _, g := range Goals(d) {
		y, _ := atoi(g.Date[:4])
		mo, _ := atoi(g.Date[5:7])
		if i, ok := idx[[2]int{y, mo}]; ok {
			out[i].Goals++
			if g.Result == record.GoalMet {
				out[i].Met++
			}
		}
	}
	for i := range out {
		out[i].MoodAvg = mean(sums[[2]int{out[i].Year, out[i].Month}], out[i].Moods)
	}
	return out
}

func atoi(s string) (int, bool) {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}
