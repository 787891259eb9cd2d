// Package checkin is the daily check-in: a short private conversation with each pupil
// that starts with an open question and then asks their mood, how their last goal went,
// today's goal (by steering level) and whether they need help. It also holds the
// commands around it: checkin, away, dayplan (teachers) and level (mentors).
//
// The dialog is pure: Step reads only its Input and returns the new state, messages and
// effects; the Engine does the I/O. The state is one JSON document per pupil holding the
// day, the current step and the answers so far, so a restart carries on where the pupil
// left off and an unfinished day is recorded as partial or missed the next time the
// pupil's state is touched.
package checkin

import (
	"fmt"

	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/safeguard"
)

// Name is the dialog's id and the prefix of its action ids.
const Name = "checkin"

// FreshCheckIn is how recently a check-in may have gone out for the reminder to stay quiet.
// The configuration check refuses a reminder set sooner after the check-in than this.
const FreshCheckIn = config.MinReminderGap

// FormField is the id of the one field of an answer form.
const FormField = "answer"

// The canonical command names.
const (
	CmdCheckin = "checkin"
	CmdAway    = "away"
	CmdDayplan = "dayplan"
	CmdLevel   = "level"
)

// The job names.
const (
	JobCheckin  = "checkin"
	JobReminder = "reminder"
)

// Limits on what people type, in characters (runes).
const (
	// MaxAnswer is the longest answer to the open question or the help question.
	MaxAnswer = 1000
	// MaxGoal is the longest goal a pupil writes.
	MaxGoal = 300
	// MaxPlan is the longest day plan a teacher sets.
	MaxPlan = 1000
	// MaxPlanItems is the most items a day plan may have (a select menu holds 25 options,
	// one of which is "my own goal").
	MaxPlanItems = 20
)

// Dialog is the daily check-in. Its only state is the compiled safeguarding phrases of
// the school; it is safe for concurrent use.
type Dialog struct {
	guard safeguard.Cache
	// Questions, if set, takes the pupil's help question as a question to a teacher
	// (the questions dialog); without it the help question goes to the mentor.
	Questions dialog.Asker
}

// New returns the check-in dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (d *Dialog) Name() string { return Name }

// Commands implements dialog.Dialog.
func (d *Dialog) Commands() []dialog.CommandSpec {
	levels := make([]string, len(config.Levels))
	for i, l := range config.Levels {
		levels[i] = string(l)
	}
	return []dialog.CommandSpec{
		{Name: CmdCheckin, Roles: []config.Role{config.Pupil}},
		{Name: CmdAway, Roles: []config.Role{config.Pupil}},
		{Name: CmdDayplan, Roles: []config.Role{config.Teacher}, Options: []dialog.OptionSpec{
			{Name: "plan", Kind: dialog.OptText, Required: true},
			{Name: "class", Kind: dialog.OptClass},
		}},
		{Name: CmdLevel, Roles: []config.Role{config.Mentor, config.Care, config.Admin}, Options: []dialog.OptionSpec{
			{Name: "pupil", Kind: dialog.OptPerson, Required: true},
			{Name: "level", Kind: dialog.OptChoice, Required: true, Choices: levels},
		}},
	}
}

// Jobs implements dialog.Scheduled: the morning check-in and one reminder.
func (d *Dialog) Jobs(c *config.Class) []dialog.Job {
	return []dialog.Job{
		{Name: JobCheckin, At: c.Schedule.CheckIn, Audience: config.Pupil, Kind: dialog.Start},
		{Name: JobReminder, At: c.Schedule.Reminder, Audience: config.Pupil, Kind: dialog.Remind},
	}
}

// Step implements dialog.Dialog.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	if in.Person == nil || in.L == nil || in.School == nil {
		return dialog.Result{}, fmt.Errorf("checkin: input without person, localizer or school")
	}
	t := &turn{d: d, in: &in, today: in.Today.String(), asker: d.Questions}
	if in.Kind == dialog.Command {
		switch in.Command {
		case CmdDayplan:
			t.dayplan()
			return t.res, nil
		case CmdLevel:
			t.setLevel()
			return t.res, nil
		case CmdCheckin, CmdAway:
		default:
			return dialog.Result{}, fmt.Errorf("checkin: unknown command %q", in.Command)
		}
	}
	if !in.Person.Has(config.Pupil) {
		// Only pupils check in. The Engine sends jobs to pupils only and checks command
		// roles; staying silent here keeps a misrouted input from starting anything.
		return dialog.Result{}, nil
	}
	t.st = decodeState(in.State)
	t.rollover()
	if err := t.guard(); err != nil {
		return dialog.Result{}, err
	}
	switch in.Kind {
	case dialog.Start:
		t.onStart()
	case dialog.Remind:
		t.onRemind()
	case dialog.Command:
		if in.Command == CmdAway {
			t.onAway()
		} else {
			t.onCheckin()
		}
	case dialog.Text:
		t.onText()
	case dialog.Choice:
		t.onChoice()
	case dialog.Form:
		t.onForm()
	default:
		t.onOther()
	}
	return t.finish()
}
