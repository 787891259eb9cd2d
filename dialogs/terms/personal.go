package terms

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/kring-school/kring/bot/dialog"
)

// Personal implements dialog.PersonalData: an approved term names the pupil who
// proposed it. A teacher approved it into the class's word list, so erasing the pupil
// keeps the term for the class and removes only their name from it; an export gives
// the terms they proposed.
func (*Dialog) Personal(kind string, rec dialog.Shared, person string) dialog.Personal {
	if kind != Name || person == "" {
		return dialog.Personal{}
	}
	var p dialog.Personal
	for f, v := range rec.Fields {
		if !strings.HasPrefix(f, "t.") {
			continue
		}
		var t Term
		if json.Unmarshal([]byte(v), &t) != nil || t.Proposer != person {
			continue
		}
		t.Proposer = ""
		doc, err := json.Marshal(t)
		if err != nil {
			continue
		}
		if p.Erase == nil {
			p.Erase = map[string]string{}
		}
		p.Fields = append(p.Fields, f)
		p.Erase[f] = string(doc)
	}
	sort.Strings(p.Fields)
	return p
}
