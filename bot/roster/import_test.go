package roster

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
)

func repo(rel string) string { return filepath.Join("..", "..", rel) }

func readFile(t *testing.T, path string) *Export {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := Read(data)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return x
}

func TestMagisterLikeExport(t *testing.T) {
	x := readFile(t, repo("examples/exports/magister-2B.csv"))
	if x.Delimiter != ';' {
		t.Errorf("delimiter %q, want ';'", x.Delimiter)
	}
	if len(x.Rows) != 5 || len(x.Problems) != 0 {
		t.Fatalf("rows %d problems %v, want 5 rows and none", len(x.Rows), x.Problems)
	}
	r := x.Rows[0]
	if r.ID != "100201" || r.Name != "Lotte van Dijk" || r.Class != "2B" || r.Mentor != "Dhr. De Vries" || r.Email != "lotte.vandijk@leerling.demo-college.nl" || r.Line != 2 {
		t.Errorf("first row %+v", r)
	}
	if x.Columns[ColID] != "Stamnr" {
		t.Errorf("the id column should be found under the BOM-prefixed header Stamnr, got %v", x.Columns)
	}
	if len(x.Ignored) != 1 || x.Ignored[0] != "Geboortedatum" {
		t.Errorf("ignored %v, want the birth date only", x.Ignored)
	}
}

func TestSomtodayLikeExport(t *testing.T) {
	x := readFile(t, repo("examples/exports/somtoday.csv"))
	if x.Delimiter != ',' || len(x.Rows) != 6 {
		t.Fatalf("delimiter %q rows %d", x.Delimiter, len(x.Rows))
	}
	if got := x.Rows[5].Name; got != "Mees van der Berg" {
		t.Errorf("quoted row name %q", got)
	}
	if x.Rows[4].Name != "Zoë Hendriks" {
		t.Errorf("UTF-8 name %q", x.Rows[4].Name)
	}
}

func TestHeaderAliases(t *testing.T) {
	for _, h := range []string{
		"Leerlingnummer,Roepnaam,Tussenvoegsel,Achternaam,Klas,Mentor,E-mail",
		"Student number,First name,Infix,Last name,Class,Coach,Email address",
		"LLNR;VOORNAAM;VOORVOEGSEL;FAMILIENAAM;STAMKLAS;TUTOR;E-MAILADRES",
		"student_id\tgiven_name\tname prefix\tsurname\thomeroom\tmentor\tmail",
	} {
		sep := string(sniff([]byte(h)))
		body := strings.Join([]string{"7", "Kim", "van", "Loon", "2B", "devries", "kim@x.nl"}, sep)
		x, err := Read([]byte(h + "\n" + body + "\n"))
		if err != nil {
			t.Errorf("%s: %v", h, err)
			continue
		}
		if len(x.Rows) != 1 || x.Rows[0].Name != "Kim van Loon" || x.Rows[0].Mentor != "devries" || x.Rows[0].Email != "kim@x.nl" {
			t.Errorf("%s: rows %+v", h, x.Rows)
		}
	}
	_, err := Read([]byte("Naam;Geboortedatum\nKim;1-1-2012\n"))
	if err == nil || !strings.Contains(err.Error(), "leerlingnummer") || !strings.Contains(err.Error(), "klas") {
		t.Errorf("missing columns: %v, want the id and class aliases named", err)
	}
}

func TestExcelAndWindows1252(t *testing.T) {
	if _, err := Read([]byte("PK\x03\x04rest of a zip")); err != ErrXLSX {
		t.Errorf("xlsx: %v", err)
	}
	x, err := Read([]byte("id;naam;klas\n1;Zo\xeb Bos;2B\n")) // ë in Windows-1252
	if err != nil || x.Rows[0].Name != "Zoë Bos" {
		t.Fatalf("windows-1252: %v %+v", err, x)
	}
}

// setup copies the test school into a temporary directory with the given roster CSV.
func setup(t *testing.T, roster string) (school string, s *config.School, current []*config.Person) {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "school.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	school = filepath.Join(dir, "school.yaml")
	if err := os.WriteFile(school, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "roster.csv"), []byte(roster), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = config.Load(school)
	if err != nil {
		t.Fatal(err)
	}
	current, err = config.ReadRoster(filepath.Join(dir, "roster.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return school, s, current
}

var today = config.Date{Year: 2026, Month: 11, Day: 30}

func TestReimportKeepsLinksChangesClassAndMarksLeavers(t *testing.T) {
	school, s, current := setup(t, strings.Join([]string{
		strings.Join(config.RosterColumns, ","),
		"100201,Lotte van Dijk,pupil,2B,devries,self,300000000000000001,U0LOTTE,en,,",
		"100202,Ravi Ramdin,pupil,2B,devries,shared,300000000000000002,,,,",
		"100203,Noah Verbeek,pupil,2B,devries,,,,,,",
		"100299,Oud Leerling,pupil,2B,devries,,,,,,2025-07-01",
	}, "\n")+"\n")
	export := "Leerlingnummer;Roepnaam;Tussenvoegsel;Achternaam;Klas;Mentor\n" +
		"100201;Lotte;van;Dijk;3B;;\n" + // moved to 3B: mentor follows the class
		"100202;Ravi;;Ramdin;2B;devries\n" +
		"100204;Iris;de;Graaf;2B;\n" // new; Noah is gone
	x, err := Read([]byte(export))
	if err != nil {
		t.Fatal(err)
	}
	plan := Merge(s, current, x, today)
	if len(plan.Problems) != 0 {
		t.Fatalf("problems: %v", plan.Problems)
	}
	by := map[string]*config.Person{}
	for _, p := range plan.People {
		by[p.ID] = p
	}
	lotte := by["100201"]
	if lotte.Class() != "3B" || lotte.Mentor != "bakker" || lotte.Discord != "300000000000000001" || lotte.Slack != "U0LOTTE" || lotte.Level != config.SelfLed || lotte.Locale != "en" {
		t.Errorf("Lotte after re-import: %+v; want 3B, mentor bakker, links, level and language kept", lotte)
	}
	if by["100202"].Discord != "300000000000000002" || by["100202"].Level != config.Shared {
		t.Errorf("Ravi lost what Kring knew: %+v", by["100202"])
	}
	if by["100203"].Left != today {
		t.Errorf("Noah left, want left=%s, got %+v", today, by["100203"])
	}
	if by["100299"].Left.String() != "2025-07-01" {
		t.Errorf("someone who left earlier keeps the day they left: %+v", by["100299"])
	}
	if by["100204"] == nil || by["100204"].Name != "Iris de Graaf" || by["100204"].Mentor != "devries" {
		t.Errorf("Iris not added with the class mentor: %+v", by["100204"])
	}
	counts := map[string]Count{}
	for _, c := range plan.Counts() {
		counts[c.Class] = c
	}
	if c := counts["2B"]; c.Added != 1 || c.Left != 1 || c.Unchanged != 1 || c.Changed != 0 {
		t.Errorf("2B counts %+v", c)
	}
	if c := counts["3B"]; c.Changed != 1 {
		t.Errorf("3B counts %+v", c)
	}
	// The planned roster passes the school file's own check.
	out := filepath.Join(filepath.Dir(school), "new.csv")
	var buf bytes.Buffer
	if err := config.WriteRoster(&buf, plan.People); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := config.LoadWithRoster(school, out)
	if err != nil {
		t.Fatalf("the new roster does not load: %v", err)
	}
	if got := len(s2.Members("2B", config.Pupil)); got != 2 {
		t.Errorf("2B has %d active pupils after the import, want 2 (Ravi, Iris)", got)
	}
	if m := s2.Mentees("devries"); len(m) != 2 {
		t.Errorf("devries has %d active mentees, want 2", len(m))
	}
	var rep bytes.Buffer
	if err := Report(&rep, "export.csv", x, plan, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"~ 3B   100201     Lotte van Dijk: class 2B → 3B, mentor devries → bakker", "- 2B   100203     Noah Verbeek: left", "+ 2B   100204     Iris de Graaf"} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, rep.String())
		}
	}

	// Noah comes back in the next export: active again.
	x2, _ := Read([]byte("id,naam,klas\n100203,Noah Verbeek,2B\n"))
	plan2 := Merge(s2, plan.People, x2, today.AddDays(30))
	for _, p := range plan2.People {
		if p.ID == "100203" && !p.Active() {
			t.Errorf("Noah came back but stays inactive")
		}
	}
}

func TestBadRows(t *testing.T) {
	_, s, current := setup(t, strings.Join(config.RosterColumns, ",")+"\n100201,Lotte van Dijk,pupil,2B,devries,,,,,,\n")
	x, err := Read([]byte("id;naam;klas;mentor;email\n" +
		"100201;Lotte van Dijk;9Z;;\n" + // unknown class: Lotte stays as she was
		"100202;Ravi Ramdin;2B;;\n" +
		"100202;Ravi Twee;2B;;\n" + // duplicate id
		"10 203;Spatie;2B;;\n" + // bad id
		"100204;Iris;2B;smit;\n" + // unknown mentor
		"100205;Sem;2B;;geen-adres\n" + // bad e-mail
		"100206;Teveel;2B;;;x;y\n")) // too many columns
	if err != nil {
		t.Fatal(err)
	}
	plan := Merge(s, current, x, today)
	var lines []int
	for _, p := range append(x.Problems, plan.Problems...) {
		lines = append(lines, p.Line)
	}
	want := []int{8, 2, 4, 5, 6, 7}
	if len(lines) != len(want) {
		t.Fatalf("problem lines %v, want %v", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("problem lines %v, want %v", lines, want)
		}
	}
	if len(plan.People) != 2 || plan.People[0].Class() != "2B" || !plan.People[0].Active() {
		t.Errorf("with bad rows the rest imports and Lotte stays: %+v", plan.People)
	}
	var rep bytes.Buffer
	_ = Report(&rep, "e.csv", x, plan, nil)
	if !strings.Contains(rep.String(), `e.csv:2: class: class "9Z" is not in the school file`) || !strings.Contains(rep.String(), "6 row(s) cannot be imported") {
		t.Errorf("report:\n%s", rep.String())
	}

	// The same report through the catalogs: English exactly as the code's own, Dutch
	// in Dutch, no message missing.
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var en, nl bytes.Buffer
	_ = Report(&en, "e.csv", x, plan, cat.For("en").T)
	_ = Report(&nl, "e.csv", x, plan, cat.For("nl").T)
	if en.String() != rep.String() {
		t.Errorf("English catalog and code differ:\n--- catalog ---\n%s\n--- code ---\n%s", en.String(), rep.String())
	}
	for _, want := range []string{"e.csv: 7 rijen, gescheiden door ';'", "gelezen kolommen:", "klas  erbij  gewijzigd",
		`e.csv:2: class: klas "9Z" staat niet in het schoolbestand`, "6 rij(en) kunnen niet worden ingelezen", `"geen-adres" is geen e-mailadres`} {
		if !strings.Contains(nl.String(), want) {
			t.Errorf("Dutch report lacks %q:\n%s", want, nl.String())
		}
	}
	if strings.Contains(nl.String(), "[roster.") {
		t.Errorf("Dutch report shows a key:\n%s", nl.String())
	}
}

// TestWholeFileErrorsInDutch: an export Kring cannot read at all is told in the
// reader's language, the cause after it.
func TestWholeFileErrorsInDutch(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	nl := cat.For("nl").T
	for in, want := range map[string]string{
		"PK\x03\x04zip":        "dit is een Excel-werkmap",
		"":                     "het bestand is leeg",
		"naam,geslacht\nA,m\n": "regel 1: de kopregel mist een kolom ",
	} {
		_, err := Read([]byte(in))
		var re *Error
		if !errors.As(err, &re) {
			t.Fatalf("%q: %v, want an *Error", in, err)
		}
		if got := re.In(nl); !strings.Contains(got, want) || strings.Contains(got, "[roster.") {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
		if re.In(nil) != err.Error() {
			t.Errorf("%q: English %q differs from Error() %q", in, re.In(nil), err.Error())
		}
	}
}
