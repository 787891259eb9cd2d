// Package record defines the durable records Kring keeps about pupils: finished or
// missed check-ins and help requests. Dialogs create them as effects; the store keeps
// them under the retention TTL; summaries read them.
package record

import "time"

// Status is how a day's check-in ended.
type Status string

// The check-in statuses.
const (
	// Done: the pupil answered every question.
	Done Status = "done"
	// Partial: the pupil started but the day ended before they finished.
	Partial Status = "partial"
	// Missed: the pupil never answered.
	Missed Status = "missed"
	// Away: the pupil said they are away today.
	Away Status = "away"
)

// GoalResult is how yesterday's goal went.
type GoalResult string

// The goal results.
const (
	GoalMet    GoalResult = "met"
	GoalPartly GoalResult = "partly"
	GoalNot    GoalResult = "not"
)

// CheckIn is one pupil's check-in for one school day.
type CheckIn struct {
	Person string `json:"person"`
	Class  string `json:"class"`
	// Date is the school day, YYYY-MM-DD in the class time zone.
	Date   string `json:"date"`
	Status Status `json:"status"`
	// Open is the answer to the open question ("what is on your mind?"), may be empty.
	Open string `json:"open,omitempty"`
	// Mood is 1 (bad) to 5 (great); 0 when not answered.
	Mood int `json:"mood,omitempty"`
	// PrevGoal is yesterday's goal as the pupil set it, and PrevResult how it went.
	PrevGoal   string     `json:"prevGoal,omitempty"`
	PrevResult GoalResult `json:"prevResult,omitempty"`
	// Goal is today's goal or the confirmed day plan.
	Goal string `json:"goal,omitempty"`
	// Level is the steering level the goal was set at.
	Level string `json:"level,omitempty"`
	// Help is what the pupil needs help with, may be empty.
	Help     string    `json:"help,omitempty"`
	Started  time.Time `json:"started,omitempty"`
	Finished time.Time `json:"finished,omitempty"`
}

// HelpRequest is something a pupil asked help with; a later flow routes it to a teacher.
type HelpRequest struct {
	ID     string `json:"id"`
	Person string `json:"person"`
	Class  string `json:"class"`
	// Subject is the subject named, if any.
	Subject string    `json:"subject,omitempty"`
	Text    string    `json:"text"`
	Source  string    `json:"source"` // "checkin" or "ask"
	Created time.Time `json:"created"`
	// State is "open", "routed", "answered".
	State string `json:"state"`
}

// Audit is one entry of the audit log: a staff member read or changed a pupil's data.
type Audit struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Detail  string    `json:"detail,omitempty"`
}
