package config

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// RosterColumns are the columns a roster CSV may have, in the documented order. Only
// id, name and roles are required; roles and classes hold several values separated by ';'.
var RosterColumns = []string{"id", "name", "roles", "classes", "mentor", "level", "discord", "slack", "locale", "email", "left"}

// importRoster reads the CSV file named by s.Roster (relative to the YAML file) and
// appends its people to s.People, recording each row's line for later problems.
func (l *loader) importRoster(s *School) {
	name := s.Roster
	if !filepath.IsAbs(name) {
		name = filepath.Join(filepath.Dir(l.file), name)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		l.atK("roster", "config.roster_unreadable", "cannot read the roster %s: %v", name, unwrapPath(err))
		return
	}
	l.files = append(l.files, name)
	people, lines := l.readRoster(name, data)
	for i, p := range people {
		s.People = append(s.People, p)
		l.origins = append(l.origins, origin{file: name, line: lines[i], csv: true})
	}
}

// readRoster parses a roster CSV, reporting problems against file.
func (l *loader) readRoster(file string, data []byte) ([]*Person, []int) {
	// Spreadsheet programs often save UTF-8 with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		l.addK(file, 0, "", "config.roster_empty", "the roster is empty; its first line must be the header %s", strings.Join(RosterColumns, ","))
		return nil, nil
	}
	if err != nil {
		l.csvError(file, err)
		return nil, nil
	}
	if len(header) == 1 && strings.Contains(header[0], ";") {
		l.addK(file, 1, "", "config.roster_semicolons", "the columns are separated by ';' (as a Dutch spreadsheet saves CSV); save it with ',' between columns, and use ';' only inside roles and classes")
		return nil, nil
	}
	col := map[string]int{}
	headerOK := true
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case !contains(RosterColumns, h):
			hint := didYouMean(h, RosterColumns)
			if hint.en == "" {
				cols := strings.Join(RosterColumns, ",")
				hint = phrase{key: "config.roster_columns", kv: []any{"V1", cols}, en: "; the columns are " + cols}
			}
			l.addK(file, 1, h, "config.roster_unknown_column", "unknown column %q%s", h, hint)
			headerOK = false
		case col[h] != 0:
			l.addK(file, 1, h, "config.roster_column_twice", "column %q appears twice", h)
			headerOK = false
		default:
			col[h] = i + 1 // 1-based so the zero value means absent
		}
	}
	for _, need := range []string{"id", "name", "roles"} {
		if col[need] == 0 {
			l.addK(file, 1, need, "config.roster_missing_column", "the header lacks the column %q; the header is %s", need, strings.Join(RosterColumns, ","))
			headerOK = false
		}
	}
	if !headerOK {
		return nil, nil
	}
	var people []*Person
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			l.csvError(file, err)
			continue
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			l.addK(file, line, "", "config.roster_row_columns", "this row has %d columns, the header has %d", len(rec), len(header))
			continue
		}
		get := func(c string) string {
			if i := col[c]; i > 0 {
				return strings.TrimSpace(rec[i-1])
			}
			return ""
		}
		p := &Person{
			ID:      get("id"),
			Name:    get("name"),
			Classes: splitList(get("classes")),
			Mentor:  get("mentor"),
			Level:   Level(get("level")),
			Discord: get("discord"),
			Slack:   get("slack"),
			Locale:  get("locale"),
			Email:   get("email"),
		}
		if v := get("left"); v != "" {
			d, perr := ParseDate(v)
			if perr != nil {
				// ParseDate's sentence, with the value, so it can be said in Dutch too.
				l.addK(file, line, "left", "config.roster_left", "%q is not a date; write YYYY-MM-DD, e.g. 2026-12-21 (the day the person left)", v)
				continue
			}
			p.Left = d
		}
		for _, r := range splitList(get("roles")) {
			p.Roles = append(p.Roles, Role(r))
		}
		people = append(people, p)
		lines = append(lines, line)
	}
	return people, lines
}

// csvError reports a CSV syntax error at its line.
func (l *loader) csvError(file string, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		l.addK(file, pe.Line, "", "config.roster_not_csv", "not valid CSV: %v", pe.Err)
		return
	}
	l.addK(file, 0, "", "config.roster_not_csv", "not valid CSV: %v", err)
}

// splitList splits "a; b;c" into [a b c], dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ";") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
