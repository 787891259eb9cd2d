package alerts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/dialogs/alerts"
)

// TestSilentDaysOverAWeekendAndAHoliday: anna last checked in on Thursday 2026-12-17;
// with silent_days 3, Friday is 1, the weekend does not count, Monday is 2, the
// Christmas holiday from Tuesday does not count, and the first school day after it is
// the third: one alert, and no second one for the same silence; after a check-in a new
// silence counts from the start.
func TestSilentDaysOverAWeekendAndAHoliday(t *testing.T) {
	s := school(t)
	c, _ := s.Class("2B")
	c.Schedule.Holidays = []config.Holiday{{Name: "kerst", From: date(t, "2026-12-22"), To: date(t, "2027-01-03")}}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	anna, _ := s.Person("anna")
	d := alerts.New()
	profile := map[string]string{alerts.ProfileSeen: "2026-12-17"}
	run := func(day string) dialog.Result {
		t.Helper()
		today := date(t, day)
		res, err := d.Step(dialog.Input{Kind: dialog.Start, Job: alerts.JobSilent, Event: "job:silent:" + day,
			Now: c.Schedule.DayEnd.On(today, c.Location), Today: today, School: s, Person: anna, Class: c,
			L: cat.For("nl"), LocalizerFor: func(p *config.Person) *i18n.Localizer { return cat.For("nl") },
			Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Effects {
			if p, ok := e.(dialog.SetProfile); ok {
				for k, v := range p.Fields {
					profile[k] = v
				}
			}
		}
		return res
	}
	alerted := func(res dialog.Result) bool {
		for _, e := range res.Effects {
			if x, ok := e.(dialog.SetShared); ok && x.Fields[safeguard.FieldConcerns] == safeguard.ConcernSilent {
				return true
			}
		}
		return false
	}
	for _, day := range []string{"2026-12-18", "2026-12-21"} { // Friday, Monday
		if alerted(run(day)) {
			t.Fatalf("alerted on %s, before 3 silent school days", day)
		}
	}
	if got := alerts.SilentDays(c, date(t, "2026-12-17"), date(t, "2027-01-04")); got != 3 {
		t.Fatalf("silent school days Thursday → the Monday after the holiday = %d, want 3", got)
	}
	res := run("2027-01-04")
	if !alerted(res) {
		t.Fatal("no alert after 3 silent school days")
	}
	var toMentor string
	for _, m := range res.Messages {
		if m.To.Person == "devries" {
			toMentor = m.Text
		}
		if m.To.Person == "anna" {
			t.Errorf("the pupil was messaged about their own silence: %q", m.Text)
		}
	}
	if !strings.Contains(toMentor, "3 schooldagen") {
		t.Errorf("mentor's alert = %q", toMentor)
	}
	if alerted(run("2027-01-05")) {
		t.Error("alerted twice for one silence")
	}
	profile[alerts.ProfileSeen] = "2027-01-06" // anna checked in again
	for _, day := range []string{"2027-01-07", "2027-01-08"} {
		if alerted(run(day)) {
			t.Fatalf("alerted on %s, 2 days into a new silence", day)
		}
	}
	if !alerted(run("2027-01-11")) {
		t.Error("a new silence after a check-in did not alert")
	}
}

// TestSilentDaysWithoutAnyCheckIn: a pupil Kring never heard from counts from the first
// day the check runs.
func TestSilentDaysWithoutAnyCheckIn(t *testing.T) {
	s := school(t)
	c, _ := s.Class("2B")
	cat, _ := i18n.Load()
	bram, _ := s.Person("bram")
	profile := map[string]string{}
	n := 0
	for day := date(t, "2026-11-23"); day.Before(date(t, "2026-11-28")); day = day.AddDays(1) {
		res, _ := alerts.New().Step(dialog.Input{Kind: dialog.Start, Job: alerts.JobSilent, Event: "e" + day.String(),
			Now: c.Schedule.DayEnd.On(day, c.Location), Today: day, School: s, Person: bram, Class: c,
			L: cat.For("nl"), Profile: profile})
		for _, e := range res.Effects {
			switch x := e.(type) {
			case dialog.SetProfile:
				for k, v := range x.Fields {
					profile[k] = v
				}
			case dialog.SetShared:
				n++
				if day.Weekday() != time.Wednesday {
					t.Errorf("alert on %s, want on the third school day (Wednesday)", day)
				}
			}
		}
	}
	if n != 1 {
		t.Errorf("%d alerts in a silent week, want 1", n)
	}
}

func date(t *testing.T, s string) config.Date {
	t.Helper()
	d, err := config.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
