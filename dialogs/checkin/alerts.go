package checkin

import "github.com/kring-school/kring/bot/config"

// SchoolAlerts returns the school's alert phrases found in text (the Engine's
// dialog.Input.Alerts), so text that reaches other dialogs is checked the same way.
func SchoolAlerts(school *config.School, text string) []string {
	var out []string
	for _, list := range school.Policy.AlertWords {
		for _, phrase := range list {
			if containsAlert(text, map[string][]string{"": {phrase}}) {
				out = append(out, phrase)
			}
		}
	}
	return out
}
