// Package alerts keeps safeguarding alerts open until a person handles them. An alert
// is raised inside the pupil's own step (bot/safeguard.Raise: the check-in, the inbox,
// a poll answer, a run of lowest moods) as a shared record with a re-send timer for this
// dialog. Here a staff member presses "I'm handling this" (who and when are recorded and
// audited, the other recipients are told), and an alert nobody handled is re-sent after
// policy.alert_resend of school time and escalated to the admins, again and again,
// each wait twice the last (at most MaxResendWait), until someone handles it. It also
// runs the daily check for pupils who stopped checking in (policy.silent_days).
package alerts

import (
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
)

// Name is the dialog's name (safeguard.AlertsDialog).
const Name = safeguard.AlertsDialog

// MaxResendWait caps the wait between two re-sends of an open alert.
const MaxResendWait = 4 * time.Hour

// JobSilent is the daily per-pupil job that looks for school days without a check-in.
const JobSilent = "silent"

// Profile fields the silent-days check keeps on the pupil's profile.
const (
	// ProfileSeen is the last school day the pupil checked in or said they were away
	// (written by the check-in).
	ProfileSeen = "seen"
	// ProfileSince is the day counting started for a pupil never seen.
	ProfileSince = "silent_since"
	// ProfileSilentAlerted is the ProfileSeen value when the last silent alert went:
	// one alert per episode, until the pupil checks in again.
	ProfileSilentAlerted = "silent_alerted"
)

// Dialog is the alerts dialog; it has no state of its own.
type Dialog struct{}

// New returns the alerts dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog: none; alerts are handled with their button.
func (*Dialog) Commands() []dialog.CommandSpec { return nil }

// Records implements dialog.Recorder: an alert holds the pupil's words; the pupil is
// its member, so export and erase find it.
func (*Dialog) Records() []record.Kind {
	return []record.Kind{{Name: safeguard.AlertKind, Key: "alert:{id}", Shape: record.SharedRecord,
		Owners: record.OwnedByMembers, PupilWords: true,
		Readers: []string{"mentor of the pupil", "care coordinator", "admin (when escalated)"}}}
}

// Jobs implements dialog.Scheduled: at the end of each school day, every pupil's
// silent-days check.
func (*Dialog) Jobs(c *config.Class) []dialog.Job {
	// An hour's grace: after a late start the check still runs, but not in the evening.
	return []dialog.Job{{Name: JobSilent, At: c.Schedule.DayEnd, Audience: config.Pupil, Kind: dialog.Start, Grace: time.Hour}}
}

// Reads implements dialog.Reader: the alert named by the button or the timer.
func (*Dialog) Reads(in dialog.Input) []dialog.Ref {
	switch in.Kind {
	case dialog.Choice:
		return []dialog.Ref{safeguard.AlertRef(in.Value)}
	case dialog.Wake:
		return []dialog.Ref{safeguard.AlertRef(in.Payload)}
	}
	return nil
}

// alert is the record as this dialog uses it.
type alert struct {
	ID       string
	Exists   bool
	Pupil    string
	Class    string
	Where    string
	Concerns []string
	Words    string
	Text     string
	Open     bool
	Created  time.Time
	Sent     []string
	Resends  int
	By       string
	Handled  time.Time
	Count    int
}

func load(s dialog.Shared) alert {
	f := s.Fields
	a := alert{ID: s.ID, Exists: s.Exists && f[safeguard.FieldPupil] != "", Pupil: f[safeguard.FieldPupil],
		Class: f[safeguard.FieldClass], Where: f[safeguard.FieldWhere], Words: f[safeguard.FieldWords],
		Text: f[safeguard.FieldText], Open: f[safeguard.FieldStatus] == safeguard.StatusOpen, By: f[safeguard.FieldBy]}
	a.Concerns = split(f[safeguard.FieldConcerns])
	a.Sent = split(f[safeguard.FieldSent])
	a.Resends, _ = strconv.Atoi(f[safeguard.FieldResends])
	a.Count, _ = strconv.Atoi(f[safeguard.FieldCount])
	a.Created, _ = time.Parse(time.RFC3339, f[safeguard.FieldCreated])
	a.Handled, _ = time.Parse(time.RFC3339, f[safeguard.FieldHandled])
	return a
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

type turn struct {
	in  dialog.Input
	res dialog.Result
}

func (t *turn) to(id, text string, staff bool, choices ...chat.Choice) {
	t.res.Messages = append(t.res.Messages, chat.Message{
		To: chat.Target{Kind: chat.ToPerson, Person: id}, Text: text, Staff: staff, Choices: choices})
}

func (t *turn) effect(e ...dialog.Effect) { t.res.Effects = append(t.res.Effects, e...) }

// Step implements dialog.Dialog.
func (*Dialog) Step(in dialog.Input) (dialog.Result, error) {
	t := &turn{in: in}
	switch {
	case in.Kind == dialog.Choice && in.Action == safeguard.ActionHandle:
		t.handle(load(in.Record(safeguard.AlertRef(in.Value))))
	case in.Kind == dialog.Wake && strings.HasPrefix(in.Timer, "resend:"):
		t.resend(load(in.Record(safeguard.AlertRef(in.Payload))))
	case in.Kind == dialog.Start && in.Job == JobSilent:
		t.silent()
	}
	return t.res, nil
}

// mayHandle reports whether p may take an alert about pupil: everyone it was sent to,
// the pupil's mentor, the care coordinators and the admins; never a pupil.
func mayHandle(s *config.School, p *config.Person, a alert) bool {
	if p.ID == a.Pupil {
		return false
	}
	for _, id := range a.Sent {
		if id == p.ID {
			return true
		}
	}
	if pupil, ok := s.Person(a.Pupil); ok && pupil.Mentor == p.ID {
		return true
	}
	return p.Has(config.Care) || p.Has(config.Admin)
}

func (t *turn) pupilName(a alert) string {
	if p, ok := t.in.School.Person(a.Pupil); ok {
		return p.Name
	}
	return a.Pupil
}

// handle is "I'm handling this": the alert is closed with who and when, audited, and
// everyone else who got it is told who took it.
func (t *turn) handle(a alert) {
	me := t.in.Person
	L := t.in.L
	switch {
	case !a.Exists:
		t.to(me.ID, L.T("alerts.gone"), false)
		return
	case !mayHandle(t.in.School, me, a):
		t.to(me.ID, L.T("alerts.not_yours"), false)
		return
	case !a.Open:
		by := a.By
		if p, ok := t.in.School.Person(by); ok {
			by = p.Name
		}
		t.to(me.ID, L.T("alerts.already", "Name", chat.Literal(t.pupilName(a)), "By", chat.Literal(by),
			"At", a.Handled.In(t.in.Now.Location()).Format("02-01 15:04")), true)
		return
	}
	ref := safeguard.AlertRef(a.ID)
	t.effect(
		dialog.SetShared{Ref: ref, Fields: map[string]string{
			safeguard.FieldStatus: safeguard.StatusHandled, safeguard.FieldBy: me.ID,
			safeguard.FieldHandled: t.in.Now.UTC().Format(time.RFC3339)}},
		dialog.CancelTimer{Key: safeguard.ResendKey(a.ID), Person: a.Pupil},
		dialog.SetProfile{Person: a.Pupil, Fields: map[string]string{safeguard.ProfileAlertPrefix + a.ID: ""}},
		dialog.Audit{Entry: record.Audit{Time: t.in.Now, Actor: me.ID, Action: "alert-handled", Subject: a.Pupil, Detail: a.ID}},
	)
	var told []string
	for _, id := range a.Sent {
		if id == me.ID {
			continue
		}
		told = append(told, id)
		OL := t.in.For(id)
		t.to(id, OL.T("alerts.taken", "Name", chat.Literal(t.pupilName(a)), "By", chat.Literal(me.Name),
			"Concern", safeguard.ConcernNames(OL, a.Concerns)), true)
	}
	others := safeguard.Names(t.in.School, told)
	if others == "" {
		others = L.T("safeguard.others.none")
	}
	t.to(me.ID, L.T("alerts.handled", "Name", chat.Literal(t.pupilName(a)), "Others", others), true)
}

// resend re-sends an alert nobody handled, to the mentor and the care coordinators and
// now also the admins (escalated), and arms the next re-send.
func (t *turn) resend(a alert) {
	if !a.Exists || !a.Open {
		return
	}
	pupil, ok := t.in.School.Person(a.Pupil)
	if !ok {
		return
	}
	to, skipped := safeguard.Line(&t.in, pupil, true)
	class := a.Class
	if c, ok := t.in.School.Class(a.Class); ok && c.Name != "" {
		class = c.Name
	}
	n := a.Resends + 1
	wait := safeguard.Resend(t.in.School)
	since := t.in.Now.Sub(a.Created).Round(time.Minute)
	sent := map[string]bool{}
	for _, id := range a.Sent {
		sent[id] = true
	}
	all := append([]string(nil), a.Sent...)
	for _, id := range to {
		L := t.in.For(id)
		text := L.T("alerts.resend", "Name", chat.Literal(pupil.Name), "Class", chat.Literal(class),
			"Created", a.Created.In(t.in.Now.Location()).Format("02-01 15:04"), "Minutes", int(since.Minutes()),
			"Concern", safeguard.ConcernNames(L, a.Concerns), "Others", othersOf(t.in.School, L, to, id))
		if a.Where != "" {
			text += "\n" + L.T("alerts.resend.words", "Where", L.T("safeguard.where."+a.Where),
				"Text", chat.Literal(a.Text), "Words", quote(a.Words))
		}
		if a.Count > 0 {
			text += "\n" + L.N("alerts.resend.count."+a.Concerns[0], a.Count)
		}
		if len(skipped) > 0 {
			text += "\n" + L.T("safeguard.skipped", "Names", safeguard.Skipped(t.in.School, skipped))
		}
		t.to(id, text, true, safeguard.HandleChoice(L, a.ID))
		if !sent[id] {
			sent[id] = true
			all = append(all, id)
		}
	}
	next := wait << n
	if next > MaxResendWait || next <= 0 {
		next = MaxResendWait
	}
	ref := safeguard.AlertRef(a.ID)
	t.effect(
		dialog.SetShared{Ref: ref, Fields: map[string]string{
			safeguard.FieldResends: strconv.Itoa(n), safeguard.FieldSent: strings.Join(all, ",")}},
		dialog.SetTimer{Key: safeguard.ResendKey(a.ID), Person: a.Pupil, After: next, SchoolTime: true, Payload: a.ID},
		dialog.Audit{Entry: record.Audit{Time: t.in.Now, Actor: "kring", Action: "alert-resent", Subject: a.Pupil,
			Detail: a.ID + " #" + strconv.Itoa(n) + " to " + strings.Join(to, ",")}},
	)
}

func othersOf(s *config.School, L interface {
	T(string, ...any) string
}, to []string, self string) string {
	var rest []string
	for _, id := range to {
		if id != self {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return L.T("safeguard.others.none")
	}
	return safeguard.Names(s, rest)
}

func quote(words string) string {
	var out []string
	for _, w := range strings.Split(words, " | ") {
		if w != "" {
			out = append(out, "“"+chat.Literal(w)+"”")
		}
	}
	return strings.Join(out, ", ")
}
