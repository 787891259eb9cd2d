package alerts

import (
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/safeguard"
)

// SilentDays counts the school days of class c after from up to and including to
// (weekends and holidays do not count).
func SilentDays(c *config.Class, from, to config.Date) int {
	n := 0
	for d := from.AddDays(1); !to.Before(d); d = d.AddDays(1) {
		if c.IsSchoolDay(d) {
			n++
		}
	}
	return n
}

// silent is the end-of-day check: a pupil who has not checked in (nor said they were
// away) for policy.silent_days school days raises one alert, once per episode: the
// next alert only after they checked in again.
func (t *turn) silent() {
	in := t.in
	c := in.Class
	if c == nil || !in.Person.Has(config.Pupil) || !c.IsSchoolDay(in.Today) {
		return
	}
	base := in.Profile[ProfileSeen]
	if base == "" {
		base = in.Profile[ProfileSince]
	}
	if base == "" {
		// Counting starts today: the day before is where it starts from.
		base = in.Today.AddDays(-1).String()
		t.effect(dialog.SetProfile{Person: in.Person.ID, Fields: map[string]string{ProfileSince: base}})
	}
	from, err := config.ParseDate(base)
	if err != nil {
		return
	}
	limit := in.School.Policy.SilentDays
	if limit <= 0 {
		return
	}
	n := SilentDays(c, from, in.Today)
	if n < limit || in.Profile[ProfileSilentAlerted] == base {
		return
	}
	p := in.Person
	_, msgs, effects := safeguard.Raise(&t.in, safeguard.Alert{
		ID: safeguard.AlertID(in.Event, safeguard.ConcernSilent), Concerns: []string{safeguard.ConcernSilent}, Count: n,
		Body: func(L *i18n.Localizer, others string) string {
			return L.N("alerts.silent", n, "Name", chat.Literal(p.Name), "Class", chat.Literal(c.Name),
				"Others", others)
		},
	})
	t.res.Messages = append(t.res.Messages, msgs...)
	t.effect(effects...)
	t.effect(dialog.SetProfile{Person: p.ID, Fields: map[string]string{ProfileSilentAlerted: base}})
}
