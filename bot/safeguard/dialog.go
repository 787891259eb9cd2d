package safeguard

import (
	"fmt"

	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
)

// Name is the id of Dialog, the answer to unexpected text that holds alert words.
const Name = "safeguard"

// Dialog answers a pupil's text that no conversation expected (typed after the
// check-in finished, say) when it holds alert phrases: the Engine hands such text here
// instead of answering "I'm not expecting a message". It has no commands and keeps no
// state. The zero value is ready; it is safe for concurrent use.
type Dialog struct {
	Cache
}

// Name implements dialog.Dialog.
func (d *Dialog) Name() string { return Name }

// Commands implements dialog.Dialog: none.
func (d *Dialog) Commands() []dialog.CommandSpec { return nil }

// Alerts reports whether text holds an alert phrase for school.
func (d *Dialog) Alerts(school *config.School, text string) (bool, error) {
	m, err := d.For(school)
	if err != nil {
		return false, err
	}
	return len(m.Match(text)) > 0, nil
}

// Step implements dialog.Dialog: the pupil's kind message, the alerts, the audit entry.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	m, err := d.For(in.School)
	if err != nil {
		return dialog.Result{}, fmt.Errorf("safeguard: phrases: %w", err)
	}
	msgs, effects, _ := Check(m, &in, in.Text, WhereStray)
	return dialog.Result{Messages: msgs, Effects: effects}, nil
}
