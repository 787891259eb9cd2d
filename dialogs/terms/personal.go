package terms

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/kring-school/kring/bot/dialog"
)

// Personal implements dialog.PersonalData: an approved term named from a pupil's
// answer or proposal holds their words and names them as its proposer. It is theirs:
// an export gives it, and erasing them removes it from the class's word list (a
// teacher may add the term again in their own words).
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
		if json.Unmarshal([]byte(v), &t) == nil && t.Proposer == person {
			p.Fields = append(p.Fields, f)
		}
	}
	sort.Strings(p.Fields)
	return p
}
