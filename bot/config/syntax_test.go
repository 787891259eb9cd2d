package config

import (
	"errors"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// breaks are the five syntax errors of issue 13, each one line of a 170-line school
// file: the start, the middle of the people list, the last line, a tab, an unclosed
// quote. The parser alone names line 114 for a line-139 mistake; each must be named at
// its own line and column, with the line quoted and a plain-words cause.
var breaks = []struct {
	name string
	line int
	from string // the line's valid text
	to   string // the broken text
	col  int
	msg  string
}{
	{"start: missing colon", 1, "id: demo", "id demo", 1, "no colon"},
	{"people list: indentation", 139, "    mentor: devries", "   mentor: devries", 4, "does not line up with any line above it"},
	{"last line: unclosed bracket", 170, "    level: self", "    level: [self", 12, "this [ is never closed"},
	{"a tab", 59, "      days: [mon, tue, wed, thu, fri]", "\tdays: [mon, tue, wed, thu, fri]", 1, "indented with a tab"},
	{"unclosed quote", 55, `      checkin: "08:15"`, `      checkin: "08:15`, 16, `this quote (") is never closed`},
}

func school170(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("testdata/syntax/school170.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 170 {
		t.Fatalf("fixture has %d lines, want 170", len(lines))
	}
	if _, err := Parse(data, "school.yaml"); err != nil {
		t.Fatalf("fixture is not valid: %v", err)
	}
	for _, b := range breaks {
		if lines[b.line-1] != b.from {
			t.Fatalf("line %d is %q, want %q", b.line, lines[b.line-1], b.from)
		}
	}
	return lines
}

func TestSyntaxErrorsNamedAtTheirOwnLine(t *testing.T) {
	base := school170(t)
	for _, b := range breaks {
		t.Run(b.name, func(t *testing.T) {
			lines := append([]string(nil), base...)
			lines[b.line-1] = b.to
			_, err := Parse([]byte(strings.Join(lines, "\n")+"\n"), "school.yaml")
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("want one problem, got %v", err)
			}
			p := ps[0]
			if p.Line != b.line || p.Col != b.col || !strings.Contains(p.Msg, b.msg) || p.Source != b.to {
				t.Errorf("got %d:%d %q (source %q), want %d:%d ...%s...", p.Line, p.Col, p.Msg, p.Source, b.line, b.col, b.msg)
			}
			// The report quotes the line and puts a caret under the column.
			out := strings.Split(p.String(), "\n")
			if len(out) != 3 || strings.Index(out[2], "^") != 4+b.col-1 {
				t.Errorf("report without a caret under column %d:\n%s", b.col, p)
			}
		})
	}
}

// TestAllFiveAtOnce: with all five mistakes in one file, each is reported at its line.
func TestAllFiveAtOnce(t *testing.T) {
	lines := school170(t)
	for _, b := range breaks {
		lines[b.line-1] = b.to
	}
	_, err := Parse([]byte(strings.Join(lines, "\n")+"\n"), "school.yaml")
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v", err)
	}
	got := map[int]bool{}
	for _, p := range ps {
		got[p.Line] = true
	}
	for _, b := range breaks {
		if !got[b.line] {
			t.Errorf("line %d (%s) not reported; got:\n%v", b.line, b.name, ps)
		}
	}
	if len(ps) != len(breaks) {
		t.Errorf("want %d problems, got %d:\n%v", len(breaks), len(ps), ps)
	}
}

// TestSyntaxCauses covers the other causes the scanner names.
func TestSyntaxCauses(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		line       int
		msg        string
	}{
		{"nested under a value", "id: t\nname: X\n  locale: nl\n", 3, "already has a value"},
		{"text after quote", "id: t\nname: \"Demo\" College\n", 2, "text after the closing quote"},
		{"stray bracket", "id: t\nname: x]\nclasses: [1A]]\n", 3, "has no matching opening bracket"},
		{"colon in value", "id: t\nname: Demo: College\n", 2, `put the whole value in quotes, e.g. "Demo: College"`},
		{"list across lines never closed", "id: t\npolicy:\n  alert_words:\n    nl: [pesten,\n      bang\nclasses: []\n", 4, "this [ is never closed"},
		{"unclosed single quote", "id: t\nname: 'Demo\n", 2, "this quote (') is never closed"},
		{"no space after the colon", "id: t\nname:Demo\nlocale: nl\n", 2, "a key needs a space after its colon; write name: Demo"},
		{"missing colon among keys", "id: t\nname: x\ntimezone Europe/Amsterdam\n", 3, "no colon"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "school.yaml")
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("err = %v", err)
			}
			if ps[0].Line != c.line || !strings.Contains(ps[0].Msg, c.msg) {
				t.Errorf("got %s\nwant line %d ...%s...", ps[0], c.line, c.msg)
			}
		})
	}
}

// TestScannerQuietOnValidFiles: on every valid school file the scanner finds nothing,
// so it cannot point away from a real mistake elsewhere.
func TestScannerQuietOnValidFiles(t *testing.T) {
	files := []string{"../../examples/school.yaml", "testdata/syntax/school170.yaml", "testdata/roster/school.yaml"}
	extra := "id: t\nname: |\n  a: b\n    c\npolicy:\n  alert_words:\n    nl: [pesten,\n      bang]\n    en: ['it''s', \"a\\\"b\"]\nclasses:\n- id: 1A\n  name: \"1A: eerste\" # comment: yes\npeople: []\n"
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if is := scanSyntax(data); len(is) > 0 {
			t.Errorf("%s: %+v", f, is)
		}
	}
	for i, y := range []string{
		extra,
		"people:\n- id: a\n  name: O'Brien\n- id: b\n  roles: [pupil] # the only role\nclasses: []\n",
		"id: t\r\nname: x\r\nclasses:\r\n  - id: 1A\r\n    subjects:\r\n      wiskunde A: bakker\r\n",
		"---\nid: t\n\"quoted key\": v\npolicy:   # comment\n  alert_words:\n    nl:\n      - \"niet # meer\"\n      - 'bang'\nnotes: >-\n  folded: text\n   more\n",
	} {
		if is := scanSyntax([]byte(y)); len(is) > 0 {
			t.Errorf("valid YAML %d: %+v", i, is)
		}
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(y), &n); err != nil {
			t.Errorf("case %d is not valid YAML itself: %v", i, err)
		}
	}
}
