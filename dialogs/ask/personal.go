package ask

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/kring-school/kring/bot/dialog"
)

// Personal implements dialog.PersonalData: a class's question record holds every
// pupil's questions, one field each with the asker inside, so a person's share is the
// questions they asked (with the answers they got). Erasing them deletes those
// questions; a classmate's question grouped with one of them keeps its own field.
func (*Dialog) Personal(kind string, rec dialog.Shared, person string) dialog.Personal {
	if kind != Name || person == "" {
		return dialog.Personal{}
	}
	var mine []string
	for f, v := range rec.Fields {
		if !strings.HasPrefix(f, field("")) {
			continue
		}
		var q Question
		if json.Unmarshal([]byte(v), &q) == nil && q.Asker == person {
			mine = append(mine, f)
		}
	}
	sort.Strings(mine)
	return dialog.Personal{Fields: mine}
}
