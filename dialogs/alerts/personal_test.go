package alerts_test

import (
	"testing"

	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/safeguard"
	"github.com/kring-school/kring/dialogs/alerts"
)

// TestPersonalAlertIsThePupilsWhole: an alert is all its pupil's; the staff it went to
// and who handled it get no share of it.
func TestPersonalAlertIsThePupilsWhole(t *testing.T) {
	rec := dialog.Shared{Ref: safeguard.AlertRef("a1"), Exists: true, Fields: map[string]string{
		safeguard.FieldPupil: "anna", safeguard.FieldText: "words", safeguard.FieldSent: "devries,mulder", safeguard.FieldBy: "devries"}}
	d := alerts.New()
	got := d.Personal(safeguard.AlertKind, rec, "anna")
	if !got.Whole || len(got.Fields) != 4 {
		t.Errorf("anna's share %+v, want the whole record", got)
	}
	for _, staff := range []string{"devries", "mulder", "annab"} {
		if got := d.Personal(safeguard.AlertKind, rec, staff); got.Whole || got.Fields != nil {
			t.Errorf("%s's share %+v, want none", staff, got)
		}
	}
}
