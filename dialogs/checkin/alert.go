package checkin

import (
	"strconv"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

// ProfileLowRun is the profile field counting the pupil's consecutive check-ins with mood 1.
const ProfileLowRun = "lowrun"

// alertRecipients are the only people who see a pupil's alert: their mentor and the
// school's care contacts.
func (t *turn) alertRecipients() []string {
	var out []string
	seen := map[string]bool{t.in.Person.ID: true}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(t.in.Person.Mentor)
	for _, p := range t.in.School.People {
		if p.Has(config.Care) {
			add(p.ID)
		}
	}
	return out
}

// alert sends text privately to the pupil's mentor and care contacts.
func (t *turn) alert(text func(L *i18n.Localizer) string) {
	for _, id := range t.alertRecipients() {
		t.staff(id, text)
	}
}

// staff sends a staff-only message to id, written in their own language.
func (t *turn) staff(id string, text func(L *i18n.Localizer) string) {
	t.res.Messages = append(t.res.Messages, chat.Message{
		To:    chat.Target{Kind: chat.ToPerson, Person: id},
		Text:  text(t.in.For(id)),
		Staff: true,
	})
}

// toMentor sends text privately to the pupil's mentor only (a help request is no
// safeguarding matter, so the care contact does not get it), or to the care contacts
// when the pupil has no mentor, so it still reaches a person.
func (t *turn) toMentor(text func(L *i18n.Localizer) string) {
	if t.in.Person.Mentor == "" {
		t.alert(text)
		return
	}
	t.staff(t.in.Person.Mentor, text)
}

// alertWords alerts at once when an answer holds one of the school's alert words, and
// reports whether it did.
func (t *turn) alertWords(answer, key string) bool {
	if !containsAlert(answer, t.in.School.Policy.AlertWords) {
		return false
	}
	t.alert(func(L *i18n.Localizer) string {
		return L.T(key,
			"Name", chat.Literal(t.in.Person.Name),
			"Class", chat.Literal(t.className()),
			"Text", chat.Literal(answer))
	})
	return true
}

// lowMoodRun counts consecutive check-ins with mood 1 and alerts once when the run
// reaches the school's threshold; the count then starts again.
func (t *turn) lowMoodRun(mood int) {
	run, _ := strconv.Atoi(t.in.Profile[ProfileLowRun])
	if mood != 1 {
		run = 0
	} else {
		run++
	}
	limit := t.in.School.Policy.LowMoodRun
	if limit <= 0 {
		limit = 3
	}
	if run >= limit {
		n := run
		t.alert(func(L *i18n.Localizer) string {
			return L.N("checkin.alert.lowmood", n,
				"Name", chat.Literal(t.in.Person.Name),
				"Class", chat.Literal(t.className()))
		})
		run = 0
	}
	v := ""
	if run > 0 {
		v = strconv.Itoa(run)
	}
	if v != t.in.Profile[ProfileLowRun] {
		t.effect(dialog.SetProfile{Person: t.in.Person.ID, Fields: map[string]string{ProfileLowRun: v}})
	}
}
