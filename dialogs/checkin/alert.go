package checkin

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/dialogs/nod"
)

// ProfileLowRun is the profile field counting the pupil's consecutive check-ins with mood 1.
const ProfileLowRun = "lowrun"

// reachableWith returns the reachable people with role r, in roster order.
func (t *turn) reachableWith(r config.Role) []string {
	var out []string
	for _, p := range t.in.School.People {
		if p.Has(r) && p.ID != t.in.Person.ID && t.in.CanReach(p.ID) {
			out = append(out, p.ID)
		}
	}
	return out
}

// staff sends a staff-only message to id, written in their own language.
func (t *turn) staff(id string, text func(L *i18n.Localizer) string) *chat.Message {
	t.res.Messages = append(t.res.Messages, chat.Message{
		To:    chat.Target{Kind: chat.ToPerson, Person: id},
		Text:  text(t.in.For(id)),
		Staff: true,
	})
	return &t.res.Messages[len(t.res.Messages)-1]
}

// withNod puts the nod button under a staff copy of the pupil's check-in: one press
// tells the pupil "your mentor has seen your check-in" (dialogs/nod, which allows the
// pupil's mentor and the care contacts).
func (t *turn) withNod(m *chat.Message, staff string) {
	L := t.in.For(staff)
	m.Choices = append(m.Choices, chat.Choice{Action: nod.ActionNod, Value: t.in.Person.ID,
		Label: L.T("checkin.help.nod", "Name", chat.Literal(firstName(t.in.Person)))})
}

// toMentor sends text privately to the pupil's mentor only (a help request is no
// safeguarding matter, so the care contact does not get it). When the pupil has no
// mentor, or no connected platform reaches them, it goes to the next in line: the
// care contacts, then the admins, so it still reaches a person. It returns who got it
// ("mentor", "care", "admin"; "" for nobody), so the pupil can be told the truth.
func (t *turn) toMentor(text func(L *i18n.Localizer) string) string {
	if m := t.in.Person.Mentor; m != "" && t.in.CanReach(m) {
		t.withNod(t.staff(m, text), m)
		return "mentor"
	}
	for _, r := range []config.Role{config.Care, config.Admin} {
		if ids := t.reachableWith(r); len(ids) > 0 {
			for _, id := range ids {
				msg := t.staff(id, text)
				if r == config.Care {
					t.withNod(msg, id)
				}
			}
			return string(r)
		}
	}
	return ""
}

// guard checks every text the pupil gives the check-in (typed, or a form's fields)
// for safeguarding phrases, wherever in the conversation it arrives. On a hit the
// pupil first gets a kind word with where to find help now, and the mentor and care
// contacts a private alert with the words; the conversation then carries on.
func (t *turn) guard() error {
	var text string
	switch t.in.Kind {
	case dialog.Text:
		text = t.in.Text
	case dialog.Form:
		parts := make([]string, 0, len(t.in.Fields))
		for _, k := range slices.Sorted(maps.Keys(t.in.Fields)) {
			parts = append(parts, t.in.Fields[k])
		}
		text = strings.Join(parts, "\n")
	}
	if strings.TrimSpace(text) == "" {
		return nil
	}
	m, err := t.d.guard.For(t.in.School)
	if err != nil {
		return fmt.Errorf("checkin: safeguarding phrases: %w", err)
	}
	msgs, effects, ok := safeguard.Check(m, t.in, text, t.where())
	if ok {
		t.alerted = true
		if t.st != nil && t.st.Date == t.today && !t.st.Alerted {
			t.st.Alerted = true
			t.changed = true
		}
		t.res.Messages = append(t.res.Messages, msgs...)
		t.res.Effects = append(t.res.Effects, effects...)
	}
	return nil
}

// where names the question a text answered, for the alert.
func (t *turn) where() string {
	if !t.st.open() {
		return safeguard.WhereStray
	}
	switch t.st.Step {
	case stepOpen:
		return safeguard.WhereOpen
	case stepGoal:
		return safeguard.WhereGoal
	case stepHelp:
		return safeguard.WhereHelp
	}
	return safeguard.WhereChoice
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
		// An open alert like a pupil's worrying words: re-sent and escalated until a
		// person handles it.
		n := run
		_, msgs, effects := safeguard.Raise(t.in, safeguard.Alert{
			ID: safeguard.AlertID(t.in.Event, safeguard.ConcernLowMood), Concerns: []string{safeguard.ConcernLowMood}, Count: n,
			Body: func(L *i18n.Localizer, others string) string {
				return L.N("checkin.alert.lowmood", n,
					"Name", chat.Literal(t.in.Person.Name),
					"Class", chat.Literal(t.className()), "Others", others)
			},
		})
		t.res.Messages = append(t.res.Messages, msgs...)
		t.res.Effects = append(t.res.Effects, effects...)
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
