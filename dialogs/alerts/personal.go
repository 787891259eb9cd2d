package alerts

import (
	"sort"

	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/safeguard"
)

// Personal implements dialog.PersonalData: an alert is about its pupil alone, so their
// export holds all of it and their erasure deletes it. The staff ids in it (who got it,
// who handled it) stay when a staff member's data is erased: they record who knew.
func (*Dialog) Personal(kind string, rec dialog.Shared, person string) dialog.Personal {
	if kind != safeguard.AlertKind || person == "" || rec.Fields[safeguard.FieldPupil] != person {
		return dialog.Personal{}
	}
	fields := make([]string, 0, len(rec.Fields))
	for f := range rec.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	return dialog.Personal{Fields: fields, Whole: true}
}
