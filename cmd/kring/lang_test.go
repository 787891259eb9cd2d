package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/i18n/i18ntest"
)

func TestCliLang(t *testing.T) {
	for _, c := range []struct {
		name   string
		flag   string
		env    map[string]string
		school string
		want   string
	}{
		{"nothing set", "", nil, "", "en"},
		{"flag wins over all", "nl", map[string]string{"KRING_LANG": "en", "LANG": "en_US.UTF-8"}, "en", "nl"},
		{"flag en over a Dutch school", "en", map[string]string{"LANG": "nl_NL.UTF-8"}, "nl", "en"},
		{"KRING_LANG over the school", "", map[string]string{"KRING_LANG": "en"}, "nl", "en"},
		{"KRING_LANG as a locale", "", map[string]string{"KRING_LANG": "nl_BE.UTF-8"}, "", "nl"},
		{"KRING_LANG unknown falls through", "", map[string]string{"KRING_LANG": "fr"}, "nl", "nl"},
		{"school over LANG", "", map[string]string{"LANG": "en_GB.UTF-8"}, "nl", "nl"},
		{"school en over a Dutch LANG", "", map[string]string{"LANG": "nl_NL.UTF-8"}, "en", "en"},
		{"LANG nl_NL.UTF-8", "", map[string]string{"LANG": "nl_NL.UTF-8"}, "", "nl"},
		{"LC_MESSAGES over LANG", "", map[string]string{"LC_MESSAGES": "nl_NL", "LANG": "en_US"}, "", "nl"},
		{"LC_ALL over LC_MESSAGES", "", map[string]string{"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "nl_NL"}, "", "en"},
		{"LC_ALL=C is English, not LANG", "", map[string]string{"LC_ALL": "C", "LANG": "nl_NL.UTF-8"}, "", "en"},
		{"a locale Kring lacks is English", "", map[string]string{"LANG": "de_DE.UTF-8"}, "", "en"},
		{"upper case and modifier", "", map[string]string{"LANG": "NL_nl@euro"}, "", "nl"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := cliLang(c.flag, func(k string) string { return c.env[k] }, c.school); got != c.want {
				t.Errorf("cliLang(%q, %v, %q) = %q, want %q", c.flag, c.env, c.school, got, c.want)
			}
		})
	}
}

// inLang runs kring with only the given language settings in the environment.
func inLang(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	for _, k := range []string{"KRING_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		t.Setenv(k, env[k])
	}
	return runKringRaw(t, "", args...)
}

// TestKringSpeaksDutchAndEnglish: a usage text, a result line, a refusal and a bad flag
// in both languages, each way of choosing the language, and the two --lang flags of
// report.
func TestKringSpeaksDutchAndEnglish(t *testing.T) {
	t.Setenv("KRING_CONFIG", "")
	nl := map[string]string{"KRING_LANG": "nl"}
	en := map[string]string{"KRING_LANG": "en"}
	enSchool := filepath.Join(t.TempDir(), "school-en.yaml")
	raw, err := os.ReadFile("../../examples/school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(enSchool, []byte(strings.Replace(string(raw), "\nlocale: nl", "\nlocale: en", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
		not  []string
	}{
		{"usage nl", nl, []string{"roster", "import", "--help"}, 0,
			[]string{"Gebruik: kring roster import [opties] BESTAND", "Opties:", "--dry-run", "laat zien wat er zou veranderen", "--config tekst", "(standaard \"examples/school.yaml\")", "Omgevingsvariabelen:", "KRING_LANG"},
			[]string{"Usage", "Flags:", "(default"}},
		{"usage en", en, []string{"roster", "import", "--help"}, 0,
			[]string{"Usage: kring roster import [flags] FILE", "Flags:", "show what would change", "--config text", "(default \"examples/school.yaml\")", "Environment:"},
			[]string{"Gebruik", "Opties:"}},
		{"result nl", nl, []string{"config", "check", "../../examples/school.yaml"}, 0, []string{"school.yaml: in orde (1 klas,"}, []string{"ok ("}},
		{"result en", en, []string{"config", "check", "../../examples/school.yaml"}, 0, []string{"school.yaml: ok (1 class,"}, nil},
		{"refusal nl", nl, []string{"report", "--pupil", "anna"}, 2, []string{"kring report: zeg wie je bent met --as ID"}, []string{"say who"}},
		{"refusal en", en, []string{"report", "--pupil", "anna"}, 2, []string{"kring report: say who you are with --as ID"}, nil},
		{"report refused nl", nl, []string{"report", "--config", "../../examples/school.yaml", "--as", "bakker", "--pupil", "anna"}, 1,
			[]string{"kring: geweigerd: bakker mag de check-ins van anna niet zien (alleen de leerling"}, []string{"not allowed"}},
		{"report refused en", en, []string{"report", "--config", "../../examples/school.yaml", "--as", "bakker", "--pupil", "anna"}, 1,
			[]string{"kring: refused: bakker may not see anna: not allowed"}, nil},
		{"bad flag nl", nl, []string{"roster", "status", "--bogus"}, 2, []string{"kring roster status: de optie -bogus bestaat niet", "Gebruik: kring roster status"}, []string{"provided but not defined"}},
		{"bad flag en", en, []string{"roster", "status", "--bogus"}, 2, []string{"kring roster status: there is no flag -bogus"}, nil},
		{"bad value nl", nl, []string{"link", "codes", "--days", "x"}, 2, []string{"-days: \"x\" is geen geldige waarde"}, []string{"invalid value"}},
		{"--lang over KRING_LANG", en, []string{"discord", "invite-url", "--lang", "nl", "--app-id", ""}, 2, []string{"geef de Application ID"}, nil},
		{"--lang= form", nl, []string{"link", "codes", "--lang=en"}, 2, []string{"give --class ID or --person ID"}, nil},
		{"--lang before a group's command", en, []string{"roster", "--lang", "nl", "--help"}, 0, []string{"Gebruik:", "kring roster status [--class ID]"}, nil},
		{"bad --lang", en, []string{"healthcheck", "--lang", "fr"}, 2, []string{"--lang \"fr\": use nl or en"}, nil},
		{"school locale nl", nil, []string{"config", "check", "../../examples/school.yaml"}, 0, []string{"in orde"}, nil},
		{"school locale en over a Dutch LANG", map[string]string{"LANG": "nl_NL.UTF-8"}, []string{"config", "check", enSchool}, 0, []string{": ok ("}, nil},
		{"POSIX LANG without a school file", map[string]string{"LANG": "nl_NL.UTF-8"}, []string{"discord", "invite-url", "--app-id", ""}, 2, []string{"geef de Application ID"}, nil},
		{"English by default", nil, []string{"discord", "invite-url", "--app-id", ""}, 2, []string{"give the Application ID"}, nil},
		{"report --lang stays the report's", nl, []string{"report", "--lang", "en", "--pupil", "anna"}, 2, []string{"zeg wie je bent"}, nil},
		{"report --cli-lang", nl, []string{"report", "--cli-lang", "en", "--lang", "nl", "--pupil", "anna"}, 2, []string{"say who you are"}, nil},
		{"report --help names both", nl, []string{"report", "--help"}, 0, []string{"--cli-lang tekst", "--lang tekst", "taal van het verslag"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := inLang(t, c.env, c.args...)
			text := out + errs
			if code != c.code {
				t.Errorf("kring %s: exit %d, want %d\n%s", strings.Join(c.args, " "), code, c.code, text)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("kring %s lacks %q:\n%s", strings.Join(c.args, " "), w, text)
				}
			}
			for _, w := range c.not {
				if strings.Contains(text, w) {
					t.Errorf("kring %s has %q:\n%s", strings.Join(c.args, " "), w, text)
				}
			}
		})
	}
}

// TestEveryHelpInBothLanguages: the help of every command, in Dutch and in English,
// shows no catalog key (a missing message renders as "[cli.some.key]") and, in Dutch,
// no English word (and the other way round).
func TestEveryHelpInBothLanguages(t *testing.T) {
	t.Setenv("KRING_CONFIG", "")
	key := regexp.MustCompile(`\[[a-z]+(\.[a-z0-9_]+)+\]`)
	commands := map[string]bool{"kring": true, "healthz": true, "metrics": true}
	for _, args := range [][]string{
		{"help"}, {"shell", "--help"}, {"run", "--help"}, {"config", "check", "--help"}, {"config"},
		{"discord", "--help"}, {"discord", "invite-url", "--help"}, {"healthcheck", "--help"}, {"bench", "--help"},
		{"report", "--help"}, {"roster", "--help"}, {"roster", "import", "--help"}, {"roster", "export", "--help"},
		{"roster", "status", "--help"}, {"link", "--help"}, {"link", "codes", "--help"}, {"link", "slack-emails", "--help"},
		{"link", "remove", "--help"}, {"privacy", "--help"}, {"privacy", "export", "--help"}, {"privacy", "erase", "--help"},
	} {
		for _, lang := range []string{"nl", "en"} {
			out, errs, _ := inLang(t, map[string]string{"KRING_LANG": lang}, args...)
			text := out + errs
			if len(text) < 40 {
				t.Errorf("%s kring %s: almost no help: %q", lang, strings.Join(args, " "), text)
			}
			if k := key.FindString(text); k != "" {
				t.Errorf("%s kring %s shows the key %s:\n%s", lang, strings.Join(args, " "), k, text)
			}
			if bad := i18ntest.Foreign(lang, text, commands); len(bad) > 0 {
				t.Errorf("%s kring %s has words of the other language %v:\n%s", lang, strings.Join(args, " "), bad, text)
			}
		}
	}
}

// TestRosterImportInDutch: the import's report, its refusal of bad rows and its dry
// run, in Dutch, from the school file's own locale.
func TestRosterImportInDutch(t *testing.T) {
	dir, school := onboardingSchool(t)
	export := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(export, []byte("Leerlingnummer;Naam;Klas\n100301;Kim Bos;2B\n100302;Tim Bos;9Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := inLang(t, nil, "roster", "import", "--dry-run", "--config", school, export)
	for _, want := range []string{"export.csv: 2 rijen, gescheiden door ';'", "gelezen kolommen:", `export.csv:3: class: klas "9Z" staat niet in het schoolbestand`,
		"niets ingelezen: 1 rij heeft problemen", "--skip-bad-rows"} {
		if !strings.Contains(out+errs, want) {
			t.Errorf("lacks %q (exit %d):\n%s%s", want, code, out, errs)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	out, errs, code = inLang(t, nil, "roster", "import", "--dry-run", "--skip-bad-rows", "--config", school, export)
	if code != 0 || !strings.Contains(out, "proefrun: niets geschreven. Start zonder --dry-run") {
		t.Errorf("dry run: exit %d\n%s%s", code, out, errs)
	}
}

// TestPrivacyLabels: every label bot/privacy gives its counts has a message in both
// languages (a new one would print in English), and a record kind stays as it is.
func TestPrivacyLabels(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	label := regexp.MustCompile(`(What|Unit):\s*"([^"]+)"|what[A-Z]\w*\s*=\s*"([^"]+)"`)
	files, _ := filepath.Glob("../../bot/privacy/*.go")
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range label.FindAllStringSubmatch(string(src), -1) {
			kind, text := "what", m[3]
			if m[1] != "" {
				kind, text = strings.ToLower(m[1]), m[2]
			}
			found++
			for _, lang := range i18n.Languages {
				u := &ui{cat: cat, L: cat.For(lang)}
				key := "cli.privacy." + kind + "." + strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(text))
				if !cat.Has(lang, key) {
					t.Errorf("%s: %q has no message %s in %s (it would print as %q)", f, text, key, lang, u.privacyLabel(kind, text))
				}
			}
		}
	}
	if found < 15 {
		t.Errorf("found only %d labels in bot/privacy; is the scan looking in the right place?", found)
	}
	nl := &ui{cat: cat, L: cat.For("nl")}
	for in, want := range map[string]string{"linked accounts": "gekoppelde accounts", "checkin (shared)": "checkin (gedeeld)", "checkin": "checkin"} {
		if got := nl.privacyLabel("what", in); got != want {
			t.Errorf("privacyLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
