package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/i18n"
)

// TestProblemsInTheReadersLanguage: a problem with a catalog message renders in English
// exactly as its Msg (so the catalog and the code say the same), and in Dutch as a
// different, complete sentence.
func TestProblemsInTheReadersLanguage(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en, nl := cat.For("en"), cat.For("nl")
	var ps Problems
	syntax, _ := filepath.Glob("testdata/syntax/*.yaml")
	for _, f := range append(syntax, "testdata/many.yaml", "testdata/badroster/school.yaml", "testdata/badroster/semicolon.yaml", "testdata/badroster/header.yaml", "testdata/nonexistent.yaml") {
		ps = append(ps, Check(f)...)
	}
	// The syntax errors of issue 13, each in the 170-line school file.
	for _, b := range breaks {
		lines := school170(t)
		lines[b.line-1] = strings.Replace(lines[b.line-1], b.from, b.to, 1)
		_, err := Parse([]byte(strings.Join(lines, "\n")+"\n"), "school.yaml")
		var bad Problems
		if !errors.As(err, &bad) {
			t.Fatalf("%s: %v", b.name, err)
		}
		ps = append(ps, bad...)
	}
	keyed := 0
	var dutch []string
	for _, p := range ps {
		if p.Key == "" {
			continue
		}
		keyed++
		if got := p.Render(en.T); got != p.String() {
			t.Errorf("English catalog and code differ:\ncatalog: %s\ncode:    %s", got, p.String())
		}
		got := p.Render(nl.T)
		dutch = append(dutch, got)
		if got == p.String() || strings.Contains(got, "[config.") || strings.Contains(got, "<no value>") {
			t.Errorf("not rendered in Dutch: %s", got)
		}
	}
	if keyed < 20 {
		t.Errorf("only %d of %d problems have a catalog message", keyed, len(ps))
	}
	all := strings.Join(dutch, "\n")
	for _, want := range []string{
		`people[0].level: "selff" is geen sturingsniveau; kies teacher, shared of self (bedoel je self?)`,
		`classes[0].checkin: onbekend veld "checkin" (checkin hoort onder classes[].schedule)`,
		`nonexistent.yaml: kan het bestand niet lezen: no such file or directory`,
		`:1: nmae: onbekende kolom "nmae" (bedoel je name?)`,
		`school.yaml:55:16: dit aanhalingsteken (") wordt nooit gesloten; zet de sluitende " aan het eind van de waarde`,
		`school.yaml:139:4: deze regel begint in kolom 4, en dat komt met geen enkele regel erboven overeen (de regels eromheen beginnen in kolom 5, 3 of 1)`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("Dutch problems lack %q:\n%s", want, all)
		}
	}
	// Without a translator, Render is String.
	if p := ps[0]; p.Render(nil) != p.String() {
		t.Errorf("Render(nil) = %q", p.Render(nil))
	}
}

// TestEveryProblemKeyIsInTheCatalogs: each config.* message the code names exists in
// Dutch and English (a missing one would show as its key).
func TestEveryProblemKeyIsInTheCatalogs(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`"(config\.[a-z_]+)"`)
	files, _ := filepath.Glob("*.go")
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			found++
			for _, lang := range i18n.Languages {
				if !cat.Has(lang, m[1]) {
					t.Errorf("%s names %s, which the %s catalog lacks", f, m[1], lang)
				}
			}
		}
	}
	if found < 60 {
		t.Errorf("found only %d message keys in the code; is the scan looking in the right place?", found)
	}
}
