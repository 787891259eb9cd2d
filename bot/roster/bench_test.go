package roster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/config"
)

// BenchmarkImport1200 reads and plans a school export of 1,200 pupils over a roster of
// 1,200 (a re-import): what `kring roster import` costs besides the file writes.
func BenchmarkImport1200(b *testing.B) {
	var exp, cur strings.Builder
	exp.WriteString("\ufeffStamnr;Roepnaam;Tussenv;Achternaam;Klas;Mentor;E-mail;Geboortedatum\r\n")
	cur.WriteString(strings.Join(config.RosterColumns, ",") + "\n")
	for i := range 1200 {
		class := []string{"2B", "3B"}[i%2]
		mentor := map[string]string{"2B": "devries", "3B": "bakker"}[class]
		fmt.Fprintf(&exp, "%d;Kim;van;Dijk %d;%s;;kim%d@school.nl;01-01-2012\r\n", 100000+i, i, class, i)
		fmt.Fprintf(&cur, "%d,Kim van Dijk %d,pupil,%s,%s,shared,%d,,,,\n", 100000+i, i, class, mentor, 300000000000000000+i)
	}
	s, err := config.Parse([]byte("id: b\nclasses: [{id: 2B}, {id: 3B}]\npeople:\n"+
		"  - {id: devries, name: De Vries, roles: [mentor], classes: [2B]}\n"+
		"  - {id: bakker, name: Bakker, roles: [mentor], classes: [3B]}\n"), "b.yaml")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "roster.csv")
	if err := os.WriteFile(path, []byte(cur.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	current, err := config.ReadRoster(path)
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(exp.String())
	b.ReportAllocs()
	for b.Loop() {
		x, err := Read(data)
		if err != nil {
			b.Fatal(err)
		}
		p := Merge(s, current, x, today)
		if len(p.People) != 1200 || len(p.Problems) != 0 {
			b.Fatalf("%d people, problems %v", len(p.People), p.Problems)
		}
	}
}
