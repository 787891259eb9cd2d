package safeguard

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

// An alert stays open until a staff member marks it handled. Raise stores it as a
// shared record of kind AlertKind (declared by dialogs/alerts, which the runtime always
// runs) and arms the alerts dialog's re-send timer; the alerts dialog handles the
// "I'm handling this" button and the re-send and escalation.
const (
	// AlertKind is the record kind of an alert: alert:ID.
	AlertKind = "alert"
	// AlertsDialog is the dialog that keeps alerts (dialogs/alerts).
	AlertsDialog = "alerts"
	// ActionHandle is the one action on an alert: "I'm handling this".
	ActionHandle = AlertsDialog + ".handle"
	// DefaultResend is how long an alert may stay open before it is re-sent and
	// escalated, in school time, unless policy.alert_resend says otherwise.
	DefaultResend = 30 * time.Minute
)

// Concerns that are not phrase categories: a run of lowest moods and a pupil who
// stopped checking in. Each has a catalog text "safeguard.category.NAME".
const (
	ConcernLowMood = "lowmood"
	ConcernSilent  = "silent"
)

// The fields of an alert record.
const (
	FieldPupil    = "pupil"
	FieldClass    = "class"
	FieldWhere    = "where"
	FieldConcerns = "concerns"
	FieldWords    = "words"
	FieldText     = "text"
	FieldStatus   = "status"
	FieldCreated  = "created"
	FieldSent     = "sent"    // everyone the alert reached, comma-separated ids
	FieldSkipped  = "skipped" // who could not be reached, comma-separated ids
	FieldResends  = "resends"
	FieldBy       = "by"
	FieldHandled  = "handled"
	FieldCount    = "count" // for a low-mood run or silent days: how many
	StatusOpen    = "open"
	StatusHandled = "handled"
)

// ProfileAlertPrefix starts the pupil's profile field of each open alert about them
// (alert:ID = its concerns), removed when it is handled.
const ProfileAlertPrefix = "alert:"

// AlertRef names alert id's record.
func AlertRef(id string) dialog.Ref { return dialog.Ref{Kind: AlertKind, ID: id} }

// ResendKey is the timer key of alert id's re-send.
func ResendKey(id string) string { return "resend:" + id }

// AlertID derives an alert's id from the event it came from and what raised it, so a
// retried step raises the same alert.
func AlertID(event, what string) string {
	h := sha256.Sum256([]byte(event + "|" + what))
	return hex.EncodeToString(h[:6])
}

// Resend is the school's re-send interval (policy.alert_resend, default 30 minutes).
func Resend(s *config.School) time.Duration {
	if s != nil && s.Policy.AlertResend > 0 {
		return time.Duration(s.Policy.AlertResend)
	}
	return DefaultResend
}

// HandleChoice is the button on every alert message.
func HandleChoice(L *i18n.Localizer, id string) chat.Choice {
	return chat.Choice{Action: ActionHandle, Value: id, Label: L.T("alerts.handle"), Style: "primary"}
}

// Alert is what Raise needs to open an alert about a pupil.
type Alert struct {
	// ID is the alert's id (AlertID).
	ID string
	// Where is the place the pupil wrote the words (Where*), empty for a mood run or
	// silence.
	Where string
	// Concerns are category ids (Category values or Concern*).
	Concerns []string
	// Words and Text are the pupil's triggering words and their whole text (may be
	// empty).
	Words, Text string
	// Count is how many low moods or silent days (0 for words).
	Count int
	// Body renders the message for one recipient in their language; others names the
	// other recipients.
	Body func(L *i18n.Localizer, others string) string
}

// Line returns the people who get an alert about pupil now, in order: the mentor and
// the care contacts Kring can reach; when it can reach none of them, the school's
// admins. escalate adds the admins anyway (an alert nobody handled). skipped are the
// ids of those in line Kring cannot reach.
func Line(in *dialog.Input, pupil *config.Person, escalate bool) (to, skipped []string) {
	seen := map[string]bool{}
	for _, id := range Recipients(in.School, pupil) {
		seen[id] = true
		if in.CanReach(id) {
			to = append(to, id)
		} else {
			skipped = append(skipped, id)
		}
	}
	if len(to) == 0 || escalate {
		for _, p := range in.School.People {
			if !p.Has(config.Admin) || p.ID == pupil.ID || seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			if in.CanReach(p.ID) {
				to = append(to, p.ID)
			} else if escalate {
				skipped = append(skipped, p.ID)
			}
		}
	}
	return to, skipped
}

// Names renders roster ids as a comma-separated list of names.
func Names(s *config.School, ids []string) string {
	var names []string
	for _, id := range ids {
		if p, ok := s.Person(id); ok {
			names = append(names, chat.Literal(p.Name))
		}
	}
	return strings.Join(names, ", ")
}

// Skipped renders the names of those Kring could not reach, for safeguard.skipped.
func Skipped(s *config.School, ids []string) string {
	var names []string
	for _, id := range ids {
		if p, ok := s.Person(id); ok {
			names = append(names, p.Name)
		}
	}
	return chat.Literal(strings.Join(names, ", "))
}

// Raise opens alert a about the acting pupil: a private message to each person in
// line (Line) in their own language with the "I'm handling this" button and, when
// someone could not be reached, who that was; the alert record (open, with the pupil's
// words, listed under the pupil for export and erase); the re-send timer of the alerts
// dialog; and an audit entry without the pupil's words. to are the recipients.
func Raise(in *dialog.Input, a Alert) (to []string, msgs []chat.Message, effects []dialog.Effect) {
	p := in.Person
	to, skipped := Line(in, p, false)
	for _, id := range to {
		L := in.For(id)
		text := a.Body(L, othersOf(L, in.School, to, id))
		if len(skipped) > 0 {
			text += "\n" + L.T("safeguard.skipped", "Names", Skipped(in.School, skipped))
		}
		msgs = append(msgs, chat.Message{
			To: chat.Target{Kind: chat.ToPerson, Person: id}, Text: text, Staff: true,
			Choices: []chat.Choice{HandleChoice(L, a.ID)},
		})
	}
	class := p.Class()
	if in.Class != nil {
		class = in.Class.ID
	}
	ref := AlertRef(a.ID)
	fields := map[string]string{
		FieldPupil: p.ID, FieldClass: class, FieldWhere: a.Where,
		FieldConcerns: strings.Join(a.Concerns, ","), FieldWords: a.Words, FieldText: a.Text,
		FieldStatus: StatusOpen, FieldCreated: in.Now.UTC().Format(time.RFC3339),
		FieldSent: strings.Join(to, ","), FieldSkipped: strings.Join(skipped, ","), FieldResends: "0",
	}
	if a.Count > 0 {
		fields[FieldCount] = strconv.Itoa(a.Count)
	}
	effects = append(effects,
		dialog.SetShared{Ref: ref, Fields: fields},
		// The pupil is the member: their alert is listed with their data for export and erase.
		dialog.SetMember{Ref: ref, Member: p.ID, Value: "pupil"},
		// Listed on the pupil's profile while open, so a digest sees it with the pupil.
		dialog.SetProfile{Person: p.ID, Fields: map[string]string{ProfileAlertPrefix + a.ID: strings.Join(a.Concerns, ",")}},
		dialog.SetTimer{Dialog: AlertsDialog, Key: ResendKey(a.ID), Person: p.ID,
			After: Resend(in.School), SchoolTime: true, Payload: a.ID},
		dialog.Audit{Entry: record.Audit{
			Time: in.Now, Actor: "kring", Action: "safeguard-alert", Subject: p.ID,
			Detail: a.ID + " " + a.Where + ": " + strings.Join(a.Concerns, ",") + " to " + strings.Join(to, ","),
		}},
	)
	return to, msgs, effects
}

// othersOf names the other recipients of the same alert, so each knows who else knows.
func othersOf(L *i18n.Localizer, school *config.School, to []string, self string) string {
	var rest []string
	for _, id := range to {
		if id != self {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return L.T("safeguard.others.none")
	}
	return Names(school, rest)
}

// ConcernNames renders concern ids in L's language.
func ConcernNames(L *i18n.Localizer, ids []string) string {
	var names []string
	for _, c := range ids {
		if c != "" {
			names = append(names, L.T("safeguard.category."+c))
		}
	}
	return strings.Join(names, ", ")
}
