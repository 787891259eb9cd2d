// Package dialog is the contract between the Engine and the conversations in dialogs/.
// A dialog decides and never does I/O: Step takes the person's saved state and one
// input and returns the new state, the messages to send and the effects to apply.
// The Engine loads the state, runs Step, and commits state, effects and messages to
// Redis in one atomic write.
package dialog

import (
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

// InputKind says what reached the dialog.
type InputKind string

// The input kinds.
const (
	// Start is a scheduled job starting the dialog for a person (the morning check-in).
	Start InputKind = "start"
	// Remind is a scheduled reminder for a person who has not finished.
	Remind InputKind = "remind"
	// Text is free text the person typed while the dialog listens to them.
	Text InputKind = "text"
	// Choice is a pressed button (or a typed number the adapter mapped to one).
	Choice InputKind = "choice"
	// Command is a command the dialog declared.
	Command InputKind = "command"
	// Form is a submitted form.
	Form InputKind = "form"
	// Wake is a timer this dialog set (see the SetTimer effect) coming due; Input.Payload
	// carries what the dialog attached to it.
	Wake InputKind = "wake"
)

// Input is everything a dialog step may look at.
type Input struct {
	Kind InputKind
	// Now is the current time in the class time zone (the school's for people without a class).
	Now time.Time
	// Today is Now's date: the school day this input belongs to.
	Today  config.Date
	School *config.School
	// Person is who acted, or for Start/Remind whom the job is for.
	Person *config.Person
	// Class is the person's class (nil for staff outside any class).
	Class *config.Class
	// L renders catalog texts in the person's language.
	L *i18n.Localizer
	// LocalizerFor renders catalog texts in another person's language, for messages to
	// them (a pupil's alert reaches the mentor in the mentor's language). Nil means L.
	LocalizerFor func(p *config.Person) *i18n.Localizer
	// Alerts returns the safeguarding phrases found in a text a pupil gave (nil: none).
	// Every dialog that receives a pupil's words checks them with it. Nil when the
	// Engine has no matcher.
	Alerts func(text string) []string
	// Reachable reports whether a connected platform can reach roster person id, so a
	// dialog never tells a pupil their words went to someone they cannot reach.
	Reachable func(id string) bool
	// Caps is what the person's platform can show, so the dialog can degrade.
	Caps chat.Capabilities
	// CapsOf is what the platform that reaches roster person id can show, for a message
	// to someone else (a form for a teacher where their platform has forms). Nil: Caps.
	CapsOf func(id string) chat.Capabilities
	// Job names the scheduled job for Start and Remind inputs.
	Job string
	// Event is the id of the event or job step this input comes from: stable across
	// the Engine's retries of the step, so a dialog can derive record ids from it.
	Event string

	Text    string
	Command string
	// Args are the command's options by name; person options are resolved to roster ids.
	Args   map[string]string
	Action string
	Value  string
	Fields map[string]string

	// Thread is the logical thread key ("poll:42") when the input is text typed in a
	// thread a dialog opened; Channel is true for text in a class channel that mentioned
	// or replied to Kring. Both false/empty: a direct message.
	Thread  string
	Channel bool
	// Payload is what the dialog attached to the timer (Kind Wake), and Timer its key.
	Payload string
	Timer   string

	// State is what this dialog saved for this person last time (nil: nothing yet).
	State []byte
	// Profile is the person's profile fields (steering level, current goal ...).
	Profile map[string]string
	// ClassData is the shared fields of the person's class (day plan ...).
	ClassData map[string]string
	// Shared are the shared records the step declared it reads (Reader) and those the
	// person's open conversations listen on, read in the same round trip as State.
	// A record that does not exist is present with Exists false.
	Shared map[Ref]Shared
	// Open are the person's open conversations, the one that asked last first.
	Open []Open
	// Periods are the pupils' records a PeriodReader asked for, in the order asked
	// (pupils the roster no longer has are left out).
	Periods []PupilPeriod
}

// PeriodReader is implemented by dialogs whose step reads pupils' check-ins and help
// requests over a period (a mentor's digest, a summary). Period runs before the step,
// with what the event says (no saved state yet), and names the pupils and the period
// (both days included); the Engine reads them pipelined, in two round trips, into
// Input.Periods. The step must audit the read (Audit) when a staff member sees it.
type PeriodReader interface {
	Period(in Input) (pupils []string, from, to config.Date)
}

// PupilPeriod is one pupil's records of a period.
type PupilPeriod struct {
	Pupil string
	// CheckIns and Help are oldest first.
	CheckIns []record.CheckIn
	Help     []record.HelpRequest
	// OpenAlerts are the concerns of each safeguarding alert about the pupil nobody has
	// handled yet.
	OpenAlerts []string
	// Questions are the pupil's questions to teachers asked in the period or still
	// waiting for an answer, oldest first (anonymous ones included: the step decides
	// who may see them).
	Questions []record.Question
}

// AlertsIn checks text for safeguarding phrases (nil when none, or without a matcher).
func (in Input) AlertsIn(text string) []string {
	if in.Alerts == nil {
		return nil
	}
	return in.Alerts(text)
}

// CanReach reports whether person id can be reached (true when the Engine did not say).
func (in Input) CanReach(id string) bool {
	if in.Reachable == nil {
		return id != ""
	}
	return in.Reachable(id)
}

// Record returns the shared record r as read (Exists false when it is not there or
// was not declared).
func (in Input) Record(r Ref) Shared {
	if s, ok := in.Shared[r]; ok {
		return s
	}
	return Shared{Ref: r}
}

// Ref names a shared record: its declared kind and its id.
type Ref struct {
	Kind string `json:"k"`
	ID   string `json:"id"`
}

// String renders the ref as KIND/ID.
func (r Ref) String() string { return r.Kind + "/" + r.ID }

// Shared is a shared record as one step read it. Fields are whole-record fields (a
// prompt's text, whether it is closed); Members are per-person values (answers, votes);
// Counts are counters; Sets hold set membership. Only Fields are version-checked.
type Shared struct {
	Ref
	Exists  bool
	Version string
	Fields  map[string]string
	Members map[string]string
	Counts  map[string]int64
	Sets    map[string][]string
}

// Open is one open conversation of a person, as the conversation stack holds it.
type Open struct {
	Dialog string `json:"d"`
	// Topic is the short, localised label shown when Kring asks which conversation a
	// typed text is for.
	Topic string `json:"t,omitempty"`
	// Asked is when the conversation last asked the person something.
	Asked time.Time `json:"a"`
	// Refs are the shared records loaded with the person's state when text arrives.
	Refs []Ref `json:"r,omitempty"`
}

// For returns the localizer for a message to person id: their own language when the
// Engine told how, else the acting person's.
func (in Input) For(id string) *i18n.Localizer {
	if in.LocalizerFor != nil && in.School != nil {
		if p, ok := in.School.Person(id); ok {
			return in.LocalizerFor(p)
		}
	}
	return in.L
}

// Result is what a step decided.
type Result struct {
	// State replaces the saved state when non-nil.
	State []byte
	// Clear deletes the saved state.
	Clear bool
	// Listen puts this dialog on top of the person's conversation stack (it asked
	// something and waits for typed text); false takes it off the stack if it was on it.
	// The one below then gets typed text again.
	Listen bool
	// Topic labels the conversation while it listens (see Open.Topic).
	Topic string
	// ListenRefs are the shared records to load with the person's state when typed
	// text reaches this dialog while it listens.
	ListenRefs []Ref
	// Pass hands typed text back unread: the conversation no longer expects it (what it
	// waited for has closed or gone), so the text must not end here. The Engine commits
	// the step (the conversation leaves the stack, whatever Listen says) and gives the
	// same text to the next conversation on the stack, or the inbox. A passing step
	// should say nothing about the text and must not check it for alerts: the receiver
	// does. Honoured only for typed direct-message text the Engine routed by the stack.
	Pass     bool
	Messages []chat.Message
	Effects  []Effect
}

// Effect is a change the Engine applies atomically with the new state.
type Effect interface{ effect() }

// SetProfile sets fields of a person's profile; an empty value deletes the field.
type SetProfile struct {
	Person string
	Fields map[string]string
}

// SetClass sets shared fields of a class; an empty value deletes the field.
type SetClass struct {
	Class  string
	Fields map[string]string
}

// Put stores a document record of a declared kind (record.Document shape), indexes it
// when the kind has an index, and lists it under its owner for export and erase.
type Put struct {
	Kind string
	// Owner is the person whose record it is; ID the record's id within the kind.
	Owner string
	ID    string
	// Group fills {group} in the kind's index pattern (a class id, say).
	Group string
	// Score orders the record in the index, in the kind's IndexUnit.
	Score float64
	Doc   any
}

// SaveCheckIn stores a day's check-in record (the check-in kind, kept for the
// retention period).
func SaveCheckIn(c record.CheckIn) Put {
	d, _ := config.ParseDate(c.Date)
	return Put{Kind: record.KindCheckIn, Owner: c.Person, ID: c.Date, Score: float64(config.DayNumber(d)), Doc: c}
}

// SaveHelp stores a help request (the help kind) and lists it in its class's queue.
func SaveHelp(h record.HelpRequest) Put {
	return Put{Kind: record.KindHelp, Owner: h.Person, ID: h.ID, Group: h.Class, Score: float64(h.Created.UnixMilli()), Doc: h}
}

// SetShared sets whole-record fields of a shared record (creating it), and bumps its
// version: a concurrent step that read the record before this one commits is retried.
// An empty value deletes the field.
type SetShared struct {
	Ref    Ref
	Fields map[string]string
}

// SetMember sets (or, with an empty value, deletes) one person's value in a shared
// record: an answer, a vote, a side. It never conflicts with other members' writes.
type SetMember struct {
	Ref    Ref
	Member string
	Value  string
}

// Count adds By to a shared record's counter Name. Counters never conflict.
type Count struct {
	Ref  Ref
	Name string
	By   int64
}

// AddToSet and RemoveFromSet change set membership in a shared record; they never
// conflict.
type AddToSet struct {
	Ref       Ref
	Set, Item string
}

// RemoveFromSet is the inverse of AddToSet.
type RemoveFromSet struct {
	Ref       Ref
	Set, Item string
}

// SetTimer asks the Engine to run this dialog again for Person (default: the acting
// person) at a later time with Kind Wake and the Payload. A timer with the same Key for
// the same dialog replaces the earlier one. At is an absolute time; otherwise After
// counts from now, in school time (school hours of school days, holidays and weekends
// skipped) when SchoolTime is set. Dialog names another dialog to wake instead of this
// one (a pupil's check-in step arms the alerts dialog's re-send timer).
type SetTimer struct {
	Key        string
	Person     string
	Dialog     string
	At         time.Time
	After      time.Duration
	SchoolTime bool
	Payload    string
}

// CancelTimer removes this dialog's (or Dialog's) timer Key for Person (default: the
// acting person); no-op when there is none.
type CancelTimer struct{ Key, Person, Dialog string }

// Audit appends to the audit log.
type Audit struct{ Entry record.Audit }

func (SetProfile) effect()    {}
func (SetClass) effect()      {}
func (Put) effect()           {}
func (SetShared) effect()     {}
func (SetMember) effect()     {}
func (Count) effect()         {}
func (AddToSet) effect()      {}
func (RemoveFromSet) effect() {}
func (SetTimer) effect()      {}
func (CancelTimer) effect()   {}
func (Audit) effect()         {}

// Dialog is one conversation.
type Dialog interface {
	// Name is the dialog's id; button and form action ids start with Name()+".".
	Name() string
	// Commands are the commands this dialog answers.
	Commands() []CommandSpec
	// Step decides. An error means a bug: the Engine logs it and apologises to the person.
	Step(in Input) (Result, error)
}

// Reader is implemented by dialogs whose steps read shared records. Reads runs before
// the step's single read, with what the event says (no saved state yet), and names the
// records to load into Input.Shared. Records that an open conversation listens on
// (Result.ListenRefs) are loaded for typed text without being named here.
type Reader interface {
	Reads(in Input) []Ref
}

// Recorder is implemented by dialogs that declare record kinds of their own.
type Recorder interface {
	Records() []record.Kind
}

// PersonalData is implemented by dialogs whose shared records hold a person's data in
// whole-record fields (Shared.Fields), where privacy tooling cannot see it: a class's
// question list with the asker inside each question, an alert about one pupil. The
// person's member field (Members[person]) and the set entries naming them
// (Sets[set] holding person) are found without it.
type PersonalData interface {
	// Personal says which whole-record fields of rec, a record of one of the dialog's
	// kinds, hold person's data, and how erasing person changes them.
	Personal(kind string, rec Shared, person string) Personal
}

// Personal is a person's share of the whole-record fields of one shared record.
type Personal struct {
	// Fields are the names (as in Shared.Fields) of the fields holding the person's
	// data, for an export: only theirs, never another person's.
	Fields []string
	// Erase is what erasing the person writes: field name to new value, "" deletes
	// the field. Nil deletes every field of Fields.
	Erase map[string]string
	// Whole means the record is about the person alone (an alert about them): export
	// gives all of it and erase deletes it.
	Whole bool
}

// Scheduled is implemented by dialogs that run jobs on a class schedule.
type Scheduled interface {
	Jobs(c *config.Class) []Job
}

// Job is a job of a class: at At (class time zone), on school days (or only on Days),
// every class member with role Audience gets an Input of kind Kind; or, with PerClass,
// the class itself once (Input.Person is the class's own actor, see config.ClassActor);
// or, with Person, that one person.
type Job struct {
	// Name is unique per dialog, e.g. "checkin", "reminder"; it names the Redis claim.
	Name     string
	At       config.TimeOfDay
	Audience config.Role
	Kind     InputKind
	// Grace is how late the job may still run after At, when Kring was down at At
	// (default 4 hours): a late start never sends the morning check-in in the evening.
	Grace time.Duration
	// Days limits the job to these weekdays (one day: a weekly job); empty means every
	// school day. Holidays are skipped either way.
	Days []time.Weekday
	// PerClass runs the job once per class instead of once per member.
	PerClass bool
	// Person runs the job for this one roster person (who must be in the class).
	Person string
}

// RunsOn reports whether the job runs on weekday w.
func (j Job) RunsOn(w time.Weekday) bool {
	if len(j.Days) == 0 {
		return true
	}
	for _, d := range j.Days {
		if d == w {
			return true
		}
	}
	return false
}

// The command declaration types live in bot/chat, the contract with the adapters,
// which register the commands on their platform; dialogs use them under these names.
type (
	// OptionKind is the type of a command option.
	OptionKind = chat.OptionKind
	// CommandSpec declares a command (see chat.Command).
	CommandSpec = chat.Command
	// OptionSpec declares one command option.
	OptionSpec = chat.CommandOption
)

// The option kinds.
const (
	OptText   = chat.OptText
	OptPerson = chat.OptPerson
	OptChoice = chat.OptChoice
	OptClass  = chat.OptClass
	OptWord   = chat.OptWord
)
