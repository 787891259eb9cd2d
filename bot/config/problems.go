package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong in a configuration file, located by file, line and field.
type Problem struct {
	// File is the file the problem is in, as the operator named it (or the roster CSV).
	File string
	// Line is the 1-based line of the offending value, or 0 when unknown.
	Line int
	// Field is the path of the field, e.g. "classes[0].schedule.checkin", or a CSV column.
	Field string
	// Col is the 1-based column (in characters) of a syntax error, or 0.
	Col int
	// Source is the text of the line, quoted under the message with a caret at Col.
	Source string
	// Msg says what is wrong and, where it can, how to fix it, in English: the text of
	// Error(), logs and tests.
	Msg string
	// Key is the catalog message (config.*) that says Msg in the reader's language,
	// rendered with Args (name/value pairs) as its template data; "" when the sentence
	// has no message yet and Msg is all there is.
	Key  string
	Args []any
}

// String writes "file:line: field: message", leaving out the parts that are unknown.
func (p Problem) String() string { return p.format(p.Msg) }

// Render is String in the reader's language: t renders a catalog message with its
// template data (an i18n Localizer's T). Config does not load catalogs itself, so
// that Load stays usable, and its errors readable, without them.
func (p Problem) Render(t func(key string, kv ...any) string) string {
	if p.Key == "" || t == nil {
		return p.String()
	}
	return p.format(t(p.Key, renderArgs(p.Args, t)...))
}

// renderArgs renders the phrases among template data kv, so they read in the same
// language as the sentence around them.
func renderArgs(kv []any, t func(key string, kv ...any) string) []any {
	out := make([]any, len(kv))
	for i, a := range kv {
		if ph, ok := a.(phrase); ok {
			a = ph.render(t)
		}
		out[i] = a
	}
	return out
}

// phrase is a part of a problem's sentence with a catalog message of its own (a "did
// you mean" hint, a list joined with "or"): in the reader's language inside a
// rendered sentence, in English in Msg (fmt uses String).
type phrase struct {
	key string
	kv  []any
	en  string
}

func (ph phrase) String() string { return ph.en }

func (ph phrase) render(t func(key string, kv ...any) string) string {
	if ph.key == "" {
		return ph.en
	}
	return t(ph.key, renderArgs(ph.kv, t)...)
}

func (p Problem) format(msg string) string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(msg)
	if p.Source != "" && p.Col > 0 {
		// A tab is shown as an arrow so the caret lines up and the tab is visible.
		src := strings.ReplaceAll(p.Source, "\t", "→")
		b.WriteString("\n    " + src + "\n    " + strings.Repeat(" ", p.Col-1) + "^")
	}
	return b.String()
}

// Problems is every problem found in a configuration; Load returns it as its error so
// an operator can fix all of them in one go rather than one per run.
type Problems []Problem

// Error writes one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by file (in the order files were first named) and line,
// keeping the discovery order of problems on one line, so the output reads top to bottom.
func sortProblems(ps Problems, files []string) {
	rank := map[string]int{}
	for i, f := range files {
		if _, ok := rank[f]; !ok {
			rank[f] = i
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		ri, rj := rank[ps[i].File], rank[ps[j].File]
		if ri != rj {
			return ri < rj
		}
		return ps[i].Line < ps[j].Line
	})
}

// valueError is a value a field cannot take (a time of day, a date, a duration), with
// the catalog message that says so: the loader turns it into a problem the reader gets
// in their language, other callers see the English sentence.
type valueError struct {
	key, format string
	args        []any
}

func valueErr(key, format string, args ...any) *valueError {
	return &valueError{key: key, format: format, args: args}
}

func (e *valueError) Error() string { return fmt.Sprintf(e.format, e.args...) }
