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
	// Caps is what the person's platform can show, so the dialog can degrade.
	Caps chat.Capabilities
	// Job names the scheduled job for Start and Remind inputs.
	Job string
	// Reachable reports whether a message to person id can reach them: a connected
	// platform knows them. Nil means everyone is taken as reachable.
	Reachable func(id string) bool

	Text    string
	Command string
	// Args are the command's options by name; person options are resolved to roster ids.
	Args   map[string]string
	Action string
	Value  string
	Fields map[string]string

	// State is what this dialog saved for this person last time (nil: nothing yet).
	State []byte
	// Profile is the person's profile fields (steering level, current goal ...).
	Profile map[string]string
	// ClassData is the shared fields of the person's class (day plan ...).
	ClassData map[string]string
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

// CanReach reports whether person id can be reached (see Input.Reachable).
func (in Input) CanReach(id string) bool {
	return in.Reachable == nil || in.Reachable(id)
}

// Result is what a step decided.
type Result struct {
	// State replaces the saved state when non-nil.
	State []byte
	// Clear deletes the saved state.
	Clear bool
	// Listen routes the person's next free text to this dialog; false releases it if
	// this dialog held it.
	Listen   bool
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

// SaveCheckIn stores a day's check-in record (kept for the retention period).
type SaveCheckIn struct{ Record record.CheckIn }

// SaveHelp stores a help request and queues it for routing.
type SaveHelp struct{ Request record.HelpRequest }

// Audit appends to the audit log.
type Audit struct{ Entry record.Audit }

func (SetProfile) effect()  {}
func (SetClass) effect()    {}
func (SaveCheckIn) effect() {}
func (SaveHelp) effect()    {}
func (Audit) effect()       {}

// Dialog is one conversation.
type Dialog interface {
	// Name is the dialog's id; button and form action ids start with Name()+".".
	Name() string
	// Commands are the commands this dialog answers.
	Commands() []CommandSpec
	// Step decides. An error means a bug: the Engine logs it and apologises to the person.
	Step(in Input) (Result, error)
}

// Scheduled is implemented by dialogs that run jobs on a class schedule.
type Scheduled interface {
	Jobs(c *config.Class) []Job
}

// Job is a daily job of a class: at At (class time zone), on school days, every class
// member with role Audience gets an Input of kind Kind.
type Job struct {
	// Name is unique per dialog, e.g. "checkin", "reminder"; it names the Redis claim.
	Name     string
	At       config.TimeOfDay
	Audience config.Role
	Kind     InputKind
	// Grace is how late the job may still run after At, when Kring was down at At
	// (default 4 hours): a late start never sends the morning check-in in the evening.
	Grace time.Duration
}

// OptionKind is the type of a command option.
type OptionKind string

// The option kinds.
const (
	// OptText is free text; the last text option of a command takes the rest of the line.
	OptText OptionKind = "text"
	// OptPerson names a roster person (roster id, name, or a platform mention).
	OptPerson OptionKind = "person"
	// OptChoice is one of Choices.
	OptChoice OptionKind = "choice"
	// OptClass names a class id.
	OptClass OptionKind = "class"
)

// CommandSpec declares a command. Adapters register it on their platform; its texts
// come from the catalogs: "cmd.NAME.name" (localised name), "cmd.NAME.desc",
// "cmd.NAME.opt.OPTION" (option description).
type CommandSpec struct {
	// Name is the canonical lowercase English name, e.g. "checkin".
	Name string
	// Roles may use the command; empty means every enrolled person.
	Roles   []config.Role
	Options []OptionSpec
}

// OptionSpec declares one command option.
type OptionSpec struct {
	Name     string
	Kind     OptionKind
	Required bool
	Choices  []string
}

// Allowed reports whether p may use the command.
func (c CommandSpec) Allowed(p *config.Person) bool {
	if len(c.Roles) == 0 {
		return true
	}
	for _, r := range c.Roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}
