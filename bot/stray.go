package bot

import (
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
)

// unexpected picks who answers a pupil's text that no conversation expected: the
// safeguarding dialog when the text holds alert phrases (every text a pupil gives is
// checked, wherever it arrives), else nobody, and the caller says it expected no
// message. One call from step, so the conversation stack of Core 2 can take it over.
func (e *Engine) unexpected(r stepRequest) dialog.Dialog {
	if r.kind != dialog.Text || r.person == nil || !r.person.Has(config.Pupil) {
		return nil
	}
	hit, err := e.guard.Alerts(e.school, r.ev.Text)
	if err != nil {
		// The built-in lists are embedded and tested; this is a bug. Alert anyway: the
		// safeguarding dialog fails the step, and the pupil is asked to try again
		// rather than told nothing is expected.
		r.log.Error("safeguarding phrases", "err", err)
		return &e.guard
	}
	if !hit {
		return nil
	}
	return &e.guard
}
