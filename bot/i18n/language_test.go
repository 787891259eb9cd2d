package i18n_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/i18n/i18ntest"
)

// TestEveryMessageInItsLanguage renders every catalog message in Dutch and in English,
// with every template field filled, and fails on a word of the other language or a
// "/command" that is not a command name of that language (a Dutch text saying /help
// where the command is /hulp). Word lists a person types (*_words) are input, not
// shown, and may hold both languages.
func TestEveryMessageInItsLanguage(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	field := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
	checked := 0
	for _, lang := range i18n.Languages {
		L := cat.For(lang)
		// Slack's one slash command, and the ops server's paths that kring's --help names.
		commands := map[string]bool{"kring": true, "healthz": true, "metrics": true}
		for _, id := range cat.IDs(lang) {
			if strings.HasPrefix(id, "cmd.") && strings.HasSuffix(id, ".name") {
				commands[L.T(id)] = true
			}
		}
		files, _ := filepath.Glob("locales/*." + lang + ".yaml")
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var msgs map[string]any
			if err := yaml.Unmarshal(raw, &msgs); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for id, v := range msgs {
				if strings.HasSuffix(id, "_words") {
					continue
				}
				src, plural := "", false
				switch x := v.(type) {
				case string:
					src = x
				case map[string]any:
					plural = true
					for _, p := range x {
						src += " " + p.(string)
					}
				}
				var kv []any
				for _, m := range field.FindAllStringSubmatch(src, -1) {
					switch m[1] {
					case "Command":
						kv = append(kv, m[1], L.T("cmd.checkin.name"))
					case "Help":
						kv = append(kv, m[1], L.T("cmd.help.name"))
					default:
						kv = append(kv, m[1], "7")
					}
				}
				texts := []string{L.T(id, kv...)}
				if plural {
					texts = []string{L.N(id, 1, kv...), L.N(id, 2, kv...)}
				}
				for _, text := range texts {
					checked++
					if strings.Contains(text, "<no value>") || text == "["+id+"]" {
						t.Errorf("%s %s renders badly: %q", lang, id, text)
					}
					if bad := i18ntest.Foreign(lang, text, commands); len(bad) > 0 {
						t.Errorf("%s %s (%s) has words of the other language %v: %q", lang, id, filepath.Base(f), bad, text)
					}
				}
			}
		}
	}
	if checked < 200 {
		t.Errorf("checked only %d texts; are the catalogs found?", checked)
	}
}

// TestForeignCatchesTheReportedTexts: the two texts of issue 13 are caught.
func TestForeignCatchesTheReportedTexts(t *testing.T) {
	nl := map[string]bool{"dagplan": true, "hulp": true, "niveau": true}
	for _, s := range []string{
		"onzin is geen geldige level; kies uit: teacher, shared, self",
		"Vul ook plan in. Gebruik: /dagplan <plan> [class]",
		"Typ /help om te zien wat je kunt doen.",
	} {
		if len(i18ntest.Foreign("nl", s, nl)) == 0 {
			t.Errorf("not caught: %q", s)
		}
	}
	if bad := i18ntest.Foreign("nl", "Gebruik: /niveau <leerling> <docent|gedeeld|zelf>, je check-in", nl); len(bad) > 0 {
		t.Errorf("false alarm: %v", bad)
	}
}
